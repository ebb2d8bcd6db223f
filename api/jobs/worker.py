"""The job worker: claims jobs, runs each check in an executor, commits its result.

The check (:func:`triage.api.jobs.run.run_check`) runs in an executor
(:mod:`triage.api.jobs.executors`); the result is committed through the queue
(:mod:`triage.api.jobs.queue`), fenced by the lease, which is renewed while the task runs,
wherever it runs.

Run a worker from the shell: ``python -m triage.api.jobs.worker --db-url URL --data-dir DIR``
(``--dask-scheduler tcp://HOST:PORT`` to run the checks on a Dask cluster).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from triage.api.db import open_db
from triage.api.jobs.attempts import drop_attempt, drop_other_attempts, reap_stale_attempts
from triage.api.jobs.executors import (
    Executor,
    ExecutorUnavailable,
    JobFuture,
    collect,
    load_distributed,
    make_executor,
)
from triage.api.jobs.queue import (
    ClaimedJob,
    claim_job,
    complete_job,
    fail_job,
    release_job,
    renew_lease,
    requeue_expired,
)
from triage.api.jobs.run import CheckOutcome, attempt_dir, run_check
from triage.api.services import releases
from triage.api.settings import ApiSettings
from triage.context import DEFAULT_NLP_MODEL
from triage.errors import ConfigError, TriageError

log = logging.getLogger(__name__)

#: Tries to fetch a computed Dask result (each up to a sixth of the lease) before the attempt
#: is failed and the job queued again.
FETCH_TRIES = 9


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
                    got = collect(fut, fetch_timeout, last_try=missed >= FETCH_TRIES - 1)
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
    parser = argparse.ArgumentParser(prog="python -m triage.api.jobs.worker")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--nlp-model", default=DEFAULT_NLP_MODEL)
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
    # run the importable module's main, not __main__'s: one Worker class, and log lines named
    # triage.api.jobs.worker as when the service runs the worker
    from triage.api.jobs import worker as _importable

    raise SystemExit(_importable.main())
