"""Durable jobs and the audit log: leases, fencing, failures, tamper evidence, and a kill -9
test with a worker in a subprocess."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_harness import alive, descendants

from triage.api import audit
from triage.api.app import create_app
from triage.api.cli_hooks import audit_verify
from triage.api.cli_hooks import create_key as hook_create_key
from triage.api.db import audit_log, jobs, submissions
from triage.api.jobs.pool import set_parent_death_signal
from triage.api.jobs.queue import claim_job, complete_job, requeue_expired
from triage.api.jobs.worker import Worker
from triage.api.security import create_key
from triage.api.settings import ApiSettings
from triage.store.register import releases

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
AIR = (EXAMPLES / "air_quality.csv").read_bytes()


def setup(tmp_path: Path) -> tuple[ApiSettings, TestClient, str]:
    settings = ApiSettings(
        db_url=f"sqlite:///{tmp_path / 'triage.db'}",
        data_dir=tmp_path / "data",
        nlp_model=None,
        lease_seconds=3.0,
    )
    app = create_app(settings)
    key = create_key(app.state.service.engine, "submitter", "alice")
    return settings, TestClient(app), key


def submit(client: TestClient, key: str, data: bytes = AIR, name: str = "air.csv") -> str:
    res = client.post(
        "/v1/submissions",
        headers={"X-API-Key": key},
        files=[("files", (name, data, "text/csv"))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    return str(res.json()["id"])


# ---- audit log ------------------------------------------------------------------------------


def _audited(tmp_path: Path) -> tuple[ApiSettings, sa.Engine]:
    settings, client, key = setup(tmp_path)
    for _ in range(3):
        submit(client, key)
    engine = client.app.state.service.engine  # type: ignore[attr-defined]
    Worker(settings, engine).drain()
    assert audit.verify_audit(engine) == []
    assert audit_verify(settings.db_url) == 0
    return settings, engine


def _edit(conn: sa.Connection) -> None:
    conn.execute(
        audit_log.update()
        .where(audit_log.c.seq == 4)
        .values(details=json.dumps({"decision": "release"}, separators=(",", ":")))
    )


def _edit_actor(conn: sa.Connection) -> None:
    conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(actor="key:99"))


def _delete(conn: sa.Connection) -> None:
    conn.execute(audit_log.delete().where(audit_log.c.seq == 3))


def _insert(conn: sa.Connection) -> None:
    # shift the tail and splice in a well-formed entry linked to its predecessor
    rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq.desc())).all()
    for row in rows:
        if row.seq >= 3:
            conn.execute(
                audit_log.update().where(audit_log.c.seq == row.seq).values(seq=row.seq + 1000)
            )
    for row in rows:
        if row.seq >= 3:
            conn.execute(
                audit_log.update().where(audit_log.c.seq == row.seq + 1000).values(seq=row.seq + 1)
            )
    prev = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.seq == 2)).scalar_one()
    entry = {
        "seq": 3,
        "at": "2026-01-01T00:00:00+00:00",
        "actor": "key:1",
        "action": "review",
        "subject": "x",
        "details": {},
    }
    conn.execute(
        audit_log.insert().values(
            seq=3,
            at=entry["at"],
            actor="key:1",
            action="review",
            subject="x",
            details="{}",
            prev_hash=prev,
            hash=audit.entry_hash(prev, entry),
        )
    )


def _append_forged(conn: sa.Connection) -> None:
    last = conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar_one()
    conn.execute(
        audit_log.insert().values(
            seq=last + 1,
            at="2026-01-01T00:00:00+00:00",
            actor="key:1",
            action="decision",
            subject="x",
            details="{}",
            prev_hash="0" * 64,
            hash="f" * 64,
        )
    )


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_edit, "entry 4: content does not match"),
        (_edit_actor, "entry 2: content does not match"),
        (_delete, "entry 4: expected sequence 3"),
        (_insert, "entry 4: content does not match"),
        (_append_forged, "does not link"),
    ],
)
def test_audit_tampering_is_found(tmp_path: Path, tamper: object, expected: str) -> None:
    settings, engine = _audited(tmp_path)
    with engine.begin() as conn:
        tamper(conn)  # type: ignore[operator]
    problems = audit.verify_audit(engine)
    assert problems and any(expected in p for p in problems), problems
    assert audit_verify(settings.db_url) == 1


def test_audit_failure_means_no_decision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, client, key = setup(tmp_path)
    sid = submit(client, key)
    engine = client.app.state.service.engine  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> int:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(audit, "append", broken)
    from triage.errors import StoreError

    with pytest.raises(StoreError):
        Worker(settings, engine).run_once()
    with engine.connect() as conn:
        row = conn.execute(sa.select(submissions).where(submissions.c.id == sid)).one()
        job = conn.execute(sa.select(jobs).where(jobs.c.submission_id == sid)).one()
    assert row.decision is None and row.report is None and job.status == "running"


# ---- leases ---------------------------------------------------------------------------------


def test_expired_lease_is_taken_over_and_the_stale_worker_commits_nothing(tmp_path: Path) -> None:
    settings, client, key = setup(tmp_path)
    sid = submit(client, key)
    engine = client.app.state.service.engine  # type: ignore[attr-defined]
    first = claim_job(engine, "worker-a", lease_seconds=0.0)
    assert first is not None and first.attempt == 1
    time.sleep(0.01)
    assert claim_job(engine, "worker-c", lease_seconds=60.0) is not None  # takes it over
    with engine.begin() as conn:  # and crashes too: expire its lease
        conn.execute(jobs.update().values(lease_expires=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    assert requeue_expired(engine) == 1
    worker = Worker(settings, engine, owner="worker-b")
    assert worker.run_once()
    report = {"decision": "withhold"}
    assert complete_job(engine, first, "worker-a", report, "stale") is False
    with engine.connect() as conn:
        row = conn.execute(sa.select(submissions).where(submissions.c.id == sid)).one()
        job = conn.execute(sa.select(jobs).where(jobs.c.submission_id == sid)).one()
    assert (row.decision, job.status, job.attempts) == ("release", "done", 3)
    assert "attempt-3" in row.result_dir
    decisions = [e for e in audit.entries(engine, sid) if e["action"] == "decision"]
    assert len(decisions) == 1
    assert claim_job(engine, "worker-d", 60.0) is None


def test_bad_input_fails_without_retry(tmp_path: Path) -> None:
    settings, client, key = setup(tmp_path)
    sid = submit(client, key, b"only_header\n", "empty.csv")
    engine = client.app.state.service.engine  # type: ignore[attr-defined]
    Worker(settings, engine).drain()
    status = client.get(f"/v1/submissions/{sid}", headers={"X-API-Key": key}).json()
    assert status["status"] == "failed" and status["attempts"] == 1
    assert status["error"].startswith("DataInputError")
    assert (
        client.get(f"/v1/submissions/{sid}/report", headers={"X-API-Key": key}).status_code == 409
    )


def test_cli_hook_create_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    token = hook_create_key(url, "reviewer", "rita")
    assert token.startswith("tri_") and len(token) > 40
    from triage.errors import ConfigError

    with pytest.raises(ConfigError):
        hook_create_key(url, "overlord", "x")


# ---- kill -9 --------------------------------------------------------------------------------


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status))
        return {str(s): int(n) for s, n in rows}


def _start_worker(settings: ApiSettings, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "triage.api.jobs.worker",
            "--db-url",
            settings.db_url,
            "--data-dir",
            str(settings.data_dir),
            "--nlp-model",
            "none",
            "--processes",
            "2",
            "--lease-seconds",
            "3",
        ],
        cwd=cwd,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # the worker dies with this test process, whatever happens to the test
        preexec_fn=set_parent_death_signal,
    )


def _wait_until_gone(pids: set[int], seconds: float = 15.0) -> set[int]:
    """The processes of ``pids`` still alive after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_kill_minus_nine_then_restart_finishes_every_job_exactly_once(tmp_path: Path) -> None:
    settings, client, key = setup(tmp_path)
    engine = client.app.state.service.engine  # type: ignore[attr-defined]
    ids = [submit(client, key) for _ in range(20)]
    log = tmp_path / "worker.log"
    first = _start_worker(settings, tmp_path, log)
    deadline = time.monotonic() + 120
    try:
        while _counts(engine).get("done", 0) < 3:
            assert time.monotonic() < deadline, log.read_text()
            assert first.poll() is None, log.read_text()
            time.sleep(0.05)
        checks = descendants(first.pid)
        assert len(checks) >= 2, checks  # the check processes (and multiprocessing's helper)
        os.kill(first.pid, signal.SIGKILL)  # the worker alone: its check processes must follow
        first.wait()
        assert _wait_until_gone(checks) == set(), "check processes outlived the worker"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    at_kill = _counts(engine)
    assert at_kill.get("done", 0) < 20, "the worker finished before it was killed"
    second = _start_worker(settings, tmp_path, log)
    checks = set()
    try:
        while _counts(engine).get("done", 0) < 20:
            assert time.monotonic() < deadline + 60, log.read_text()
            assert second.poll() is None, log.read_text()
            checks |= descendants(second.pid)
            time.sleep(0.1)
        os.kill(second.pid, signal.SIGTERM)  # a clean stop closes the check processes
        assert second.wait(timeout=30) == 0
        assert _wait_until_gone(checks) == set(), "check processes outlived the worker"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    assert _counts(engine) == {"done": 20}
    registered: list[int] = []
    for sid in ids:
        decisions = [e for e in audit.entries(engine, sid) if e["action"] == "decision"]
        assert len(decisions) == 1, sid
        registered += decisions[0]["details"]["registered"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(submissions.c.decision, submissions.c.result_dir)).all()
        in_register = conn.execute(sa.select(releases.c.id)).scalars().all()
    # the first copies are released, each registered once; later ones link with them: refer
    decided = [r.decision for r in rows]
    assert "release" in decided and set(decided) <= {"release", "refer"}
    assert sorted(registered) == sorted(in_register)
    assert len(registered) == decided.count("release")
    assert all(
        (settings.data_dir / r.result_dir / "result" / "report.json").is_file() for r in rows
    )
    assert audit.verify_audit(engine) == []
    assert audit_verify(settings.db_url) == 0


# ---- PostgreSQL -----------------------------------------------------------------------------


def test_postgresql_concurrent_claims_are_disjoint_and_audited(tmp_path: Path, pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = ApiSettings(db_url=pg_url, data_dir=tmp_path / "data", nlp_model=None)
    app = create_app(settings)
    engine = app.state.service.engine
    client = TestClient(app)
    key = create_key(engine, "submitter", "alice")
    ids = [submit(client, key) for _ in range(12)]

    def claim_all(owner: str) -> list[str]:
        got = []
        while (job := claim_job(engine, owner, 60.0)) is not None:
            assert complete_job(engine, job, owner, {"decision": "release"}, "x")
            got.append(job.submission_id)
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim_all, ["a", "b", "c", "d"]))
    claimed = [sid for r in results for sid in r]
    assert sorted(claimed) == sorted(ids)  # each exactly once
    assert audit.verify_audit(engine) == []
    real = submit(client, key)
    assert Worker(settings, engine).drain() == 1
    status = client.get(f"/v1/submissions/{real}", headers={"X-API-Key": key}).json()
    assert (status["status"], status["decision"]) == ("done", "release")
    assert audit_verify(pg_url) == 0


def test_migration_0002_upgrades_an_existing_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.store import register as store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with monkeypatch.context() as m:
        m.setattr(store, "MIGRATIONS", ("triage.store.migrations.r0001",))
        with store.ReleaseStore.open(url) as old:
            assert old.revision == "0001"
    with store.ReleaseStore.open(url) as new:
        assert new.revision == store.HEAD_REVISION == "0004"
        tables = set(sa.inspect(new._engine).get_table_names())
    assert {
        "releases",
        "submissions",
        "files",
        "jobs",
        "reviews",
        "audit_log",
        "api_keys",
    } <= tables


class _StuckExecutor:
    """An executor whose checks never finish (a check hung on a pathological input)."""

    def __init__(self) -> None:
        from concurrent.futures import Future

        self.futures: list[Future[object]] = []
        self._future = Future

    def capacity(self) -> int:
        return 1

    def submit(self, key: str, args: tuple[object, ...]) -> object:
        fut = self._future()
        fut.set_running_or_notify_cancel()  # running: cancel() cannot stop it
        self.futures.append(fut)
        return fut

    def close(self) -> None:
        pass


def test_a_check_past_its_time_limit_fails_closed_and_keeps_its_slot(tmp_path: Path) -> None:
    import dataclasses
    import threading

    settings, client, key = setup(tmp_path)
    settings = dataclasses.replace(settings, job_timeout_seconds=0.5, poll_seconds=0.05)
    engine = client.app.state.service.engine  # type: ignore[attr-defined]
    first, second = submit(client, key), submit(client, key)
    executor = _StuckExecutor()
    stop = threading.Event()
    worker = threading.Thread(target=Worker(settings, engine).run_forever, args=(stop, executor))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            status = client.get(f"/v1/submissions/{first}", headers={"X-API-Key": key}).json()
            if status["status"] == "failed":
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        time.sleep(1.0)  # past another time limit: the hung check still holds the only slot
        held = client.get(f"/v1/submissions/{second}", headers={"X-API-Key": key}).json()
    finally:
        stop.set()
        worker.join(timeout=10)
    assert status["decision"] is None and status["attempts"] == 1
    assert "ran longer than" in status["error"]
    assert held["status"] == "queued" and len(executor.futures) == 1
    assert [e["action"] for e in audit.entries(engine, first)] == ["submission", "job.failed"]
    assert audit.verify_audit(engine) == []
