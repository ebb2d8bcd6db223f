"""Hostile requests and conditions for the submission service: each answers a 4xx (never a
500) in bounded time, stores nothing it should not, and keeps the data private at rest."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_harness import Service, alive, check_or_hang, make_service

from triage.api import audit
from triage.api.db import submissions, utcnow
from triage.api.jobs.executors import PoolExecutor
from triage.api.jobs.worker import Worker

CSV = b"site,reading\nA,1\nB,2\nC,3\n"
BOUNDARY = "hostile-boundary"


def _multipart(charset: str | None = None, fields: list[tuple[str, str]] | None = None) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
        for n, v in fields or [("destination", "open-data")]
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + CSV
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post_raw(svc: Service, body: bytes, charset: str | None = None) -> object:
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    if charset is not None:
        kind += f"; charset={charset}"
    return svc.client.post(
        "/v1/submissions", headers={**svc.h("alice"), "content-type": kind}, content=body
    )


def _stored(svc: Service) -> tuple[int, list[str]]:
    """Submission rows, and the submission folders on disk."""
    with svc.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one()
    folder = svc.settings.data_dir / "submissions"
    return int(rows), sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def quiet(svc: Service) -> Service:
    """The service whose client answers an unhandled error as the 500 a real client sees."""
    svc.client = TestClient(svc.client.app, raise_server_exceptions=False)
    return svc


# ---- bad requests answer 4xx and store nothing ----------------------------------------------

DEEP = 5000


@pytest.mark.parametrize(
    ("charset", "fields", "status", "detail"),
    [
        pytest.param(cs, None, 415, "not a text encoding", id=f"charset-{cs}")
        for cs in ("base64", "zlib", "rot13", "bz2_codec")
    ]
    + [
        pytest.param("no-such-codec", None, 415, "unsupported charset", id="charset-unknown"),
        pytest.param(
            None,
            [("destination", "internal"), ("destination", "open-data")],
            422,
            "'destination' given more than once",
            id="destination-twice",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("recipient", "a"), ("recipient", "b")],
            422,
            "'recipient' given more than once",
            id="recipient-twice",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("context", "a: " + "[" * DEEP + "]" * DEEP)],
            422,
            "nested deeper than",
            id="yaml-flow-nesting",
        ),
        pytest.param(
            None,
            [
                ("destination", "open-data"),
                ("context", "".join(f"{' ' * i}- \n" for i in range(40))),
            ],
            422,
            "nested deeper than",
            id="yaml-block-nesting",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("context", '{"a": ' * DEEP + "1" + "}" * DEEP)],
            422,
            "nested deeper than",
            id="json-nesting",
        ),
        pytest.param(
            None,
            [
                ("destination", "open-data"),
                ("context", "a: &x [1]\nb: [" + ", ".join(["*x"] * 200) + "]"),
            ],
            422,
            "aliases",
            id="yaml-alias-bomb",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("context", "a: [unclosed")],
            422,
            "not valid YAML",
            id="yaml-broken",
        ),
    ],
)
def test_hostile_forms_answer_4xx_and_store_nothing(
    quiet: Service,
    charset: str | None,
    fields: list[tuple[str, str]] | None,
    status: int,
    detail: str,
) -> None:
    started = time.monotonic()
    res = _post_raw(quiet, _multipart(charset, fields), charset)
    assert time.monotonic() - started < 10
    assert res.status_code == status, res.text  # type: ignore[attr-defined]
    assert res.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert detail in res.json()["detail"]  # type: ignore[attr-defined]
    assert _stored(quiet) == (0, [])


@pytest.mark.parametrize(
    ("names", "stored"),
    [
        (["a.csv", "a-3.csv", "a.csv"], ["a.csv", "a-3.csv", "a-2.csv"]),
        (["a.csv", "a-2.csv", "a.csv", "A.csv"], ["a.csv", "a-2.csv", "a-3.csv", "A-4.csv"]),
        (["x/a.csv", "y/a.csv", "a.csv"], ["a.csv", "a-2.csv", "a-3.csv"]),
        (["a.txt", "A.TXT", "a.txt"], ["a.txt", "A-2.txt", "a-3.txt"]),
    ],
)
def test_repeated_upload_names_are_kept_apart(
    quiet: Service, names: list[str], stored: list[str]
) -> None:
    """Repeated names are de-duplicated deterministically (``stem-N``, the first free N), so
    every file is checked; the status names each stored file with its hash."""
    data = [CSV + f"D,{i}\n".encode() for i in range(len(names))]
    files = [("files", (n, d, "text/plain")) for n, d in zip(names, data, strict=True)]
    res = quiet.client.post(
        "/v1/submissions", headers=quiet.h("alice"), files=files, data={"destination": "internal"}
    )
    assert res.status_code == 202, res.text
    status = quiet.client.get(f"/v1/submissions/{res.json()['id']}", headers=quiet.h("alice"))
    assert [f["name"] for f in status.json()["files"]] == stored
    folder = quiet.settings.data_dir / "submissions" / res.json()["id"] / "input"
    assert [(folder / n).read_bytes() for n in stored] == data


@pytest.mark.parametrize(
    "query",
    [
        "offset=9223372036854775808",
        "offset=" + "9" * 40,
        "offset=10000001",
        "offset=-1",
        "limit=9223372036854775808",
        "limit=0",
        "limit=1e3",
    ],
)
def test_huge_or_bad_paging_values_answer_422(quiet: Service, query: str) -> None:
    res = quiet.client.get(f"/v1/submissions?{query}", headers=quiet.h("alice"))
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")


def test_largest_offset_still_answers(quiet: Service) -> None:
    res = quiet.client.get("/v1/submissions?offset=10000000", headers=quiet.h("alice"))
    assert res.status_code == 200 and res.json() == []


# ---- a full disk --------------------------------------------------------------------------


def _submit(svc: Service, data: bytes = CSV, headers: dict[str, str] | None = None) -> object:
    return svc.client.post(
        "/v1/submissions",
        headers=headers or svc.h("alice"),
        files=[("files", ("a.csv", data, "text/csv"))],
        data={"destination": "open-data"},
    )


@pytest.mark.parametrize("where", ["below-minimum", "enospc-while-writing"])
def test_full_disk_answers_507_and_loses_nothing_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    db_url = f"sqlite:///{tmp_path / 'triage.db'}"
    svc = make_service(db_url, tmp_path / "data")
    first = _submit(svc)
    assert first.status_code == 202  # type: ignore[attr-defined]
    alice = svc.h("alice")
    kept = sorted(p.name for p in (svc.settings.data_dir / "submissions").iterdir())
    if where == "below-minimum":  # more free bytes demanded than any disk has
        svc = make_service(db_url, tmp_path / "data", min_free_bytes=2**62)
        assert svc.client.get("/readyz").status_code == 503
        assert svc.client.get("/readyz").json()["reason"] == "disk full"
    else:  # the kernel's own ENOSPC: the upload is written to /dev/full
        from triage.api.services import upload_stream

        monkeypatch.setattr(
            upload_stream, "create_private", lambda path: os.open("/dev/full", os.O_WRONLY)
        )
    svc.client = TestClient(svc.client.app, raise_server_exceptions=False)
    res = _submit(svc, CSV * 2000, alice)
    assert res.status_code == 507, res.text  # type: ignore[attr-defined]
    assert res.json()["title"] == "Insufficient Storage"  # type: ignore[attr-defined]
    assert sorted(p.name for p in (svc.settings.data_dir / "submissions").iterdir()) == kept
    sid = first.json()["id"]  # type: ignore[attr-defined]
    again = svc.client.get(f"/v1/submissions/{sid}", headers=alice)
    assert again.status_code == 200 and again.json()["files"][0]["name"] == "a.csv"


def test_readyz_is_ready_with_room_on_disk(svc: Service) -> None:
    assert svc.client.get("/readyz").json() == {"status": "ready"}


# ---- at rest ------------------------------------------------------------------------------


def _modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            out[path.relative_to(root).as_posix()] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_data_database_and_results_are_private(svc: Service) -> None:
    """The data folder and every folder under it 0700, every file 0600 (uploads, answers,
    results, reports, released files), the SQLite file and its -wal/-shm 0600, whatever the
    test process's umask."""
    old = os.umask(0o022)
    try:
        res = svc.client.post(
            "/v1/submissions",
            headers=svc.h("alice"),
            files=[("files", ("a.csv", CSV, "text/csv"))],
            data={"destination": "open-data", "context": "{}"},
        )
        assert res.status_code == 202, res.text
        assert svc.worker.drain() == 1
    finally:
        os.umask(old)
    modes = _modes(svc.settings.data_dir)
    files = [p for p in modes if (svc.settings.data_dir / p).is_file()]
    assert any(p.endswith("/report.json") for p in files)
    assert any(p.endswith("/input/a.csv") for p in files)
    assert any(p.endswith("/context.yaml") for p in files)
    wrong = {p: oct(m) for p, m in modes.items() if m != (0o600 if p in files else 0o700)}
    assert wrong == {}
    database = Path(svc.settings.db_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{database}{suffix}").stat().st_mode) == 0o600, suffix


# ---- a check past its time limit ------------------------------------------------------------


def _wait_for(svc: Service, sid: str, headers: dict[str, str], seconds: float) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        status = svc.client.get(f"/v1/submissions/{sid}", headers=headers).json()
        if status["status"] in ("done", "failed"):
            return dict(status)
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def test_a_check_past_its_time_limit_is_killed_and_its_slot_reused(tmp_path: Path) -> None:
    """One check process, a check that never ends: at the time limit its process is killed
    (not waited for), the job fails closed (no decision, audited, not retried), its attempt
    folder is removed, and a fresh process checks the next submission in the same slot."""
    import threading

    svc = make_service(
        f"sqlite:///{tmp_path / 'triage.db'}",
        tmp_path / "data",
        job_timeout_seconds=10.0,
        poll_seconds=0.05,
    )
    alice = svc.h("alice")
    hung, after = (_submit_named(svc, name, alice)["id"] for name in ("hang.csv", "air.csv"))
    executor = PoolExecutor(1, check=check_or_hang)
    first_pid = executor.pids()[0]
    stop = threading.Event()
    started = time.monotonic()
    thread = threading.Thread(
        target=Worker(svc.settings, svc.engine).run_forever, args=(stop, executor)
    )
    thread.start()
    try:
        failed = _wait_for(svc, hung, alice, 60)
        assert time.monotonic() - started < 40  # the time limit, not the hour the check wanted
        done = _wait_for(svc, after, alice, 60)
        assert not alive(first_pid)
        (second_pid,) = executor.pids()
        assert second_pid != first_pid
    finally:
        stop.set()
        thread.join(timeout=30)
    assert (failed["status"], failed["decision"], failed["attempts"]) == ("failed", None, 1)
    assert "ran longer than" in str(failed["error"])
    assert done["status"] == "done" and done["decision"] is not None, done["error"]
    assert [e["action"] for e in audit.entries(svc.engine, hung)] == ["submission", "job.failed"]
    assert list((svc.settings.data_dir / "submissions" / hung).glob("attempt-*")) == []
    assert not thread.is_alive() and not alive(second_pid) and executor.pids() == []


def _submit_named(svc: Service, name: str, headers: dict[str, str]) -> dict[str, str]:
    res = svc.client.post(
        "/v1/submissions",
        headers=headers,
        files=[("files", (name, CSV, "text/csv"))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    return dict(res.json())


# ---- the disk stays bounded: attempt folders ------------------------------------------------


def test_failed_attempts_leave_no_folders(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that keeps failing (an internal error: retried) writes into a fresh attempt
    folder each time; each is removed when it fails, and the job ends failed, never released."""
    from triage.api.jobs import worker as worker_module

    real = worker_module.run_check
    written: list[Path] = []

    def failing(*args: object) -> object:
        out = Path(str(args[4]))
        (out / "run-partial").mkdir(parents=True)
        (out / "run-partial" / "big.bin").write_bytes(b"x" * 100_000)
        written.append(out)
        raise RuntimeError("engine crashed")

    sid = _submit_named(svc, "a.csv", svc.h("alice"))["id"]
    monkeypatch.setattr(worker_module, "run_check", failing)
    assert svc.worker.drain() == 3
    monkeypatch.setattr(worker_module, "run_check", real)
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["status"], status["decision"]) == ("failed", None)
    assert len(written) == 3 and not any(p.exists() for p in written)
    assert sorted(p.name for p in (svc.settings.data_dir / "submissions" / sid).iterdir()) == [
        "input"
    ]


def test_a_committed_result_removes_the_other_attempts(svc: Service) -> None:
    sid = _submit_named(svc, "a.csv", svc.h("alice"))["id"]
    stale = svc.settings.data_dir / "submissions" / sid / "attempt-7-deadbeef" / "run-x"
    stale.mkdir(parents=True)
    assert svc.worker.drain() == 1
    attempts = list((svc.settings.data_dir / "submissions" / sid).glob("attempt-*"))
    assert len(attempts) == 1 and attempts[0].name.startswith("attempt-1-")


def _make_attempts(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name / "run-abc" / "result").mkdir(parents=True, exist_ok=True)


def test_start_reaps_stale_attempts_and_orphan_folders(svc: Service) -> None:
    """What a crash left behind is removed when a worker starts: failed jobs' attempt folders,
    a finished job's uncommitted attempts, earlier attempts of a queued job, and old upload
    folders without a submission; the committed run, the current attempt and young uploads
    stay."""
    from triage.api.db import jobs
    from triage.api.jobs.attempts import ORPHAN_SECONDS, reap_stale_attempts

    alice = svc.h("alice")
    done, failed, queued = (_submit_named(svc, "a.csv", alice)["id"] for _ in range(3))
    root = svc.settings.data_dir / "submissions"
    assert svc.worker.run_once()  # the first: done, committed in attempt-1-*
    (committed,) = [p.name for p in (root / done).glob("attempt-*")]
    _make_attempts(root / done, "attempt-2-aaaaaaaa")
    _make_attempts(root / failed, "attempt-1-aaaaaaaa", "attempt-2-bbbbbbbb")
    _make_attempts(root / queued, "attempt-1-aaaaaaaa", "attempt-2-bbbbbbbb")
    now = utcnow()
    with svc.engine.begin() as conn:
        conn.execute(submissions.update().where(submissions.c.id == failed).values(status="failed"))
        conn.execute(
            jobs.update().where(jobs.c.submission_id == failed).values(status="failed", attempts=2)
        )
        conn.execute(
            jobs.update().where(jobs.c.submission_id == queued).values(attempts=2, created_at=now)
        )
    old, young = root / "orphan-old", root / "orphan-young"
    for orphan in (old, young):
        (orphan / "input").mkdir(parents=True)
    os.utime(old, (time.time() - ORPHAN_SECONDS - 60,) * 2)
    assert reap_stale_attempts(svc.engine, svc.settings.data_dir) == 5
    left = {p.relative_to(root).as_posix() for p in root.glob("*/attempt-*")} | {
        p.name for p in root.glob("orphan-*")
    }
    assert left == {f"{done}/{committed}", f"{queued}/attempt-2-bbbbbbbb", "orphan-young"}
    report = svc.client.get(f"/v1/submissions/{done}/report", headers=alice)
    assert report.status_code == 200


@pytest.mark.parametrize(
    "live_service", [[], ["--http-processes", "2"]], indirect=True, ids=["one", "two-http"]
)
def test_kill_minus_nine_of_the_service_leaves_no_check_process(live_service: object) -> None:
    """``triage serve`` killed with SIGKILL: its check processes (and HTTP processes) die
    with it instead of running on as orphans."""
    import signal

    from service_harness import descendants

    proc = live_service.proc  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while len(below := descendants(proc.pid)) < 1:
        assert time.monotonic() < deadline, "no check process started"
        time.sleep(0.1)
    time.sleep(1.0)  # every check process started
    below = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 15
    while (left := {p for p in below if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == set()
