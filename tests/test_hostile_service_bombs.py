"""The service's side of the bombs (issue 13): each one submitted through the API ends fail
closed (a 4xx, or a failed job with a message, or a decision that releases nothing) and the
process doing the check stays within the CLI's memory bound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import (
    geojson_polygon_bomb,
    parquet_dictionary_bomb,
    xlsx_dimension_bomb,
    xlsx_zip_bomb,
)

TESTS = Path(__file__).resolve().parent
WALL_SECONDS = 120
PEAK_RSS_MB = 900

#: Submits one file to a fresh service (its worker drained inline, so the check runs in this
#: process) and writes the outcome as JSON to argv[3].
_SUBMIT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from service_harness import make_service
path, root, result = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
svc = make_service(f"sqlite:///{root / 'triage.db'}", root / "data")
res = svc.client.post(
    "/v1/submissions",
    headers=svc.h("alice"),
    files=[("files", (path.name, path.read_bytes(), "application/octet-stream"))],
    data={"destination": "open-data"},
)
outcome = {"http": res.status_code, "body": res.text[:2000]}
if res.status_code == 202:
    sid = res.json()["id"]
    svc.worker.drain()
    outcome["status"] = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    released = root / "data"
    outcome["released"] = sorted(str(p) for p in released.rglob("released/*"))
result.write_text(json.dumps(outcome))
"""

#: Forks the submitter from a small process, so its peak RSS is its own (see hostile_corpus).
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:]])
_, status, usage = os.wait4(child.pid, 0)
with open(os.environ["TRIAGE_TEST_RSS_FILE"], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _submit(path: Path, root: Path) -> tuple[dict, float, float]:
    result, rss = root / "outcome.json", root / ".rss"
    env = {**os.environ, "TRIAGE_TEST_RSS_FILE": str(rss)}
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, _SUBMIT, str(path), str(root), str(result), str(TESTS)],
        cwd=root,
        env=env,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=WALL_SECONDS * 2)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    wall = time.monotonic() - start
    assert proc.returncode == 0, proc.returncode
    peak = int(rss.read_text()) / 1024 if rss.is_file() else float("inf")
    return json.loads(result.read_text()), wall, peak


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (parquet_dictionary_bomb, "values expand to 3,604,000,000 bytes"),
        (lambda d: xlsx_zip_bomb(d, expanded_mb=60), "times to 62,916,090 bytes"),
        # its declared A1:XFD1048576 is not trusted: read as its 20,000 rows of one column
        (lambda d: xlsx_dimension_bomb(d, rows=20_000), None),
        (lambda d: geojson_polygon_bomb(d, vertices=200_000), "200,001 vertices"),
    ],
    ids=["parquet-dictionary", "xlsx-zip-ratio", "xlsx-dimension", "geojson-polygon"],
)
def test_service_bomb_fails_closed_in_bounded_memory(
    tmp_path: Path, build, message: str | None
) -> None:
    folder = tmp_path / "bomb"
    folder.mkdir()
    path = build(folder)
    root = tmp_path / "svc"
    root.mkdir()
    outcome, wall, rss = _submit(path, root)
    assert wall < WALL_SECONDS and rss < PEAK_RSS_MB, (wall, rss, outcome)
    if outcome["http"] != 202:  # refused at upload
        assert 400 <= outcome["http"] < 500 and message and message in outcome["body"], outcome
        return
    status = outcome["status"]
    if message is not None:
        assert (status["status"], status["decision"]) == ("failed", None), status
        assert message in status["error"], status
        assert not outcome["released"], outcome
    else:  # read, never released as given: it is rewritten from its checked cells
        assert status["status"] == "done", status
        assert status["decision"] != "release", status
