"""``/healthz`` (liveness) and ``/readyz`` (database reachable, disk not full)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from triage.api.db import transaction
from triage.api.deps import State
from triage.api.storage import free_bytes

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness (database reachable, disk not full)")
def readyz(state: State) -> JSONResponse:
    """200 when the database answers and at least ``min_free_bytes`` are free under the data
    folder, else 503 naming which."""
    try:
        with transaction(state.engine) as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "reason": "database"}, status_code=503)
    if free_bytes(state.settings.data_dir) < state.settings.min_free_bytes:
        return JSONResponse({"status": "unavailable", "reason": "disk full"}, status_code=503)
    return JSONResponse({"status": "ready"})
