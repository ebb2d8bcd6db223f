"""Submissions: intake (durable files, rows, job), what the caller sees, reports, downloads."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from triage.api import audit
from triage.api.db import files, jobs, submissions, transaction, utcnow
from triage.api.deps import ServiceState
from triage.api.jobs.queue import ClaimedJob
from triage.api.jobs.run import attempt_dir
from triage.api.schemas import (
    FileInfo,
    JobStatus,
    ReviewState,
    SubmissionInfo,
    SubmissionStatus,
)
from triage.api.security import Principal, Role
from triage.api.services.errors import Conflict, NotFound
from triage.api.services.results import released_dir, released_names
from triage.api.services.upload_stream import StreamedForm
from triage.api.services.uploads import finish_upload, parse_answers
from triage.api.storage import create_private, fsync_dir
from triage.errors import ConfigError, DataInputError
from triage.questionnaire import builtin_questionnaire, load_answers
from triage.vocab import Destination


def visible(principal: Principal) -> sa.ColumnElement[bool]:
    """The submissions ``principal`` may see: a submitter only their own."""
    if principal.role is Role.SUBMITTER:
        return submissions.c.owner_key_id == principal.key_id
    return sa.true()


def load_submission(state: ServiceState, principal: Principal, sid: str) -> sa.Row[Any]:
    """The submission ``sid`` if the caller may see it, else :class:`NotFound`."""
    with transaction(state.engine) as conn:
        row = conn.execute(
            sa.select(submissions).where(submissions.c.id == sid, visible(principal))
        ).first()
    if row is None:  # another submitter's submission looks exactly like a missing one
        raise NotFound("no such submission")
    return row


def require_done(row: sa.Row[Any]) -> None:
    """:class:`Conflict` unless the check is finished."""
    if row.status != SubmissionStatus.DONE:
        raise Conflict(f"the check is not finished (status {row.status})")


def submission_info(state: ServiceState, principal: Principal, row: sa.Row[Any]) -> SubmissionInfo:
    """What the caller is shown of a submission: state, progress, decision, files."""
    with transaction(state.engine) as conn:
        file_rows = conn.execute(
            sa.select(files.c.name, files.c.size, files.c.sha256)
            .where(files.c.submission_id == row.id)
            .order_by(files.c.id)
        ).all()
        job = conn.execute(
            sa.select(jobs.c.attempts, jobs.c.lease_owner).where(jobs.c.submission_id == row.id)
        ).first()
    progress = None
    if row.status == SubmissionStatus.RUNNING and job is not None and job.lease_owner:
        claimed = ClaimedJob(0, str(row.id), int(job.attempts), "", False, ())
        pfile = attempt_dir(state.settings.data_dir, claimed, str(job.lease_owner))
        try:
            lines = (pfile / "progress.txt").read_text(encoding="utf-8").splitlines()
            progress = lines[-1] if lines else "starting"
        except OSError:
            progress = "starting"
    elif row.status == SubmissionStatus.QUEUED:
        progress = "waiting for a worker"
    elif row.status == SubmissionStatus.DONE:
        progress = "finished"
    return SubmissionInfo(
        id=row.id,
        destination=row.destination,
        status=row.status,
        progress=progress,
        attempts=int(job.attempts) if job is not None else 0,
        decision=row.decision,
        final_decision=row.final_decision,
        review_state=row.review_state,
        recipient=row.recipient,
        purpose=row.purpose,
        error=row.error,
        files=[FileInfo(name=f.name, size=int(f.size), sha256=f.sha256) for f in file_rows],
        released=released_names(state, row) if row.final_decision else [],
        created_at=row.created_at.isoformat(),
        updated_at=row.updated_at.isoformat(),
        mine=int(row.owner_key_id) == principal.key_id,
    )


def find_submissions(
    state: ServiceState,
    principal: Principal,
    status: SubmissionStatus | None,
    decision: str | None,
    review_state: ReviewState | None,
    limit: int,
    offset: int,
) -> list[SubmissionInfo]:
    """Submissions the caller may see (a submitter: only their own), newest first."""
    query = sa.select(submissions).where(visible(principal))
    if status is not None:
        query = query.where(submissions.c.status == status)
    if decision is not None:
        query = query.where(
            sa.func.coalesce(submissions.c.final_decision, submissions.c.decision) == decision
        )
    if review_state is not None:
        query = query.where(submissions.c.review_state == review_state)
    query = query.order_by(submissions.c.created_at.desc()).limit(limit).offset(offset)
    with transaction(state.engine) as conn:
        rows = conn.execute(query).all()
    return [submission_info(state, principal, r) for r in rows]


def report_html(state: ServiceState, principal: Principal, sid: str) -> str:
    """The self-contained ``report.html`` of a finished check."""
    row = load_submission(state, principal, sid)
    require_done(row)
    path = state.settings.data_dir / row.result_dir / "result" / "report.html"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise NotFound("the HTML report is missing") from None


def released_file(state: ServiceState, principal: Principal, sid: str, name: str) -> Path:
    """The released (treated, formula-escaped) file ``name``, once the decision allows
    release; the download is audited."""
    row = load_submission(state, principal, sid)
    require_done(row)
    if row.final_decision not in ("release", "release_with_changes"):
        raise Conflict("nothing is released for this submission")
    names = released_names(state, row)
    if name not in names:  # only names from the folder listing; never a client path
        raise NotFound("no such released file")
    folder = released_dir(state, row)
    assert folder is not None
    with transaction(state.engine, write=True) as conn:
        audit.append(conn, principal.actor, "download", sid, {"file": name})
    return folder / name


def text_field(value: object, name: str, limit: int) -> str | None:
    """A form's text field, stripped (None when empty or absent); :class:`DataInputError`
    when it is not text or longer than ``limit``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise DataInputError(f"{name} must be a text field")
    value = value.strip()
    if len(value) > limit:
        raise DataInputError(f"{name} is longer than {limit} characters")
    return value or None


def supersedes_field(text: str | None) -> list[str] | None:
    """The ``supersedes`` field: one registered release name per line (``NAME``, or
    ``FILE=NAME`` with several files), as ``triage check --supersedes``."""
    if text is None:
        return None
    specs = [line.strip() for line in text.splitlines() if line.strip()]
    if len(specs) > 20:
        raise DataInputError("supersedes names more than 20 releases")
    return specs or None


def persist(
    state: ServiceState,
    principal: Principal,
    sid: str,
    form: StreamedForm,
    destination: Destination,
    recipient: str | None,
    purpose: str | None,
    context_text: str | None,
    supersedes: list[str] | None = None,
) -> None:
    """Make the streamed files durable (fsync), then write the submission, file, job and
    audit rows in one transaction. Blocking: runs in a worker thread."""
    folder = state.settings.data_dir / "submissions" / sid
    inputs = folder / "input"
    digests = [finish_upload(part.path) for part in form.files]
    if context_text is not None:
        parsed = parse_answers(context_text)
        if not isinstance(parsed, dict):
            raise ConfigError("context must be a mapping of answers")
        ctx_path = folder / "context.yaml"
        with os.fdopen(create_private(ctx_path), "w", encoding="utf-8") as fh:
            fh.write(context_text)
        load_answers(ctx_path, builtin_questionnaire(), destination)
    fsync_dir(inputs)
    fsync_dir(folder)
    stored = [
        {
            "name": part.name,
            "stored_path": f"submissions/{sid}/input/{part.name}",
            "size": part.size,
            "sha256": digest,
            "kind": part.path.suffix.lower().lstrip("."),
        }
        for part, digest in zip(form.files, digests, strict=True)
    ]
    now = utcnow()
    with transaction(state.engine, write=True) as conn:
        conn.execute(
            submissions.insert().values(
                id=sid,
                owner_key_id=principal.key_id,
                destination=destination.value,
                recipient=recipient,
                purpose=purpose,
                has_context=context_text is not None,
                supersedes=json.dumps(supersedes) if supersedes else None,
                status=SubmissionStatus.QUEUED.value,
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(files.insert(), [{"submission_id": sid, **f} for f in stored])
        conn.execute(
            jobs.insert().values(
                submission_id=sid,
                status=JobStatus.QUEUED.value,
                attempts=0,
                created_at=now,
            )
        )
        audit.append(
            conn,
            principal.actor,
            "submission",
            sid,
            {
                "destination": destination.value,
                "files": [
                    {"name": f["name"], "size": f["size"], "sha256": f["sha256"]} for f in stored
                ],
            },
        )
