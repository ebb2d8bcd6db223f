"""``/v1/rulebooks``, ``/v1/registry``, ``/healthz`` and ``/readyz``."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import JSONResponse

from triage.api.db import transaction
from triage.api.deps import Anyone, Reviewer, State
from triage.api.schemas import RulebookInfo, RulebookValidation
from triage.api.uploads import free_bytes
from triage.rules import builtin_rulebook, parse_rulebook
from triage.store import HEAD_REVISION, ReleaseStore
from triage.vocab import Destination

rulebooks = APIRouter(prefix="/v1/rulebooks", tags=["rulebooks"])
registry = APIRouter(prefix="/v1/registry", tags=["registry"])
health = APIRouter(tags=["health"])

MAX_RULEBOOK_BYTES = 1024 * 1024
#: Seconds a submitted rulebook's validation may run (in its own process) before it is killed
VALIDATE_SECONDS = 5.0
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["triage.rules"])


def _info(rb: Any) -> RulebookInfo:
    return RulebookInfo(
        name=rb.name,
        version=str(rb.version),
        destination=rb.destination.value,
        description=rb.description or "",
        sha256=rb.sha256,
        rules=len(rb.rules),
    )


@rulebooks.get("", response_model=list[RulebookInfo], summary="The shipped rulebooks")
def list_rulebooks(principal: Anyone) -> list[RulebookInfo]:
    """One shipped rulebook per destination."""
    return [_info(builtin_rulebook(d)) for d in Destination]


@rulebooks.post("/validate", response_model=RulebookValidation, summary="Validate a rulebook")
def validate_rulebook(
    principal: Anyone,
    text: str = Body(..., media_type="text/plain", max_length=MAX_RULEBOOK_BYTES),
) -> RulebookValidation:
    """Load and check a rulebook sent as YAML text; ``valid`` false names the problem.

    The check runs in a separate process killed after :data:`VALIDATE_SECONDS` (422), so a
    costly rulebook never holds this process's event loop or GIL; conditions over the
    loader's size and macro-nesting bounds are refused with 422."""
    from triage.rules.loader import LIMIT_MARK

    kind, payload = _validate_isolated(text.encode("utf-8"), VALIDATE_SECONDS)
    if kind == "ok":
        return RulebookValidation(valid=True, rulebook=RulebookInfo(**payload))
    if kind == "invalid":
        if LIMIT_MARK in payload:
            raise HTTPException(422, payload.splitlines()[0][:500])
        return RulebookValidation(valid=False, error=payload.splitlines()[0][:500])
    if kind == "timeout":
        raise HTTPException(422, f"rulebook validation exceeded {VALIDATE_SECONDS:g} seconds")
    raise HTTPException(422, "the rulebook could not be validated")


def _validate_child(data: bytes, conn: Connection) -> None:
    """Child process: parse the rulebook, send ``(kind, payload)`` back."""
    from triage.errors import RulebookError

    try:
        rb = parse_rulebook(data, "submitted.yaml")
    except RulebookError as exc:
        conn.send(("invalid", str(exc)))
    except Exception:
        conn.send(("error", ""))
    else:
        conn.send(("ok", _info(rb).model_dump()))
    conn.close()


def _validate_isolated(data: bytes, seconds: float) -> tuple[str, Any]:
    """Run :func:`_validate_child` in a fresh process; kill it after ``seconds``."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    proc = _CONTEXT.Process(target=_validate_child, args=(data, sender), daemon=True)
    proc.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            try:
                result: tuple[str, Any] = receiver.recv()
            except EOFError:
                return ("error", "")
            return result
        return ("timeout", "")
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)


@registry.get("", summary="The register of releases")
def list_registry(state: State, principal: Reviewer) -> list[dict[str, Any]]:
    """Active releases in the register (no fingerprints)."""
    store = ReleaseStore(state.engine, HEAD_REVISION)
    out = []
    for r in store.list_releases():
        out.append(
            {
                "id": r.id,
                "name": r.name,
                "destination": r.destination,
                "recipient": r.recipient,
                "purpose": r.purpose,
                "released_at": r.released_at.isoformat(),
                "rulebook": r.rulebook_name,
                "rulebook_version": r.rulebook_version,
                "dataset_sha256": r.dataset_sha256,
                "rows": r.rows,
            }
        )
    return out


@health.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@health.get("/readyz", summary="Readiness (database reachable, disk not full)")
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
