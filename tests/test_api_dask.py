"""The Dask executor of the durable jobs: checks run on a real ``distributed.LocalCluster``
(worker processes, loopback only) finish exactly once with the engine's decisions, also when a
Dask worker is killed mid-task; duplicated executions of one attempt are harmless; a scheduler
that cannot be reached holds no claim; a missing ``distributed`` is a clear one-line error."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from triage.api import audit
from triage.api.app import create_app
from triage.api.cli_hooks import audit_verify
from triage.api.db import jobs, submissions
from triage.api.jobs import executors, worker
from triage.api.jobs.executors import DaskExecutor
from triage.api.jobs.queue import ClaimedJob, claim_job, release_job
from triage.api.jobs.run import CheckOutcome, attempt_dir, run_check
from triage.api.jobs.worker import Worker, _job_args
from triage.api.security import create_key
from triage.api.settings import ApiSettings
from triage.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OWNER = "dask-test-worker"
INPUTS = ["air_quality.csv", "council_referrals.csv", "incidents.csv", "service_requests.csv"]

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="the optional 'distributed' package (triage[dask]) is not installed",
)


def setup(tmp_path: Path, **changes: Any) -> tuple[ApiSettings, sa.Engine, TestClient, str]:
    settings = ApiSettings(
        db_url=f"sqlite:///{tmp_path / 'triage.db'}",
        data_dir=tmp_path / "data",
        nlp_model=None,
        lease_seconds=3.0,
        poll_seconds=0.1,
        **changes,
    )
    app = create_app(settings)
    engine = app.state.service.engine
    return settings, engine, TestClient(app), create_key(engine, "submitter", "alice")


def submit(client: TestClient, key: str, name: str, data: bytes | None = None) -> str:
    res = client.post(
        "/v1/submissions",
        headers={"X-API-Key": key},
        files=[("files", (name, (EXAMPLES / name).read_bytes() if data is None else data))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    return str(res.json()["id"])


def rows(engine: sa.Engine) -> dict[str, Any]:
    query = sa.select(
        submissions.c.id,
        submissions.c.status,
        submissions.c.decision,
        submissions.c.result_dir,
        submissions.c.error,
        jobs.c.status.label("job_status"),
        jobs.c.attempts,
    ).join(jobs, jobs.c.submission_id == submissions.c.id)
    with engine.connect() as conn:
        return {str(r.id): r for r in conn.execute(query)}


def run_loop(
    settings: ApiSettings, engine: sa.Engine, finished: Callable[[], bool], seconds: float = 40
) -> Worker:
    """Run the worker loop (Dask executor from the settings) in a thread until ``finished``."""
    loop = Worker(settings, engine, owner=OWNER)
    stop = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            loop.run_forever(stop)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + seconds
    try:
        while not finished():
            assert not errors, errors
            assert time.monotonic() < deadline, rows(engine)
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and not errors, errors
    return loop


def claim_stub(sid: str) -> ClaimedJob:
    """Enough of a first-attempt claim to name its folder."""
    return ClaimedJob(0, sid, 1, "", False, ())


def decision_entries(engine: sa.Engine, sid: str) -> list[dict[str, Any]]:
    return [e for e in audit.entries(engine, sid) if e["action"] == "decision"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    """Two single-threaded Dask worker processes (nannies restart a killed one); loopback."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        local_directory=str(tmp_path / "dask-space"),
        silence_logs=logging.ERROR,
    ) as local:
        yield local


def _triage_prefix(local: Any) -> Any:
    found = [p for name, p in local.scheduler.task_prefixes.items() if name == "triage-check"]
    assert len(found) == 1, sorted(local.scheduler.task_prefixes)
    return found[0]


# ---- on a cluster ---------------------------------------------------------------------------


@needs_dask
def test_jobs_on_a_dask_cluster_finish_exactly_once_with_the_engines_decisions(
    tmp_path: Path, cluster: Any
) -> None:
    reference, ref_engine, ref_client, ref_key = setup(tmp_path / "inline")
    expected = {name: submit(ref_client, ref_key, name) for name in INPUTS}
    assert Worker(reference, ref_engine).drain() == len(INPUTS)
    ref_rows = rows(ref_engine)
    want = {name: ref_rows[sid].decision for name, sid in expected.items()}
    assert len(set(want.values())) >= 3, want  # the inputs exercise different outcomes

    settings, engine, client, key = setup(
        tmp_path / "dask", dask_scheduler=cluster.scheduler_address
    )
    ids = {name: submit(client, key, name) for name in INPUTS}
    bad = submit(client, key, "empty.csv", b"only_header\n")
    everything = [*ids.values(), bad]

    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [sys.executable, "-m", "triage.api.jobs.worker", "--db-url", settings.db_url]
    command += ["--data-dir", str(settings.data_dir), "--nlp-model", "none"]
    command += ["--lease-seconds", "3", "--dask-scheduler", cluster.scheduler_address]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 40
    try:
        while not all(r.job_status in ("done", "failed") for r in rows(engine).values()):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            code = proc.wait()
    assert code == 0, log.read_text()  # a clean stop: the Dask client closed

    got = rows(engine)
    assert set(got) == set(everything)
    for name, sid in ids.items():
        row = got[sid]
        assert (row.status, row.job_status, row.decision) == ("done", "done", want[name]), name
        assert row.attempts == 1, name  # one claim each: no lease lost, no Dask retry
        assert len(decision_entries(engine, sid)) == 1, name
        result = settings.data_dir / row.result_dir
        assert (result / "result" / "report.json").is_file()
        assert [p.name for p in result.parent.glob("run-*")] == [result.name]
        assert result.parent.parent == settings.data_dir / "submissions" / sid
        assert result.parent.name.startswith("attempt-1-")
    # a failing task fails the attempt as the pool does: bad input, no retry, no decision
    failed = got[bad]
    assert (failed.status, failed.job_status, failed.attempts) == ("failed", "failed", 1)
    assert failed.error.startswith("DataInputError")
    assert decision_entries(engine, bad) == []
    assert [e["action"] for e in audit.entries(engine, bad)][-1] == "job.failed"
    # the checks ran on the cluster, one task per job
    prefix = _triage_prefix(cluster)
    counts = (prefix.state_counts["memory"], prefix.state_counts["erred"], prefix.suspicious)
    assert counts == (len(INPUTS), 1, 0)
    assert audit.verify_audit(engine) == []
    assert audit_verify(settings.db_url) == 0


@needs_dask
def test_a_dask_worker_killed_mid_task_still_finishes_every_job_exactly_once(
    tmp_path: Path, cluster: Any
) -> None:
    from distributed import Client
    from distributed.diagnostics.plugin import WorkerPlugin

    gate = tmp_path / "gate"

    class HoldChecks(WorkerPlugin):
        """Fault injection: each check notes its process, then waits for the gate file (on
        every worker, also the one the nanny restarts), so a kill lands mid-task."""

        name = "triage-test-hold"

        def __init__(self, gate: str) -> None:
            self.gate = gate

        def setup(self, worker: Any) -> None:
            import triage.runner as runner

            real = runner.check_paths
            gate = Path(self.gate)

            def held(*args: Any, **kwargs: Any) -> Any:
                kwargs["progress"](f"test: started in process {os.getpid()}")
                deadline = time.monotonic() + 60
                while not gate.exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                return real(*args, **kwargs)

            runner.check_paths = held

    settings, engine, client, key = setup(tmp_path, dask_scheduler=cluster.scheduler_address)
    ids = [submit(client, key, "air_quality.csv") for _ in range(4)]
    with Client(cluster, set_as_default=False) as observer:
        observer.register_plugin(HoldChecks(str(gate)))
        pids = observer.run(os.getpid)
        killed: dict[str, float] = {}

        def finished() -> bool:
            if not killed:  # kill the worker process of a task that is inside its check
                started = [sid for sid in ids if "test: started" in progress_of(settings, sid)]
                for address, keys in sorted(observer.processing().items()):
                    inside = [sid for sid in started if any(sid in str(k) for k in keys)]
                    if inside:
                        os.kill(pids[address], signal.SIGKILL)
                        killed[inside[0]] = time.monotonic()
                        break
                return False
            # once the scheduler saw the worker die mid-task, and the held checks outlasted
            # their leases (renewed meanwhile), let the checks go
            (at,) = killed.values()
            outlasted = time.monotonic() - at > 1.5 * settings.lease_seconds
            if not gate.exists() and outlasted and _triage_prefix(cluster).suspicious >= 1:
                gate.touch()
            got = rows(engine)
            return all(got[s].job_status == "done" for s in ids)

        run_loop(settings, engine, finished, seconds=50)

    got = rows(engine)
    (victim,) = killed
    for sid in ids:
        # Dask ran the task again inside the same claim: no new attempt
        assert (got[sid].job_status, got[sid].attempts) == ("done", 1)
        # a copy checked after another copy's release links with it (the register): refer
        assert got[sid].decision in ("release", "refer")
        assert len(decision_entries(engine, sid)) == 1, sid
        result = settings.data_dir / got[sid].result_dir
        assert (result / "result" / "report.json").is_file()
        assert [p.name for p in result.parent.glob("run-*")] == [result.name]
    starts = [
        line
        for line in progress_of(settings, victim).splitlines()
        if line.startswith("test: started")
    ]
    assert len(starts) == 2 and len(set(starts)) == 2, starts  # two executions, two processes
    assert audit.verify_audit(engine) == []
    assert audit_verify(settings.db_url) == 0


def progress_of(settings: ApiSettings, sid: str) -> str:
    """The progress lines of a job's first attempt by the test's worker loop."""
    folder = attempt_dir(settings.data_dir, claim_stub(sid), OWNER)
    try:
        return (folder / "progress.txt").read_text(encoding="utf-8")
    except OSError:
        return ""


@needs_dask
def test_an_unreachable_scheduler_holds_no_claim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(executors, "DASK_CONNECT_SECONDS", 0.5)
    settings, engine, client, key = setup(tmp_path, dask_scheduler=f"tcp://127.0.0.1:{port}")
    sid = submit(client, key, "air_quality.csv")
    executor = DaskExecutor(settings.dask_scheduler or "")
    with caplog.at_level(logging.WARNING, logger="triage.api.jobs.executors"):
        assert executor.capacity() == 0
    assert "cannot reach the Dask scheduler" in caplog.text
    stop = threading.Event()
    thread = threading.Thread(target=Worker(settings, engine).run_forever, args=(stop,))
    thread.start()
    time.sleep(1.5)
    stop.set()
    thread.join(timeout=30)
    row = rows(engine)[sid]
    assert (row.status, row.job_status, row.attempts) == ("queued", "queued", 0)


# ---- without a cluster ----------------------------------------------------------------------


def test_duplicated_executions_of_one_attempt_are_harmless(tmp_path: Path) -> None:
    """What Dask does after losing a worker: the same task runs twice. Each execution keeps
    its own folder; one result is committed once; the other folder is dropped."""
    settings, engine, client, key = setup(tmp_path)
    sid = submit(client, key, "air_quality.csv")
    job = claim_job(engine, "owner-x", 60.0)
    assert job is not None
    args = _job_args(settings, job, "owner-x")
    first = run_check(*args)
    second = run_check(*args)
    assert first.result_dir != second.result_dir
    for outcome in (first, second):  # neither execution touched the other's folder
        assert (settings.data_dir / outcome.result_dir / "result" / "report.json").is_file()
    loop = Worker(settings, engine, owner="owner-x")
    loop._finish(job, second, None)
    loop._finish(job, first, None)  # the duplicate's result: fenced, nothing committed
    row = rows(engine)[sid]
    assert (row.job_status, row.decision, row.result_dir) == ("done", "release", second.result_dir)
    assert len(decision_entries(engine, sid)) == 1
    assert not (settings.data_dir / first.result_dir).exists()
    assert audit.verify_audit(engine) == []


def test_released_claim_does_not_count_as_an_attempt(tmp_path: Path) -> None:
    _, engine, client, key = setup(tmp_path)
    sid = submit(client, key, "air_quality.csv")
    job = claim_job(engine, "owner-x", 60.0)
    assert job is not None and job.attempt == 1
    assert release_job(engine, replace(job, attempt=2), "owner-x") is False  # fenced
    assert release_job(engine, job, "owner-y") is False
    assert release_job(engine, job, "owner-x") is True
    row = rows(engine)[sid]
    assert (row.status, row.job_status, row.attempts) == ("queued", "queued", 0)
    again = claim_job(engine, "owner-z", 60.0)
    assert again is not None and again.attempt == 1


class Finished:
    """A future whose task finished: ``result`` answers with ``value`` or raises it."""

    def __init__(self, value: object, status: str) -> None:
        self.value, self.status = value, status

    def done(self) -> bool:
        return True

    def result(self, timeout: float | None = None) -> object:
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


OUTCOME = CheckOutcome({"decision": "release"}, "submissions/x/attempt-1-a/run-b")


@pytest.mark.parametrize(
    ("value", "status", "last_try", "expected"),
    [
        (OUTCOME, "finished", False, "outcome"),
        (TimeoutError(), "finished", False, "later"),  # computed, not fetched yet
        (TimeoutError(), "finished", True, "TimeoutError"),
        (TimeoutError(), "error", False, "TimeoutError"),  # the check itself timed out
        (ValueError("boom"), "error", False, "ValueError"),
        ({"decision": "release"}, "finished", False, "TypeError"),
    ],
)
def test_collecting_a_finished_task(
    value: object, status: str, last_try: bool, expected: str
) -> None:
    got = executors.collect(Finished(value, status), 0.1, last_try)
    if expected == "later":
        assert got is None
    elif expected == "outcome":
        assert got == (OUTCOME, None)
    else:
        assert got is not None and got[0] is None and type(got[1]).__name__ == expected


@pytest.fixture
def no_distributed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError


@pytest.mark.usefixtures("no_distributed")
def test_missing_distributed_stops_the_worker_loop_at_once(tmp_path: Path) -> None:
    settings, engine, client, key = setup(tmp_path, dask_scheduler="tcp://127.0.0.1:8786")
    sid = submit(client, key, "air_quality.csv")
    with pytest.raises(ConfigError, match=r"'distributed' package is not installed"):
        Worker(settings, engine).run_forever(threading.Event())
    assert rows(engine)[sid].job_status == "queued"  # nothing was claimed


@pytest.mark.usefixtures("no_distributed")
def test_missing_distributed_is_a_one_line_startup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from triage.cli import EXIT_USAGE
    from triage.cli import main as cli_main

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the service started")

    monkeypatch.setattr(uvicorn, "run", never)
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    common = ["--db-url", url, "--data-dir", str(tmp_path / "d"), "--dask-scheduler"]
    assert cli_main(["serve", *common, "tcp://127.0.0.1:8786"]) == EXIT_USAGE
    assert worker.main([*common, "tcp://127.0.0.1:8786", "--nlp-model", "none"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err
    assert err[0].startswith("triage: error: a Dask scheduler is configured")
    assert err[1].startswith("triage worker: error: a Dask scheduler is configured")
    assert all("triage[dask]" in line for line in err)
