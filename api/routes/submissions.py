"""``/v1/submissions``: submit, list, status, report."""

from __future__ import annotations

import logging
import shutil
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from triage.api.deps import Anyone, State, Submitter
from triage.api.schemas import ReviewState, SubmissionAccepted, SubmissionInfo, SubmissionStatus
from triage.api.services.submissions import (
    find_submissions,
    load_submission,
    persist,
    report_html,
    require_done,
    submission_info,
    supersedes_field,
    text_field,
)
from triage.api.services.upload_stream import receive_form
from triage.api.storage import free_bytes, private_dir
from triage.errors import ConfigError, DataInputError
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
        raw_dest = text_field(form.fields.get("destination"), "destination", 32)
        try:
            destination = Destination(raw_dest or "")
        except ValueError:
            raise ConfigError(
                "destination must be one of " + ", ".join(d.value for d in Destination)
            ) from None
        recipient = text_field(form.fields.get("recipient"), "recipient", 255)
        purpose = text_field(form.fields.get("purpose"), "purpose", 2000)
        context_text = text_field(form.fields.get("context"), "context", 200_000)
        supersedes = supersedes_field(text_field(form.fields.get("supersedes"), "supersedes", 2000))
        await run_in_threadpool(
            persist,
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
    return find_submissions(state, principal, status, decision, review_state, limit, offset)


@router.get("/{sid}", response_model=SubmissionInfo, summary="Status, progress and decision")
def get_submission(sid: str, state: State, principal: Anyone) -> SubmissionInfo:
    """One submission's status, progress and decision."""
    return submission_info(state, principal, load_submission(state, principal, sid))


@router.get("/{sid}/report", summary="The report as JSON")
def get_report(sid: str, state: State, principal: Anyone) -> dict[str, Any]:
    """The report (``report.json``) of a finished check."""
    row = load_submission(state, principal, sid)
    require_done(row)
    report: dict[str, Any] = row.report
    return report


@router.get("/{sid}/report.html", response_class=HTMLResponse, summary="The report as HTML")
def get_report_html(sid: str, state: State, principal: Anyone) -> HTMLResponse:
    """The self-contained ``report.html`` of a finished check."""
    html = report_html(state, principal, sid)
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
            )
        },
    )
