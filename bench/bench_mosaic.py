"""Speed of mosaic checks: linking two large datasets of a submission, and one dataset against
many registered fingerprints.

1. Two ``--rows``-row frames sharing a pseudonymised person id (A: id, age, sex; B: id, postcode
   district, ethnicity): profile + pair discovery + exact k after linkage. Target under 5 s.
2. ``--fingerprints`` fingerprints (keyed) of small synthetic releases, then one 2,000-row
   dataset assessed against all of them. Target under 5 s (fingerprint building not timed).

Classification is synthetic (fixed roles), so only mosaic code is timed.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_mosaic.py \
        [--rows 1000000] [--fingerprints 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import pandas as pd

from triage.classifiers.columns import ColumnClassification, DatasetClassification
from triage.mosaic.linkage import (
    LinkAssessment,
    SubmissionDataset,
    assess_against_fingerprints,
    assess_submission,
    fingerprint,
)
from triage.vocab import ColumnRole, Entity

KEY = b"bench-key"
TARGET = 5.0
_ROLES: dict[str, tuple[ColumnRole, str | None, tuple[Entity, ...]]] = {
    "person": (ColumnRole.NONE, None, ()),
    "case_key": (ColumnRole.NONE, None, ()),
    "age": (ColumnRole.QUASI_IDENTIFIER, "age", ()),
    "sex": (ColumnRole.QUASI_IDENTIFIER, "sex", ()),
    "district": (ColumnRole.QUASI_IDENTIFIER, "postcode", (Entity.UK_POSTCODE,)),
    "ethnicity": (ColumnRole.QUASI_IDENTIFIER, "ethnicity", ()),
}


def _cls(frame: pd.DataFrame) -> DatasetClassification:
    cols = {}
    for c in frame.columns:
        role, kind, ents = _ROLES[c]
        cols[c] = ColumnClassification(c, role, ents, (), {}, 0, kind, None)
    return DatasetClassification(cols, True, ())


def _frames(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = pd.Series(rng.integers(1 << 40, 1 << 60, rows)).map(lambda v: f"PS-{v:016x}")
    districts = np.array([f"{a}{n}" for a in ("LS", "BD", "HX", "WF", "HD") for n in range(1, 30)])
    a = pd.DataFrame(
        {
            "person": ids.to_numpy(object),
            "age": rng.integers(18, 90, rows).astype(str).astype(object),
            "sex": rng.choice(np.array(["M", "F"], dtype=object), rows),
        }
    )
    perm = rng.permutation(rows)
    b = pd.DataFrame(
        {
            "case_key": ids.to_numpy(object)[perm],
            "district": rng.choice(districts.astype(object), rows),
            "ethnicity": rng.choice(np.array(["W", "A", "B", "M", "O"], dtype=object), rows),
        }
    )
    return a, b


def _link_row(link: LinkAssessment) -> dict[str, Any]:
    return {
        "datasets": " + ".join(link.datasets),
        "linking_columns": ", ".join(p.label for p in link.pairs),
        "method": ", ".join(sorted({p.method for p in link.pairs})),
        "k_alone": f"{link.k_left} / {link.k_right}",
        "k_after": link.k_after,
        "upper_bound": link.k_is_upper_bound,
        "flagged": link.flagged,
    }


def bench_submission(rows: int) -> dict[str, Any]:
    a, b = _frames(rows, 1)
    ca, cb = _cls(a), _cls(b)
    t0 = time.perf_counter()
    links = assess_submission([SubmissionDataset("a", a, ca), SubmissionDataset("b", b, cb)])
    secs = time.perf_counter() - t0
    return {
        "case": f"link two {rows:,}-row datasets",
        "seconds": round(secs, 3),
        "target": TARGET,
        "ok": secs < TARGET,
        "links": [_link_row(link) for link in links],
    }


def bench_fingerprints(n: int) -> dict[str, Any]:
    fps: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    for i in range(n):
        _, b = _frames(300, 100 + i)
        fps[f"release-{i:04d}"] = fingerprint(b, _cls(b), KEY)
    built = time.perf_counter() - t0
    a, b = _frames(2000, 7)
    fps["target"] = fingerprint(b, _cls(b), KEY)
    t0 = time.perf_counter()
    links = assess_against_fingerprints(SubmissionDataset("a", a, _cls(a)), fps, KEY)
    secs = time.perf_counter() - t0
    return {
        "case": f"one 2,000-row dataset vs {n + 1:,} fingerprints",
        "seconds": round(secs, 3),
        "target": TARGET,
        "ok": secs < TARGET,
        "build_seconds": round(built, 3),
        "links": [_link_row(link) for link in links],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fingerprints", type=int, default=1000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    results = [bench_submission(args.rows), bench_fingerprints(args.fingerprints)]
    lines = ["| case | seconds | target | ok |", "|---|---:|---:|---|"]
    lines += [f"| {r['case']} | {r['seconds']} | < {r['target']} | {r['ok']} |" for r in results]
    lines += [
        "",
        "| case | datasets | linking columns | method | k alone | k after | bound | flagged |",
        "|---|---|---|---|---|---:|---|---|",
    ]
    for r in results:
        if not r["links"]:
            lines.append(f"| {r['case']} | (no links) | | | | | | |")
        for lk in r["links"]:
            lines.append(
                f"| {r['case']} | {lk['datasets']} | {lk['linking_columns']} | {lk['method']} | "
                f"{lk['k_alone']} | {lk['k_after']} | {lk['upper_bound']} | {lk['flagged']} |"
            )
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
