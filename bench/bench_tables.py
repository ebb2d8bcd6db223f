"""Benchmark: secondary suppression and the attacker check on a 3-D count table with margins.

Usage: ``python bench/bench_tables.py [--shape 20x30x10] [--seed 0] [--json]``.
The attacker check solves two LPs (min, max) per primary cell over the published margins.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from triage.tables.model import Dimension, Table, margins_from_interior
from triage.tables.suppression import (
    Protection,
    feasible_intervals,
    primary_suppression,
    secondary_suppression,
)


def make_table(shape: tuple[int, ...], seed: int, small: float = 0.05) -> Table:
    rng = np.random.default_rng(seed)
    inner = rng.poisson(60, size=shape)
    mask = rng.random(shape) < small
    inner[mask] = rng.integers(0, 10, size=int(mask.sum()))
    full = margins_from_interior(inner.astype(float))
    dims = [Dimension(f"d{i}", tuple(str(j) for j in range(n))) for i, n in enumerate(shape)]
    return Table("bench", "count", "n", dims, full, np.ones(full.shape, dtype=bool))


def run(shape: tuple[int, ...], seed: int) -> dict[str, float | int | str]:
    t = make_table(shape, seed)
    t0 = time.perf_counter()
    prim = primary_suppression(t)
    res = secondary_suppression(t, prim.mask, prune=False, verify=False)
    t1 = time.perf_counter()
    primaries = [tuple(int(x) for x in c) for c in np.argwhere(res.primary)]
    iv = feasible_intervals(t.values, res.suppressed, primaries)
    t2 = time.perf_counter()
    prot = Protection()
    bad = 0
    for c in primaries:
        up, low = prot.levels(float(t.values[c]))
        lo, hi = iv[c]
        bad += int(not (hi >= t.values[c] + up - 1e-6 and lo <= t.values[c] - low + 1e-6))
    return {
        "shape": "x".join(map(str, shape)),
        "cells_with_margins": int(t.values.size),
        "primary": int(res.primary.sum()),
        "secondary": int(res.secondary.sum()),
        "suppression_s": round(t1 - t0, 3),
        "attacker_lps": 2 * len(primaries),
        "attacker_s": round(t2 - t1, 3),
        "unprotected_after_attack": bad,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="20x30x10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    shape = tuple(int(x) for x in args.shape.split("x"))
    row = run(shape, args.seed)
    if args.json:
        print(json.dumps(row, indent=2))
        return
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")


if __name__ == "__main__":
    main()
