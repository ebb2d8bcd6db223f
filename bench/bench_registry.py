"""Speed of the register of releases: record 1,000 releases, then load every fingerprint.

A mosaic check against the register loads the light summaries of all active fingerprints
(``ReleaseStore.active_records(summaries=True)``: sketches and domains, no keyed hash counts),
then the full fingerprints of the ``--candidates`` releases that share linkable columns
(``ReleaseStore.fingerprints(ids)``). This measures that store part (target: well under 5 s for
1,000 releases, leaving the rest of the budget to the comparison). Loading every full
fingerprint is timed too, for comparison.

Fingerprints are synthetic but shaped like ``triage.mosaic.linkage`` ones (per column and
resolution: 128 MinHash values, base64 HyperLogLog registers with p=10, keyed 16-hex hashes
with counts; keyed QI-class counts), seeded. Profiles (per release):

- ``small``: 6 columns, ~500 distinct values per linkable column, 300 QI classes;
- ``typical``: 10 columns incl. a postcode (4 resolutions) and a date (3), a 5,000-value
  record id, 2,000 QI classes;
- ``large``: as typical with a 20,000-value id and 10,000 QI classes.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_registry.py \
        [--releases 1000] [--profile typical] [--postgres] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from triage.store.register import NewRelease, ReleaseStore

TARGET_SECONDS = 5.0
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# column name -> (qi_kind or None, distinct values per resolution, finest first)
PROFILES: dict[str, dict[str, Any]] = {
    "small": {
        "columns": {
            "age": [90],
            "sex": [2],
            "ward": [30],
            "record_id": [500],
            "service": [12],
            "status": [5],
        },
        "qi_classes": 300,
    },
    "typical": {
        "columns": {
            "record_id": [5_000],
            "age": [90],
            "sex": [2],
            "postcode": [2_000, 300, 40, 5],
            "event_date": [365, 12, 1],
            "ethnicity": [18],
            "ward": [30],
            "service": [12],
            "outcome": [6],
            "notes_flag": [2],
        },
        "qi_classes": 2_000,
    },
    "large": {
        "columns": {
            "record_id": [20_000],
            "age": [90],
            "sex": [2],
            "postcode": [8_000, 600, 40, 5],
            "event_date": [365, 12, 1],
            "ethnicity": [18],
            "ward": [30],
            "service": [12],
            "outcome": [6],
            "notes_flag": [2],
        },
        "qi_classes": 10_000,
    },
}


def _counts(rng: np.random.Generator, n: int) -> dict[str, int]:
    keys = rng.integers(0, 2**63, size=n, dtype=np.int64)
    values = rng.integers(1, 50, size=n)
    return {f"{int(k):016x}": int(v) for k, v in zip(keys, values, strict=True)}


def synthetic_fingerprint(rng: np.random.Generator, profile: str) -> dict[str, Any]:
    """A fingerprint dict shaped like ``triage.mosaic.linkage.fingerprint`` output (keyed)."""
    spec = PROFILES[profile]
    columns: dict[str, Any] = {}
    for name, distincts in spec["columns"].items():
        sketches = {}
        for level, distinct in enumerate(distincts):
            sketches[f"r{level}"] = {
                "distinct": distinct,
                "minhash": [int(v) for v in rng.integers(0, 2**32, size=128)],
                "hll": base64.b64encode(
                    rng.integers(0, 20, 1024, dtype=np.int8).tobytes()
                ).decode(),
                "counts": _counts(rng, distinct),
                "min_count": 1,
                "max_count": 49,
            }
        columns[name] = {
            "role": "quasi_identifier",
            "entities": [],
            "qi_kind": None,
            "sensitive_kind": None,
            "link_kind": "value",
            "domain": {"type": "string", "kind": "generic", "distinct": distincts[0]},
            "sketches": sketches,
        }
    return {
        "version": 1,
        "keyed": True,
        "key_id": "k" * 16,
        "rows": 5_000,
        "person_related": True,
        "minhash": {"num_perm": 128, "seed": 1, "scheme": "affine32"},
        "columns": columns,
        "qi_classes": {
            "columns": ["age", "sex", "ward"],
            "resolutions": [None, None, None],
            "counts": _counts(rng, spec["qi_classes"]),
        },
    }


def run(url: str, releases: int, profile: str, seed: int, candidates: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    fingerprints = [synthetic_fingerprint(rng, profile) for _ in range(min(releases, 50))]
    fp_bytes = sum(len(json.dumps(f, separators=(",", ":"))) for f in fingerprints) / len(
        fingerprints
    )
    with ReleaseStore.open(url) as store:
        start = time.perf_counter()
        for i in range(releases):
            store.add(
                NewRelease(
                    name=f"release-{i}.csv",
                    dataset_sha256=f"{i:064x}",
                    rows=5_000,
                    columns={"age": {"role": "quasi_identifier", "entities": []}},
                    fingerprint=fingerprints[i % len(fingerprints)],
                    released_at=T0 + dt.timedelta(hours=i),
                    created_by="bench",
                    destination="open-data",
                )
            )
        add_s = time.perf_counter() - start
    # a check opens the store afresh (like a new CLI process), loads every summary, then the
    # full fingerprints of the candidate releases that share linkable columns
    start = time.perf_counter()
    with ReleaseStore.open(url) as store:
        opened = time.perf_counter()
        summaries = store.active_records(summaries=True)
        summaries_s = time.perf_counter() - opened
        t = time.perf_counter()
        full = store.fingerprints([r.id for r in summaries[:candidates]])
        candidates_s = time.perf_counter() - t
        check_s = time.perf_counter() - start
        t = time.perf_counter()
        records = store.active_records()
        loaded = time.perf_counter()
        listed = store.list_releases()
        list_s = time.perf_counter() - loaded
    assert len(records) == len(listed) == len(summaries) == releases
    assert len(full) == min(candidates, releases)
    summary_kb = sum(len(json.dumps(r.fingerprint)) for r in summaries[:50]) / min(50, releases)
    return {
        "releases": releases,
        "profile": profile,
        "fingerprint_kb": round(fp_bytes / 1024, 1),
        "add_total_s": round(add_s, 2),
        "add_per_release_ms": round(1000 * add_s / releases, 2),
        "summary_kb": round(summary_kb / 1024, 1),
        "open_s": round(opened - start, 3),
        "summaries_s": round(summaries_s, 3),
        "candidates": min(candidates, releases),
        "candidates_s": round(candidates_s, 3),
        "check_store_s": round(check_s, 3),
        "load_all_full_s": round(loaded - t, 3),
        "list_s": round(list_s, 3),
        "target_s": TARGET_SECONDS,
        "ok": check_s < TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=1_000)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="typical")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--candidates", type=int, default=20, help="full fingerprints loaded after the summaries"
    )
    parser.add_argument("--postgres", action="store_true", help="also run on " + PG_SERVER)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'registry.db'}"
        result = run(url, args.releases, args.profile, args.seed, args.candidates)
        result["database"] = "sqlite"
        result["db_mb"] = round((Path(tmp) / "registry.db").stat().st_size / 1024**2, 1)
        results.append(result)
    if args.postgres:
        admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        schema = f"triage_bench_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
            result = run(url, args.releases, args.profile, args.seed, args.candidates)
            result["database"] = "postgresql"
            result["db_mb"] = None
            results.append(result)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    print(
        "| database | releases | profile | fingerprint KB (summary KB) | add ms/release "
        "| open s | summaries s | candidates (s) | check store s (target < 5) "
        "| all full fingerprints s | list s | DB MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['database']} | {r['releases']} | {r['profile']} "
            f"| {r['fingerprint_kb']} ({r['summary_kb']}) | {r['add_per_release_ms']} "
            f"| {r['open_s']} | {r['summaries_s']} | {r['candidates']} ({r['candidates_s']}) "
            f"| {r['check_store_s']} {'ok' if r['ok'] else 'SLOW'} | {r['load_all_full_s']} "
            f"| {r['list_s']} | {r['db_mb'] if r['db_mb'] is not None else '-'} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
