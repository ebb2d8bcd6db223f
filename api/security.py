"""API keys, roles, rate limiting and HTTP hardening for the submission service.

Keys are random 32-byte tokens shown once; only their SHA-256 is stored and lookups compare
with :func:`hmac.compare_digest`. Clients send ``X-API-Key``, or an OIDC/JWT bearer token
when the service is configured for it (:mod:`triage.api.oidc`; a token's issuer and subject are
kept as an ``api_keys`` row whose ``key_hash`` no key can hash to).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from triage.api import audit
from triage.api.audit_checks import key_fingerprint
from triage.api.db import api_keys, transaction, utcnow
from triage.errors import ConfigError

KEY_HEADER = "X-API-Key"


class Role(StrEnum):
    """What a key may do."""

    SUBMITTER = "submitter"
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid key or bearer token (``label``: its audit name, if not
    ``key:<id>``)."""

    key_id: int
    name: str
    role: Role
    label: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return self.label or f"key:{self.key_id}"


def hash_token(token: str) -> str:
    """SHA-256 of a token, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_role(role: str) -> Role:
    """The role named ``role``; a ConfigError for another name."""
    try:
        return Role(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r}: use submitter, reviewer or admin") from None


def new_token() -> str:
    """A fresh random key (``tri_`` and 32 random bytes, URL-safe)."""
    return "tri_" + secrets.token_urlsafe(32)


def create_key(engine: Engine, role: str, name: str, expires_in_days: float | None = None) -> str:
    """Create an API key (expiring after ``expires_in_days``, if given); returns the token
    (shown once, only its hash is stored). Audited with the role, expiry and a fingerprint
    of the stored hash."""
    parsed = parse_role(role)
    if not name.strip():
        raise ConfigError("a key needs a name")
    if expires_in_days is not None and not 0 < expires_in_days <= 3650:
        raise ConfigError("a key's expiry must be between 0 and 3650 days")
    now = utcnow().replace(microsecond=0)
    expires = None if expires_in_days is None else now + dt.timedelta(days=expires_in_days)
    token = new_token()
    digest = hash_token(token)
    with transaction(engine, write=True) as conn:
        key_id = conn.execute(
            api_keys.insert()
            .values(
                name=name.strip()[:255],
                role=parsed.value,
                key_hash=digest,
                created_at=now,
                expires_at=expires,
            )
            .returning(api_keys.c.id)
        ).scalar_one()
        details = {
            "role": parsed.value,
            "fingerprint": key_fingerprint(digest),
            "expires_at": None if expires is None else expires.isoformat(),
        }
        audit.append(conn, "system", "key.create", f"key:{key_id}", details)
    return token


class KeyRefused(LookupError):
    """A presented key that is unknown, revoked or expired (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: How often a key's ``last_used_at`` is written at most
LAST_USED_EVERY = dt.timedelta(minutes=5)


def lookup_key(engine: Engine, token: str) -> Principal:
    """The principal for ``token``; a :class:`KeyRefused` when it is unknown, revoked or
    expired. Records the key's last use (at most every :data:`LAST_USED_EVERY`)."""
    if not token or len(token) > 200:
        raise KeyRefused("the API key is not valid")
    digest = hash_token(token)
    with transaction(engine) as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == digest)).first()
    if row is None or not hmac.compare_digest(str(row.key_hash), digest):
        raise KeyRefused("the API key is not valid")
    now = utcnow()
    if row.revoked_at is not None:
        raise KeyRefused("the API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise KeyRefused("the API key has expired")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        with transaction(engine, write=True) as conn:
            conn.execute(api_keys.update().where(api_keys.c.id == row.id).values(last_used_at=now))
    return Principal(key_id=int(row.id), name=str(row.name), role=Role(row.role))


class TokenBucket:
    """Per-key token buckets in memory (``rate`` tokens a second, ``burst`` at most)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token; returns 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0

    def wait(self, key: str) -> float:
        """The seconds until ``key`` may take a token (0 now), taking none."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            return 0.0
        return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0


SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(HTTPException):
    """The request body passed the upload limit while streaming (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the upload limit is {limit:,} bytes")


def _problem_bytes(status: int, title: str, detail: str) -> bytes:
    import json

    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return json.dumps(body).encode("utf-8")


class HardeningMiddleware:
    """Pure ASGI middleware: security headers on every response, and the upload limit
    enforced from ``Content-Length`` before any body is read and again while streaming."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def _reject(self, send: Send, status: int, title: str, detail: str) -> None:
        body = _problem_bytes(status, title, detail)
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ] + [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        limit = self.max_body
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await self._reject(send, 400, "Bad Request", "invalid Content-Length")
                return
            if declared > limit:
                await self._reject(
                    send, 413, "Payload Too Large", f"the upload limit is {limit:,} bytes"
                )
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = list(message.get("headers") or [])
                present = {k.lower() for k, _ in raw}
                for k, v in SECURITY_HEADERS.items():
                    if k.lower().encode() not in present:
                        raw.append((k.lower().encode(), v.encode()))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._reject(
                    send, 413, "Payload Too Large", f"the upload limit is {limit:,} bytes"
                )
