"""``/v1/rulebooks``: the shipped rulebooks, and validation of a submitted one."""

from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException

from triage.api.deps import Anyone
from triage.api.schemas import RulebookInfo, RulebookValidation
from triage.api.services.rulebooks import rulebook_info, validate_isolated
from triage.rules import builtin_rulebook
from triage.rules.loader import LIMIT_MARK
from triage.vocab import Destination

router = APIRouter(prefix="/v1/rulebooks", tags=["rulebooks"])

MAX_RULEBOOK_BYTES = 1024 * 1024
#: Seconds a submitted rulebook's validation may run (in its own process) before it is killed
VALIDATE_SECONDS = 5.0


@router.get("", response_model=list[RulebookInfo], summary="The shipped rulebooks")
def list_rulebooks(principal: Anyone) -> list[RulebookInfo]:
    """One shipped rulebook per destination."""
    return [rulebook_info(builtin_rulebook(d)) for d in Destination]


@router.post("/validate", response_model=RulebookValidation, summary="Validate a rulebook")
def validate_rulebook(
    principal: Anyone,
    text: str = Body(..., media_type="text/plain", max_length=MAX_RULEBOOK_BYTES),
) -> RulebookValidation:
    """Load and check a rulebook sent as YAML text; ``valid`` false names the problem.

    The check runs in a separate process killed after :data:`VALIDATE_SECONDS` (422), so a
    costly rulebook never holds this process's event loop or GIL; conditions over the
    loader's size and macro-nesting bounds are refused with 422."""
    kind, payload = validate_isolated(text.encode("utf-8"), VALIDATE_SECONDS)
    if kind == "ok":
        return RulebookValidation(valid=True, rulebook=RulebookInfo(**payload))
    if kind == "invalid":
        if LIMIT_MARK in payload:
            raise HTTPException(422, payload.splitlines()[0][:500])
        return RulebookValidation(valid=False, error=payload.splitlines()[0][:500])
    if kind == "timeout":
        raise HTTPException(422, f"rulebook validation exceeded {VALIDATE_SECONDS:g} seconds")
    raise HTTPException(422, "the rulebook could not be validated")
