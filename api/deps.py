"""Shared FastAPI dependencies: the service state, the caller (API key or, when configured,
OIDC bearer token) and role checks."""

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
from triage.api.oidc import KeysUnavailable, TokenRejected, TokenVerifier, identity_principal
from triage.api.security import KeyRefused, Principal, Role, TokenBucket, lookup_key
from triage.api.settings import ApiSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceState:
    """What the routes share: settings, database engine, rate limiter, token verifier."""

    settings: ApiSettings
    engine: Engine
    limiter: TokenBucket
    verifier: TokenVerifier | None = None
    #: failed authentications per client address (None: not throttled)
    failures: TokenBucket | None = None
    seen_keys: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def get_state(request: Request) -> ServiceState:
    """The service state stored on the app."""
    state: ServiceState = request.app.state.service
    return state


State = Annotated[ServiceState, Depends(get_state)]


INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def _bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header (None for no or another scheme)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _token_principal(state: ServiceState, verifier: TokenVerifier, token: str) -> Principal:
    """The caller behind a bearer token: 401 invalid or revoked, 403 no role, 503 no keys."""
    try:
        verified = verifier.verify(token)
    except TokenRejected as exc:
        log.info("bearer token refused: %s", exc.reason)
        raise HTTPException(
            401, f"the bearer token is not valid: {exc.reason}", headers=INVALID_TOKEN
        ) from None
    except KeysUnavailable:
        raise HTTPException(503, "the token signing keys are unavailable") from None
    if verified.role is None:
        raise HTTPException(
            403,
            "the bearer token grants no role of this service",
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )
    principal = identity_principal(state.engine, verified)
    if principal is None:
        raise HTTPException(401, "this identity has been revoked", headers=INVALID_TOKEN)
    return principal


def _client(request: Request) -> str:
    """The client's address as the socket gives it (proxies' headers are not trusted)."""
    return request.client.host if request.client else "unknown"


def _refuse(state: ServiceState, address: str, exc: HTTPException) -> HTTPException:
    """Count and audit a failed authentication from ``address`` (never the secret); the
    exception to raise."""
    if state.failures is not None:
        state.failures.take(address)
    with transaction(state.engine, write=True) as conn:
        details = {"address": address, "status": exc.status_code, "reason": str(exc.detail)}
        audit.append(conn, "anonymous", "auth.failed", None, details)
    return exc


def _throttle(state: ServiceState, address: str) -> None:
    """429 while ``address`` has used up its failed authentications."""
    wait = state.failures.wait(address) if state.failures is not None else 0.0
    if wait > 0:
        log.warning("authentication throttled for %s", address)
        raise HTTPException(
            429,
            "too many failed authentications from this address; try again later",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )


def _authenticate(
    state: ServiceState, x_api_key: str | None, bearer: str | None
) -> tuple[Principal, str]:
    """The caller and the audit action of its first use; HTTPException when refused."""
    verifier = state.verifier
    challenge = {"WWW-Authenticate": "ApiKey, Bearer" if verifier else "ApiKey"}
    if verifier is not None and bearer is not None:
        if x_api_key:
            raise HTTPException(
                400,
                "send an API key or a bearer token, not both",
                headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
            )
        return _token_principal(state, verifier, bearer), "token.use"
    if not x_api_key:
        detail = "an API key is required (X-API-Key header)"
        if verifier is not None:
            detail = "an API key (X-API-Key header) or a bearer token is required"
        elif bearer is not None:
            detail = "bearer tokens are not accepted here; send an API key (X-API-Key header)"
        raise HTTPException(401, detail, headers=challenge)
    try:
        return lookup_key(state.engine, x_api_key), "key.use"
    except KeyRefused as exc:
        raise HTTPException(401, exc.reason, headers=challenge) from None


def current_principal(
    state: State,
    request: Request,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key", include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The caller behind ``X-API-Key`` or, when OIDC is configured, ``Authorization: Bearer``:
    401 without valid credentials (an unknown, revoked or expired key, a refused token), 400
    with both, 429 over the rate limit or after too many failures from the client's address.

    Failed authentications (presented credentials refused) are audited as ``auth.failed``
    with the address and reason, never the secret. The first use of each key or token
    identity by this process is written to the audit log.
    """
    bearer = _bearer(authorization)
    address = _client(request)
    presented = bool(x_api_key) or bearer is not None
    if presented:
        _throttle(state, address)
    try:
        principal, use = _authenticate(state, x_api_key, bearer)
    except HTTPException as exc:
        if presented and exc.status_code == 401:
            raise _refuse(state, address, exc) from None
        raise
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
            details = {"role": principal.role.value}
            audit.append(conn, principal.actor, use, principal.actor, details)
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
