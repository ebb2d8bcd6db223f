"""Speed and memory of sensitive-site proximity: 1,000,000 points against 10,000 sites.

1. Generates (seeded numpy) ``--points`` BNG points and ``--sites`` sites with categories from
   ``triage.sites.DEFAULT_BUFFERS_M`` (buffers 100-1000 m) in a 100 km x 100 km box.
2. (a) Runs the vectorised ``triage.sites.proximity`` (one shapely 2 STRtree ``dwithin``
   query) in a child process: wall time and peak RSS (``getrusage(RUSAGE_CHILDREN)``).
3. (b) Runs two naive baselines on the first ``--slice`` points in the same run: a per-point
   Python loop with ``shapely.distance`` to every site (``proximity_naive``) and a per-point
   loop of STRtree queries; checks they agree with (a) on the slice.
4. Prints a Markdown table (target: (a) under 10 s on 2 cores) and writes ``--json``.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_sites.py \
        [--points 1000000] [--sites 10000] [--slice 2000] [--seed 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import shapely

from triage.sites import DEFAULT_BUFFERS_M, SiteRegister, make_register, proximity, proximity_naive

BOX_M = 100_000.0
ORIGIN = np.array([380_000.0, 380_000.0])
TARGET_S = 10.0


def make_data(n_points: int, n_sites: int, seed: int) -> tuple[np.ndarray, SiteRegister]:
    """Seeded points and register."""
    rng = np.random.default_rng(seed)
    pts = ORIGIN + rng.uniform(0, BOX_M, (n_points, 2))
    cats = rng.choice(sorted(DEFAULT_BUFFERS_M), n_sites)
    sites = ORIGIN + rng.uniform(0, BOX_M, (n_sites, 2))
    return pts, make_register(sites, cats)


def child(args: argparse.Namespace) -> None:
    """Run the vectorised proximity once and print JSON (time, counts)."""
    pts, reg = make_data(args.points, args.sites, args.seed)
    t0 = time.perf_counter()
    prox = proximity(pts, reg)
    elapsed = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "within": prox.records_within,
                "by_category": prox.counts,
                "slice_within": prox.within[: args.slice].tolist(),
            }
        )
    )


def naive_tree_loop(points: np.ndarray, reg: SiteRegister) -> np.ndarray:
    """Per-point STRtree query in a Python loop (the common hand-written approach)."""
    tree = shapely.STRtree(shapely.points(reg.xy))
    radii = reg.radii
    rmax = float(radii.max())
    out = np.zeros(len(points), dtype=bool)
    for i, (x, y) in enumerate(points):
        p = shapely.Point(x, y)
        idx = tree.query(p, predicate="dwithin", distance=rmax)
        if len(idx):
            d = np.hypot(reg.xy[idx, 0] - x, reg.xy[idx, 1] - y)
            out[i] = bool((d <= radii[idx]).any())
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 (1 when baselines disagree)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--slice", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args)
        return 0

    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--points",
        str(args.points),
        "--sites",
        str(args.sites),
        "--slice",
        str(args.slice),
        "--seed",
        str(args.seed),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd="/tmp")
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    res: dict[str, Any] = json.loads(proc.stdout)

    pts, reg = make_data(args.points, args.sites, args.seed)
    sl = pts[: args.slice]
    t1 = time.perf_counter()
    naive = proximity_naive(sl, reg)
    naive_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    loop = naive_tree_loop(sl, reg)
    loop_s = time.perf_counter() - t2
    agree = bool(np.array_equal(naive, res["slice_within"]) and np.array_equal(loop, naive))

    rate = args.points / res["seconds"]
    naive_rate = args.slice / naive_s
    loop_rate = args.slice / loop_s
    summary = {
        "points": args.points,
        "sites": args.sites,
        "cpus": os.cpu_count(),
        "proximity_seconds": round(res["seconds"], 3),
        "child_wall_seconds_incl_data_generation": round(wall, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "points_per_second": round(rate),
        "records_within": res["within"],
        "by_category": res["by_category"],
        "slice": args.slice,
        "naive_distance_loop_points_per_second": round(naive_rate),
        "naive_strtree_loop_points_per_second": round(loop_rate),
        "speedup_vs_distance_loop": round(rate / naive_rate, 1),
        "speedup_vs_strtree_loop": round(rate / loop_rate, 1),
        "baselines_agree": agree,
        "target_seconds": TARGET_S,
        "meets_target": res["seconds"] < TARGET_S,
    }
    lines = [
        f"## Sensitive-site proximity: {args.points:,} points x {args.sites:,} sites",
        "",
        "| measure | value |",
        "|---|---|",
        f"| vectorised proximity (STRtree dwithin) | {res['seconds']:.2f} s "
        f"(target < {TARGET_S:g} s: {'met' if summary['meets_target'] else 'MISSED'}) |",
        f"| points/s | {rate:,.0f} |",
        f"| peak RSS (child, incl. data) | {peak_mb:,.0f} MB |",
        f"| records within a buffer | {res['within']:,} |",
        f"| naive per-point distance loop ({args.slice:,} pts) | {naive_rate:,.0f} points/s "
        f"-> {summary['speedup_vs_distance_loop']:,}x |",
        f"| naive per-point STRtree loop ({args.slice:,} pts) | {loop_rate:,.0f} points/s "
        f"-> {summary['speedup_vs_strtree_loop']:,}x |",
        f"| baselines agree on the slice | {agree} |",
        f"| CPUs | {os.cpu_count()} |",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2)
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
