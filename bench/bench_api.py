"""Load on the submission service: N concurrent clients on loopback submit ~1 MB CSVs.

Starts the real service (uvicorn + background worker with a process pool, through
``triage.api.cli_hooks.serve``) in a subprocess on a free port with a fresh SQLite database,
creates one submitter key per client, then every client submits one file at the same moment.
Measures the accept latency (request sent -> 202: files and rows durable), the accept
throughput, errors, and the time until every job is done. Goal: 50 clients, p95 accept under
200 ms, all jobs complete, zero errors.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/bench_api.py \
        [--clients 50] [--mb 1] [--processes 2] [--http-processes 2] [--settle 5]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from triage.api.cli_hooks import create_key

SERVER = """
import sys
from pathlib import Path
from triage.api.cli_hooks import serve
serve("127.0.0.1", int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), nlp_model=None,
      worker_processes=int(sys.argv[4]), http_processes=int(sys.argv[5]))
"""


def csv_bytes(target: int, seed: int) -> bytes:
    """A sensor-readings CSV of about ``target`` bytes (no personal data)."""
    rng = np.random.default_rng(seed)
    lines = ["sensor_id,timestamp,no2_ugm3,pm25_ugm3,temperature_c,status"]
    size = len(lines[0])
    i = 0
    while size < target:
        line = (
            f"AQ-{i % 40:03d},2024-06-{1 + (i // 960) % 28:02d}T{(i // 40) % 24:02d}:00:00,"
            f"{rng.uniform(5, 60):.1f},{rng.uniform(1, 40):.1f},{rng.uniform(-2, 30):.1f},ok"
        )
        lines.append(line)
        size += len(line) + 1
        i += 1
    return ("\n".join(lines) + "\n").encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=2, help="check processes")
    parser.add_argument("--http-processes", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds to wait after /readyz while the service starts its check processes",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench_api_"))
    db_url = f"sqlite:///{work / 'triage.db'}"
    keys = [create_key(db_url, "submitter", f"client-{i}") for i in range(args.clients)]
    files = [csv_bytes(int(args.mb * 1024**2), i) for i in range(args.clients)]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER,
            str(port),
            db_url,
            str(work / "data"),
            str(args.processes),
            str(args.http_processes),
        ],
        cwd=work,
        env=env,
        stdout=(work / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start; see " + str(work / "server.log"))
            time.sleep(0.2)

        time.sleep(args.settle)  # steady state: the check processes have imported the engine
        with httpx.Client(base_url=base, timeout=30) as client:  # and each key has been seen
            for key in keys:
                client.get("/v1/submissions?limit=1", headers={"X-API-Key": key})
        # each client's multipart body is encoded before the clock starts, so the load
        # generator (one Python process) is not the bottleneck: a real client encodes in C
        bodies = []
        for i in range(args.clients):
            req = httpx.Request(
                "POST",
                f"{base}/v1/submissions",
                files=[("files", (f"readings-{i}.csv", files[i], "text/csv"))],
                data={"destination": "open-data"},
            )
            bodies.append((req.headers["content-type"], req.read()))
        barrier = threading.Barrier(args.clients)

        def one(i: int) -> tuple[float, int, str]:
            with httpx.Client(base_url=base, timeout=60) as client:
                content_type, body = bodies[i]
                barrier.wait()
                t0 = time.perf_counter()
                res = client.post(
                    "/v1/submissions",
                    headers={"X-API-Key": keys[i], "Content-Type": content_type},
                    content=body,
                )
                took = time.perf_counter() - t0
                sid = res.json().get("id", "") if res.status_code == 202 else ""
                return took, res.status_code, sid

        t_start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(one, range(args.clients)))
        accept_wall = time.perf_counter() - t_start
        latencies = np.array([r[0] for r in results]) * 1000
        errors = sum(1 for r in results if r[1] != 202)
        pending = {(i, r[2]) for i, r in enumerate(results) if r[1] == 202}
        decisions: dict[str, int] = {}
        failed = 0
        with httpx.Client(base_url=base, timeout=30) as client:
            while pending and time.perf_counter() - t_start < args.timeout:
                for i, sid in sorted(pending):
                    res = client.get(f"/v1/submissions/{sid}", headers={"X-API-Key": keys[i]})
                    if res.status_code == 429:
                        continue
                    body = res.json()
                    if body["status"] in ("done", "failed"):
                        pending.discard((i, sid))
                        if body["status"] == "failed":
                            failed += 1
                        else:
                            decisions[body["decision"]] = decisions.get(body["decision"], 0) + 1
                time.sleep(0.5)
        all_done = time.perf_counter() - t_start
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    out: dict[str, Any] = {
        "clients": args.clients,
        "file_mb": args.mb,
        "worker_processes": args.processes,
        "http_processes": args.http_processes,
        "settle_s": args.settle,
        "accept_p50_ms": float(np.percentile(latencies, 50)),
        "accept_p95_ms": float(np.percentile(latencies, 95)),
        "accept_max_ms": float(latencies.max()),
        "accept_throughput_per_s": args.clients / accept_wall,
        "accept_throughput_mb_per_s": args.clients * args.mb / accept_wall,
        "errors": errors,
        "jobs_failed": failed,
        "jobs_unfinished": len(pending),
        "all_done_s": all_done,
        "jobs_per_s": (args.clients - len(pending)) / all_done,
        "decisions": decisions,
    }
    print("| measure | value |\n|---|---|")
    for k, v in out.items():
        print(f"| {k} | {v:.1f} |" if isinstance(v, float) else f"| {k} | {v} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0 if errors == 0 and failed == 0 and not pending else 1


if __name__ == "__main__":
    raise SystemExit(main())
