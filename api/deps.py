"""Shared FastAPI dependencies: the service state, the caller and role checks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.engine import Engine

from triage.api import audit
from triage.api.db import transaction
from triage.api.security import Principal, Role, TokenBucket, lookup_key
from triage.api.settings import ApiSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceState:
    """What the routes share: settings, database engine, rate limiter."""

    settings: ApiSettings
    engine: Engine
    limiter: TokenBucket
    seen_keys: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def get_state(request: Request) -> ServiceState:
    """The service state stored on the app."""
    state: ServiceState = request.app.state.service
    return state


State = Annotated[ServiceState, Depends(get_state)]


def current_principal(
    state: State,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key", include_in_schema=False)] = None,
) -> Principal:
    """The caller behind ``X-API-Key``: 401 without a valid key, 429 over the rate limit.

    The first use of each key by this process is written to the audit log.
    """
    if not x_api_key:
        raise HTTPException(
            401, "an API key is required (X-API-Key header)", headers={"WWW-Authenticate": "ApiKey"}
        )
    principal = lookup_key(state.engine, x_api_key)
    if principal is None:
        raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": "ApiKey"})
    wait = state.limiter.take(str(principal.key_id))
    if wait > 0:
        raise HTTPException(
            429,
            "too many requests for this key; slow down",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )
    with state.lock:
        first = principal.key_id not in state.seen_keys
        state.seen_keys.add(principal.key_id)
    if first:
        with transaction(state.engine, write=True) as conn:
            audit.append(
                conn, principal.actor, "key.use", principal.actor, {"role": principal.role.value}
            )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency allowing only ``roles`` (403 otherwise)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, "your role may not do this")
        return principal

    return check


Submitter = Annotated[Principal, Depends(require(Role.SUBMITTER, Role.ADMIN))]
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER, Role.ADMIN))]
Anyone = CurrentPrincipal
