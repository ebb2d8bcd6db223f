"""``/v1/registry``: the register of releases (reviewers and admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from triage.api.deps import Reviewer, State
from triage.store.register import HEAD_REVISION, ReleaseStore

router = APIRouter(prefix="/v1/registry", tags=["registry"])


@router.get("", summary="The register of releases")
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
