"""The durable job queue: claim with a lease, renew it, commit or fail exactly once.

A job is claimed in one write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
``SELECT ... FOR UPDATE SKIP LOCKED``) that sets its lease owner and expiry and bumps its
attempt count. The result (decision, report, result folder, and the register entries of what a
release releases: :mod:`triage.api.services.releases`) is committed with the job's status change
and its audit entry in one transaction, fenced by the lease owner and attempt: a worker that
lost its lease commits nothing, and a job is committed (and registered) once. Jobs whose lease
expired (a crashed worker) are claimed again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from triage.api import audit
from triage.api.audit_checks import report_sha256
from triage.api.db import files, jobs, submissions, transaction, utcnow
from triage.api.schemas import JobStatus, ReviewState, SubmissionStatus
from triage.api.services import releases

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
    ``release_with_changes`` releases (:func:`triage.api.services.releases.load_register`) and its
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
