"""``/v1/submissions``: submit, status, list, report, download, review."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from triage.api import audit, releases
from triage.api.db import files, jobs, reviews, submissions, transaction, utcnow
from triage.api.deps import Anyone, Reviewer, ServiceState, State, Submitter
from triage.api.schemas import (
    REVIEW_DECISION,
    FileInfo,
    JobStatus,
    ReviewAction,
    ReviewIn,
    ReviewState,
    SubmissionAccepted,
    SubmissionInfo,
    SubmissionStatus,
)
from triage.api.security import Principal, Role
from triage.api.upload_stream import StreamedForm, receive_form
from triage.api.uploads import (
    create_private,
    finish_upload,
    free_bytes,
    fsync_dir,
    parse_answers,
    private_dir,
    restrict_tree,
)
from triage.errors import ConfigError, DataInputError
from triage.questionnaire import builtin_questionnaire, load_answers
from triage.vocab import Destination

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])
#: The largest ``offset`` a listing takes (beyond it: 422, never a database overflow)
MAX_OFFSET = 10_000_000

_MULTIPART_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files", "destination"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                        "destination": {"type": "string", "enum": [d.value for d in Destination]},
                        "supersedes": {
                            "type": "string",
                            "description": "registered releases this is a new version of, one "
                            "per line (NAME, or FILE=NAME with several files)",
                        },
                        "context": {
                            "type": "string",
                            "description": "triage answers, YAML or JSON text",
                        },
                        "recipient": {"type": "string"},
                        "purpose": {"type": "string"},
                    },
                }
            }
        },
    }
}


def _visible(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.role is Role.SUBMITTER:
        return submissions.c.owner_key_id == principal.key_id
    return sa.true()


def _load(state: ServiceState, principal: Principal, sid: str) -> sa.Row[Any]:
    with transaction(state.engine) as conn:
        row = conn.execute(
            sa.select(submissions).where(submissions.c.id == sid, _visible(principal))
        ).first()
    if row is None:  # another submitter's submission looks exactly like a missing one
        raise HTTPException(404, "no such submission")
    return row


def _result_folder(state: ServiceState, row: sa.Row[Any]) -> Path | None:
    """The folder the check wrote (report, ``released/``, ``proposed/``), if any."""
    if not row.result_dir:
        return None
    return state.settings.data_dir / row.result_dir / "result"


def _released_dir(state: ServiceState, row: sa.Row[Any]) -> Path | None:
    folder = _result_folder(state, row)
    return None if folder is None else folder / "released"


def _file_names(folder: Path | None) -> list[str]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def _released_names(state: ServiceState, row: sa.Row[Any]) -> list[str]:
    return _file_names(_released_dir(state, row))


def _proposed_names(state: ServiceState, row: sa.Row[Any]) -> list[str]:
    """Files of the changes the check proposed to the reviewer (``result/proposed``)."""
    folder = _result_folder(state, row)
    return _file_names(None if folder is None else folder / "proposed")


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _write_submitted(state: ServiceState, row: sa.Row[Any], folder: Path) -> None:
    """The submitted files as released: tables loaded with the project's loaders and
    written formula-escaped (:func:`triage.io.write_released`; a workbook as a new workbook
    of its checked sheets, :func:`triage.io.write_workbook`), documents copied as
    submitted."""
    from triage.context import Limits
    from triage.documents import is_document
    from triage.io import write_released, write_workbook
    from triage.runner import load_tables

    with transaction(state.engine) as conn:
        stored = conn.execute(
            sa.select(files.c.name, files.c.stored_path)
            .where(files.c.submission_id == row.id)
            .order_by(files.c.id)
        ).all()
    if not stored:
        raise HTTPException(409, "the submission has no stored files to release")
    for f in stored:
        source = state.settings.data_dir / f.stored_path
        if is_document(source):
            shutil.copyfile(source, folder / f.name)
            continue
        tables = load_tables(source, Limits())
        if tables.sheets:  # a workbook: a new one from its checked sheets, never the input
            sheets = {tables.sheets[d.name][1]: d.frame for d in tables.datasets}
            write_workbook(sheets, folder / f.name)
        else:
            (dataset,) = tables.datasets
            write_released(dataset.frame, folder / f.name, dataset.format)


def _stage_release(
    state: ServiceState, row: sa.Row[Any], action: ReviewAction
) -> tuple[Path, list[str]]:
    """Write what an approval releases into a fresh folder beside ``result/released``, every
    file fsynced; returns the folder and its file names. ``approve_with_changes`` takes the
    proposal (409 when there is none), ``approve_release`` the submitted data. Blocking (the
    route runs in FastAPI's thread pool); on failure nothing is left behind."""
    result = _result_folder(state, row)
    proposed = _proposed_names(state, row)
    if result is None:
        raise HTTPException(409, "the check left no result to release")
    if action is ReviewAction.APPROVE_WITH_CHANGES and not proposed:
        raise HTTPException(
            409,
            "the check proposed no changes: approve the release as submitted or withhold",
        )
    staged = result / f".staged-release-{uuid.uuid4().hex}"
    staged.mkdir(mode=0o700)
    try:
        if action is ReviewAction.APPROVE_WITH_CHANGES:
            for name in proposed:
                shutil.copyfile(result / "proposed" / name, staged / name)
        else:
            _write_submitted(state, row, staged)
        restrict_tree(staged)
        names = _file_names(staged)
        for name in names:
            _fsync_file(staged / name)
        fsync_dir(staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged, names


def _publish(state: ServiceState, row: sa.Row[Any], staged: Path | None) -> None:
    """Make the staged folder ``result/released`` (without one: no released folder at all),
    replacing whatever an earlier, uncommitted review left there."""
    target = _released_dir(state, row)
    if target is None:
        return
    if target.exists():
        shutil.rmtree(target)
    if staged is not None:
        staged.replace(target)
    fsync_dir(target.parent)


def _status(state: ServiceState, principal: Principal, row: sa.Row[Any]) -> SubmissionInfo:
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
        from triage.api.jobs.queue import ClaimedJob
        from triage.api.jobs.run import attempt_dir

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
        released=_released_names(state, row) if row.final_decision else [],
        created_at=row.created_at.isoformat(),
        updated_at=row.updated_at.isoformat(),
        mine=int(row.owner_key_id) == principal.key_id,
    )


def _text_field(value: object, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DataInputError(f"{name} must be a text field")
    value = value.strip()
    if len(value) > limit:
        raise DataInputError(f"{name} is longer than {limit} characters")
    return value or None


def _supersedes(text: str | None) -> list[str] | None:
    """The ``supersedes`` field: one registered release name per line (``NAME``, or
    ``FILE=NAME`` with several files), as ``triage check --supersedes``."""
    if text is None:
        return None
    specs = [line.strip() for line in text.splitlines() if line.strip()]
    if len(specs) > 20:
        raise DataInputError("supersedes names more than 20 releases")
    return specs or None


def _persist(
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
                submission_id=sid, status=JobStatus.QUEUED.value, attempts=0, created_at=now
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


@router.post(
    "",
    status_code=202,
    response_model=SubmissionAccepted,
    openapi_extra=_MULTIPART_SCHEMA,
    summary="Submit one or more files for a triage check",
)
async def submit(request: Request, state: State, principal: Submitter) -> SubmissionAccepted:
    """Store the files and the submission durably, queue a job, answer 202 with its id.

    The body is streamed into the submission's folder as it arrives (no spooled copy); the
    files are fsynced and the rows committed before the answer. On any failure the folder is
    removed and nothing is committed.
    """
    settings = state.settings
    if free_bytes(settings.data_dir) < settings.min_free_bytes:  # one statvfs: microseconds
        log.error("submission refused: less than %d bytes free", settings.min_free_bytes)
        raise HTTPException(507, "the service's storage is full: nothing was stored")
    sid = str(uuid.uuid4())
    folder = settings.data_dir / "submissions" / sid
    private_dir(folder / "input")
    try:
        form = await receive_form(
            request.headers.get("content-type", ""),
            request.stream(),
            folder / "input",
            max_files=settings.max_files,
            max_fields=20,
            file_limit=settings.max_upload_bytes,
        )
        if not form.files:
            raise DataInputError("no files: send one or more 'files' parts")
        raw_dest = _text_field(form.fields.get("destination"), "destination", 32)
        try:
            destination = Destination(raw_dest or "")
        except ValueError:
            raise ConfigError(
                "destination must be one of " + ", ".join(d.value for d in Destination)
            ) from None
        recipient = _text_field(form.fields.get("recipient"), "recipient", 255)
        purpose = _text_field(form.fields.get("purpose"), "purpose", 2000)
        context_text = _text_field(form.fields.get("context"), "context", 200_000)
        supersedes = _supersedes(_text_field(form.fields.get("supersedes"), "supersedes", 2000))
        await run_in_threadpool(
            _persist,
            state,
            principal,
            sid,
            form,
            destination,
            recipient,
            purpose,
            context_text,
            supersedes,
        )
    except BaseException:
        await run_in_threadpool(shutil.rmtree, folder, True)
        raise
    log.info("submission %s queued (%d files)", sid, len(form.files))
    base = f"/v1/submissions/{sid}"
    return SubmissionAccepted(
        id=sid,
        status=SubmissionStatus.QUEUED,
        links={"self": base, "report": f"{base}/report", "report_html": f"{base}/report.html"},
    )


@router.get("", response_model=list[SubmissionInfo], summary="List submissions")
def list_submissions(
    state: State,
    principal: Anyone,
    status: Annotated[SubmissionStatus | None, Query()] = None,
    decision: Annotated[str | None, Query(max_length=32)] = None,
    review_state: Annotated[ReviewState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[SubmissionInfo]:
    """Submissions the caller may see (a submitter: only their own), newest first."""
    query = sa.select(submissions).where(_visible(principal))
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
    return [_status(state, principal, r) for r in rows]


@router.get("/{sid}", response_model=SubmissionInfo, summary="Status, progress and decision")
def get_submission(sid: str, state: State, principal: Anyone) -> SubmissionInfo:
    """One submission's status, progress and decision."""
    return _status(state, principal, _load(state, principal, sid))


def _done(row: sa.Row[Any]) -> None:
    if row.status != SubmissionStatus.DONE:
        raise HTTPException(409, f"the check is not finished (status {row.status})")


@router.get("/{sid}/report", summary="The report as JSON")
def get_report(sid: str, state: State, principal: Anyone) -> dict[str, Any]:
    """The report (``report.json``) of a finished check."""
    row = _load(state, principal, sid)
    _done(row)
    report: dict[str, Any] = row.report
    return report


@router.get("/{sid}/report.html", response_class=HTMLResponse, summary="The report as HTML")
def get_report_html(sid: str, state: State, principal: Anyone) -> HTMLResponse:
    """The self-contained ``report.html`` of a finished check."""
    row = _load(state, principal, sid)
    _done(row)
    path = state.settings.data_dir / row.result_dir / "result" / "report.html"
    try:
        html = path.read_text(encoding="utf-8")
    except OSError:
        raise HTTPException(404, "the HTML report is missing") from None
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
            )
        },
    )


@router.get("/{sid}/released/{name}", summary="Download a released file")
def download(sid: str, name: str, state: State, principal: Anyone) -> FileResponse:
    """A released (treated, formula-escaped) file, once the decision allows release."""
    row = _load(state, principal, sid)
    _done(row)
    if row.final_decision not in ("release", "release_with_changes"):
        raise HTTPException(409, "nothing is released for this submission")
    names = _released_names(state, row)
    if name not in names:  # only names from the folder listing; never a client path
        raise HTTPException(404, "no such released file")
    folder = _released_dir(state, row)
    assert folder is not None
    with transaction(state.engine, write=True) as conn:
        audit.append(conn, principal.actor, "download", sid, {"file": name})
    return FileResponse(
        folder / name,
        filename=name,
        media_type="application/octet-stream",
        content_disposition_type="attachment",
    )


@router.post("/{sid}/review", response_model=SubmissionInfo, summary="Review a referral")
def review(sid: str, body: ReviewIn, state: State, principal: Reviewer) -> SubmissionInfo:
    """Decide a referred submission (reviewers only; never one's own), audited.

    An approval first writes what it releases (``approve_with_changes``: the changes the check
    proposed, 409 when it proposed none; ``approve_release``: the submitted data,
    formula-escaped) and fsyncs it; then the decision, the review, the register entries of the
    released form (:mod:`triage.api.releases`) and the audit entry (naming the released files
    and the new release ids) commit in one transaction, which also puts the files in place. If
    writing the files fails, or the check left no readable register entries, nothing is
    decided.
    """
    row = _load(state, principal, sid)
    if int(row.owner_key_id) == principal.key_id:
        raise HTTPException(403, "nobody may review their own submission")
    if row.status != SubmissionStatus.DONE or row.review_state != ReviewState.PENDING:
        raise HTTPException(409, "this submission is not waiting for review")
    final = REVIEW_DECISION[body.action]
    register = _register_entries(state, row, body.action)
    staged, released = (
        (None, [])
        if body.action is ReviewAction.WITHHOLD
        else _stage_release(state, row, body.action)
    )
    now = utcnow()
    try:
        _decide(state, row, principal, body, final, now, staged, released, register)
    finally:
        if staged is not None and staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
    return _status(state, principal, _load(state, principal, sid))


def _register_entries(
    state: ServiceState, row: sa.Row[Any], action: ReviewAction
) -> list[dict[str, Any]]:
    """The register entries of the form ``action`` releases (none for ``withhold``), from the
    check's run folder; 409 when they are missing or unreadable (nothing is decided)."""
    form = releases.REVIEWED_FORM.get(action)
    if form is None:
        return []
    try:
        forms = releases.load_register(state.settings.data_dir / row.result_dir, row.decision)
    except releases.RegisterError as exc:
        log.error("submission %s: %s", row.id, exc)
        raise HTTPException(
            409, "the check left no register entries for this release: nothing was decided"
        ) from None
    return forms[form]


def _decide(
    state: ServiceState,
    row: sa.Row[Any],
    principal: Principal,
    body: ReviewIn,
    final: str,
    now: dt.datetime,
    staged: Path | None,
    released: list[str],
    register: list[dict[str, Any]],
) -> None:
    """The review's decision, review row, register entries and audit entry in one
    transaction; the staged files become ``result/released`` just before it commits."""
    sid = str(row.id)
    with transaction(state.engine, write=True) as conn:
        updated = conn.execute(
            submissions.update()
            .where(
                submissions.c.id == sid,
                submissions.c.status == SubmissionStatus.DONE,
                submissions.c.review_state == ReviewState.PENDING,
            )
            .values(final_decision=final, review_state=ReviewState.REVIEWED.value, updated_at=now)
        )
        if updated.rowcount != 1:
            raise HTTPException(409, "this submission is not waiting for review")
        conn.execute(
            reviews.insert().values(
                submission_id=sid,
                reviewer_key_id=principal.key_id,
                action=body.action.value,
                justification=body.justification,
                created_at=now,
            )
        )
        registered = releases.insert_entries(conn, sid, register, at=now, actor=principal.actor)
        audit.append(
            conn,
            principal.actor,
            "review",
            sid,
            {
                "action": body.action.value,
                "engine_decision": row.decision,
                "final_decision": final,
                "justification": body.justification,
                "released": released,
                "registered": registered,
            },
        )
        _publish(state, row, staged)
