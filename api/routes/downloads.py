"""``/v1/submissions/{sid}/released/{name}``: download a released file."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from triage.api.deps import Anyone, State
from triage.api.services.submissions import released_file

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])


@router.get("/{sid}/released/{name}", summary="Download a released file")
def download(sid: str, name: str, state: State, principal: Anyone) -> FileResponse:
    """A released (treated, formula-escaped) file, once the decision allows release."""
    path = released_file(state, principal, sid, name)
    return FileResponse(
        path,
        filename=name,
        media_type="application/octet-stream",
        content_disposition_type="attachment",
    )
