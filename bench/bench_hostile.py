"""Benchmark: small files with huge costs, each checked by the CLI in a child process.

Usage: ``python bench/bench_hostile.py [--keep DIR] [--json] [--check]``.

Builds each bomb of ``tests/hostile_corpus.py`` at full size in a temporary folder, runs
``triage check`` on it (pattern-only, open data) in a child process and prints, per bomb: the
input size, the child's peak RSS and wall time against their bounds, the budget that applies,
the exit code and decision, and the ratios to a baseline (the same check of a small ordinary
CSV in the same run). With ``--check`` the exit code is 1 when a bomb passed its bound or was
not refused as expected.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import hostile_corpus as hc

#: bounds on one check of a bomb, the same as the tests'
WALL_SECONDS = 90.0
PEAK_RSS_MB = 900.0


@dataclass(frozen=True)
class Case:
    """A bomb, the budget that stops it, the exit code expected and extra CLI options."""

    name: str
    build: Callable[[Path], Path]
    budget: str
    expected: int
    options: tuple[str, ...] = ()


CASES = (
    Case("baseline_csv", hc.ordinary_csv, "(an ordinary 200-row CSV)", 0),
    Case(
        "parquet_dictionary",
        hc.parquet_dictionary_bomb,
        "values expand to <= 1,024 MB (--max-expanded-mb)",
        2,
    ),
    Case("xlsx_dimension", hc.xlsx_dimension_bomb, "rows as stored, <= --max-rows", 10),
    Case("xlsx_zip_ratio", hc.xlsx_zip_bomb, "<= 100x or <= 50 MB expanded; <= 1,024 MB", 2),
    Case("geojson_polygon", hc.geojson_polygon_bomb, "<= 100,000 vertices per feature", 2),
    Case("json_deep", hc.deep_json, "<= 100 levels deep", 2),
    Case("csv_wide", hc.wide_csv, "<= 2,000 columns (--max-columns)", 2),
    Case("stopped_check", hc.ordinary_csv, "--timeout 1", 20, ("--timeout", "1")),
)


@dataclass(frozen=True)
class Row:
    """One measured check."""

    bomb: str
    input_bytes: int
    peak_rss_mb: float
    wall_seconds: float
    budget: str
    exit_code: int
    verdict: str
    within_bounds: bool
    as_expected: bool


def measure(case: Case, folder: Path) -> Row:
    """Build ``case``'s input in its own folder under ``folder`` and check it."""
    work = folder / case.name
    work.mkdir()
    path = case.build(work)
    args = ["check", path.name, "--destination", "open-data", "--out", "out", "--pattern-only"]
    done = hc.run_cli([*args, "--quiet", *case.options], work, timeout=WALL_SECONDS * 4)
    lines = done.stderr.strip().splitlines()
    verdict = done.stdout.strip() or (lines[-1][:90] if lines else "")
    return Row(
        case.name,
        path.stat().st_size,
        round(done.peak_rss_mb, 1),
        round(done.wall_seconds, 2),
        case.budget,
        done.code,
        verdict,
        done.wall_seconds < WALL_SECONDS and done.peak_rss_mb < PEAK_RSS_MB,
        done.code == case.expected,
    )


def table(rows: list[Row]) -> str:
    """The rows as a fixed-width table, with ratios to the baseline's RSS and wall time."""
    base = rows[0]
    head = (
        f"{'bomb':<19}{'input':>13}{'peak RSS MB':>13}{'x base':>8}{'wall s':>9}{'x base':>8}"
        f"  {'bounds':<7}{'exit':>5}  budget / verdict"
    )
    out = [head, "-" * len(head)]
    for r in rows:
        out.append(
            f"{r.bomb:<19}{r.input_bytes:>13,}{r.peak_rss_mb:>13,.0f}"
            f"{r.peak_rss_mb / base.peak_rss_mb:>8.2f}{r.wall_seconds:>9.1f}"
            f"{r.wall_seconds / base.wall_seconds:>8.2f}  {'ok' if r.within_bounds else 'OVER':<7}"
            f"{r.exit_code:>5}  {r.budget} / {r.verdict}"
        )
    out.append(f"bounds: wall < {WALL_SECONDS:.0f} s, peak RSS < {PEAK_RSS_MB:.0f} MB per check")
    return "\n".join(out)


def main() -> int:
    """Run every case; print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the inputs here and keep them")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bomb is not stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        rows = [measure(case, folder) for case in CASES]
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=1))
    else:
        print(table(rows))
        print(f"total {time.monotonic() - start:.0f} s")
    failed = [r.bomb for r in rows if not (r.within_bounds and r.as_expected)]
    if failed:
        print(f"not stopped as expected: {', '.join(failed)}", file=sys.stderr)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
