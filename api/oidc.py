"""OIDC/JWT bearer tokens for the submission service (PyJWT).

A :class:`TokenVerifier` checks ``Authorization: Bearer`` tokens against the configured issuer
and audience. Keys come from a local JWKS file, read at start-up and again whenever the file
changes (nothing is fetched over the network). ``exp``, ``nbf``, ``iat``, ``iss``, ``aud`` and
``sub`` are required; the signature must verify with the JWKS key named by the header's ``kid``
under an accepted algorithm (never ``none``; HS256 only with a configured shared secret, and
never with a key from the JWKS). Any failure is a :class:`TokenRejected` whose reason is a
fixed phrase: neither it nor any log line contains the token.

A verified token's role comes from its role claim (a list, or a space-separated string; a
dotted name such as ``realm_access.roles`` is followed into nested objects when no top-level
claim has that name). Values map to submitter, reviewer or admin; with several, the most
privileged wins (admin, then reviewer, then submitter).

Each issuer + subject is one row of ``api_keys`` (:func:`identity_principal`), so submissions,
reviews and rate limits use its id as they use a key's. Its ``key_hash`` is ``oidc:`` followed
by a hash of issuer and subject: a value no API key (a hex SHA-256) can hash to. Revoking the
row blocks the subject. The audit log names the caller ``oidc:<sub>`` (``oidc:#<id>`` when the
subject is long or has unusual characters).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import sqlalchemy as sa
from jwt import PyJWK
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)
from sqlalchemy.engine import Engine

from triage.api import audit
from triage.api.audit_checks import key_fingerprint
from triage.api.db import api_keys, transaction, utcnow
from triage.api.security import Principal, Role
from triage.api.settings import OidcSettings
from triage.errors import ConfigError

log = logging.getLogger(__name__)

#: Asymmetric algorithms that may be configured: (JWK ``kty``, required ``crv`` or None).
ASYMMETRIC: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}
HS256 = "HS256"
#: Shortest accepted HS256 shared secret (RFC 7518 §3.2: at least the hash size).
MIN_SECRET_BYTES = 32
#: Longest bearer token considered (longer ones are refused unread).
MAX_TOKEN_CHARS = 16_384
MAX_JWKS_BYTES = 1024**2
REQUIRED_CLAIMS = ["exp", "nbf", "iat", "iss", "aud", "sub"]
#: Claims that must be JSON numbers (NumericDate, RFC 7519 section 2)
TIME_CLAIMS = ("exp", "nbf", "iat")
MAX_SUBJECT_CHARS = 255
PRECEDENCE = (Role.ADMIN, Role.REVIEWER, Role.SUBMITTER)
IDENTITY_PREFIX = "oidc:"
_PG_IDENTITY_LOCK = 0x7472_6961_6964  # serialises identity creation on PostgreSQL
_PLAIN_SUBJECT = re.compile(r"[A-Za-z0-9._@:+=/|-]{1,59}")


class TokenRejected(Exception):
    """A bearer token that is not valid (401); ``reason`` is a fixed phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The JWKS file cannot be read or is not valid any more (503)."""


@dataclass(frozen=True)
class VerifiedToken:
    """What a valid token says: who issued it, about whom, and the role (None: no role)."""

    issuer: str
    subject: str
    role: Role | None


def _jwks_keys(path: Path, algorithms: tuple[str, ...]) -> dict[tuple[str, str], PyJWK]:
    """The usable signing keys of a JWKS file by (``kid``, algorithm).

    Keys for encryption, symmetric keys and keys of a type no configured algorithm uses are
    skipped; a broken file, a repeated ``kid`` or no usable key at all is a ConfigError.
    """
    where = path.name
    try:
        if path.stat().st_size > MAX_JWKS_BYTES:
            raise ConfigError(f"JWKS file {where} is larger than {MAX_JWKS_BYTES:,} bytes")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read JWKS file {where}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):
        raise ConfigError(f"JWKS file {where} is not valid JSON") from None
    entries = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"JWKS file {where} has no 'keys' list")
    keys: dict[tuple[str, str], PyJWK] = {}
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            log.warning("oidc: skipping a JWKS key without a kid in %s", where)
            continue
        if kid in seen:
            raise ConfigError(f"JWKS file {where} has the key id {kid!r} more than once")
        seen.add(kid)
        for alg in algorithms:
            kty, crv = ASYMMETRIC[alg]
            if entry.get("kty") != kty or (crv is not None and entry.get("crv") != crv):
                continue
            if entry.get("alg", alg) != alg:
                continue
            try:
                keys[(kid, alg)] = PyJWK(entry, alg)
            except PyJWTError:
                log.warning("oidc: skipping JWKS key %r in %s: not a valid %s key", kid, where, alg)
    if not keys:
        raise ConfigError(
            f"JWKS file {where} has no signing key for {', '.join(algorithms) or 'any algorithm'}"
        )
    return keys


class JwksFile:
    """A JWKS file, re-read when its modification time, size or inode changes."""

    def __init__(self, path: Path, algorithms: tuple[str, ...]) -> None:
        self.path = path
        self.algorithms = algorithms
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[tuple[str, str], PyJWK] = {}
        self.keys()

    def keys(self) -> dict[tuple[str, str], PyJWK]:
        """The current keys (ConfigError when the file is unreadable or broken)."""
        try:
            st = self.path.stat()
        except OSError as exc:
            raise ConfigError(
                f"cannot read JWKS file {self.path.name}: {exc.strerror or exc}"
            ) from None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                self._keys = _jwks_keys(self.path, self.algorithms)
                self._stamp = stamp
                log.info("oidc: %d signing keys loaded from %s", len(self._keys), self.path.name)
            return self._keys


def _role_map(pairs: tuple[tuple[str, str], ...]) -> dict[str, Role]:
    if not pairs:
        return {r.value: r for r in Role}
    mapping: dict[str, Role] = {}
    for value, role in pairs:
        try:
            mapping[value] = Role(role)
        except ValueError:
            raise ConfigError(
                f"OIDC role map: unknown role {role!r} (use submitter, reviewer or admin)"
            ) from None
    return mapping


class TokenVerifier:
    """Checks bearer tokens for one issuer and audience (see the module docstring)."""

    def __init__(self, settings: OidcSettings) -> None:
        if not settings.issuer.strip() or not settings.audience.strip():
            raise ConfigError("OIDC needs an issuer and an audience")
        if not settings.role_claim.strip():
            raise ConfigError("OIDC needs a role claim name")
        if not 0 <= settings.leeway_seconds <= 600:
            raise ConfigError("OIDC clock leeway must be between 0 and 600 seconds")
        algorithms = tuple(dict.fromkeys(settings.algorithms))
        for alg in algorithms:
            if alg.lower() == "none":
                raise ConfigError("OIDC algorithm 'none' is never accepted")
            if alg == HS256:
                raise ConfigError("OIDC HS256 is enabled by giving a shared secret, not by name")
            if alg not in ASYMMETRIC:
                raise ConfigError(
                    f"OIDC algorithm {alg!r} is not supported (use {', '.join(ASYMMETRIC)})"
                )
        secret = settings.hs256_secret
        if secret is not None and len(secret) < MIN_SECRET_BYTES:
            raise ConfigError(f"the OIDC HS256 secret must be at least {MIN_SECRET_BYTES} bytes")
        if algorithms and settings.jwks_path is None:
            raise ConfigError("OIDC needs a JWKS file for " + ", ".join(algorithms))
        if not algorithms and secret is None:
            raise ConfigError("OIDC needs at least one algorithm or an HS256 shared secret")
        self.issuer = settings.issuer
        self.audience = settings.audience
        self.leeway = float(settings.leeway_seconds)
        self.role_claim = settings.role_claim
        self.roles = _role_map(settings.role_map)
        self._secret = secret
        self.accepted = frozenset(algorithms) | ({HS256} if secret is not None else frozenset())
        self._jwks = (
            JwksFile(settings.jwks_path, algorithms)
            if algorithms and settings.jwks_path is not None
            else None
        )

    def _key(self, header: Mapping[str, Any]) -> tuple[str, PyJWK | bytes]:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.accepted:
            raise TokenRejected("its algorithm is not accepted")
        if alg == HS256:
            assert self._secret is not None
            return alg, self._secret
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("it names no key (kid)")
        assert self._jwks is not None
        try:
            keys = self._jwks.keys()
        except ConfigError as exc:
            log.error("oidc: %s", exc)
            raise KeysUnavailable(str(exc)) from None
        key = keys.get((kid, alg))
        if key is None:
            raise TokenRejected("its key id is unknown")
        return alg, key

    def verify(self, token: str) -> VerifiedToken:
        """The issuer, subject and role of a valid ``token``.

        Raises
        ------
        TokenRejected
            Malformed, wrongly signed, expired, not yet valid, or for another issuer or
            audience.
        KeysUnavailable
            The JWKS file cannot be read any more.
        """
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected("it is malformed")
        try:
            header = jwt.get_unverified_header(token)
        except (PyJWTError, ValueError, TypeError):
            raise TokenRejected("it is malformed") from None
        alg, key = self._key(header)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={
                    "verify_signature": True,
                    "require": REQUIRED_CLAIMS,
                    "enforce_minimum_key_length": True,
                },
            )
        except PyJWTError as exc:
            raise TokenRejected(_reason(exc)) from None
        except (ValueError, TypeError, OverflowError):  # an infinite exp, say
            raise TokenRejected("it is malformed") from None
        for name in TIME_CLAIMS:  # PyJWT takes "9999999999" as a number: a string is refused
            value = claims.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise TokenRejected(f"its {name} claim is not a number")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_CHARS:
            raise TokenRejected("its subject is not valid")
        return VerifiedToken(issuer=self.issuer, subject=subject, role=self._role(claims))

    def _role(self, claims: Mapping[str, Any]) -> Role | None:
        value: Any = claims.get(self.role_claim)
        if value is None and "." in self.role_claim:
            value = claims
            for part in self.role_claim.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            values = value.split()
        elif isinstance(value, list):
            values = [v for v in value if isinstance(v, str)]
        else:
            values = []
        granted = {self.roles[v] for v in values if v in self.roles}
        return next((r for r in PRECEDENCE if r in granted), None)


def _reason(exc: PyJWTError) -> str:
    """A fixed phrase for a PyJWT error (its message is never shown)."""
    if isinstance(exc, ExpiredSignatureError):
        return "it has expired"
    if isinstance(exc, ImmatureSignatureError):
        return "it is not yet valid"
    if isinstance(exc, InvalidIssuerError):
        return "its issuer is not accepted"
    if isinstance(exc, InvalidAudienceError):
        return "its audience is not accepted"
    if isinstance(exc, InvalidSignatureError):
        return "its signature does not verify"
    if isinstance(exc, InvalidAlgorithmError):
        return "its algorithm is not accepted"
    if isinstance(exc, InvalidKeyError):
        return "its key is not accepted"
    if isinstance(exc, MissingRequiredClaimError) and exc.claim in REQUIRED_CLAIMS:
        return f"it lacks the {exc.claim} claim"
    return "it is malformed"


def identity_hash(issuer: str, subject: str) -> str:
    """The ``api_keys.key_hash`` of an issuer + subject: ``oidc:`` and 59 hex digits."""
    digest = hashlib.sha256(json.dumps([issuer, subject]).encode("utf-8")).hexdigest()
    return IDENTITY_PREFIX + digest[: 64 - len(IDENTITY_PREFIX)]


def actor_label(subject: str, key_id: int) -> str:
    """How the audit log names a token's subject: ``oidc:<sub>``, or ``oidc:#<row id>``."""
    if _PLAIN_SUBJECT.fullmatch(subject):
        return f"oidc:{subject}"
    return f"oidc:#{key_id}"


def identity_principal(engine: Engine, token: VerifiedToken) -> Principal | None:
    """The principal of a verified token with a role, creating its ``api_keys`` row on first
    sight (audited) and recording a changed role; None when the identity was revoked."""
    if token.role is None:
        raise ValueError("a token without a role has no principal")
    role = token.role.value
    marker = identity_hash(token.issuer, token.subject)
    query = sa.select(api_keys).where(api_keys.c.key_hash == marker)
    with transaction(engine) as conn:
        row = conn.execute(query).first()
    if row is None or (row.role != role and row.revoked_at is None):
        with transaction(engine, write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_IDENTITY_LOCK})
            row = conn.execute(query).first()
            if row is None:
                key_id = conn.execute(
                    api_keys.insert()
                    .values(
                        name=f"oidc:{token.subject}"[:255],
                        role=role,
                        key_hash=marker,
                        created_at=utcnow(),
                    )
                    .returning(api_keys.c.id)
                ).scalar_one()
                label = actor_label(token.subject, int(key_id))
                audit.append(
                    conn,
                    label,
                    "identity.create",
                    f"key:{key_id}",
                    {"role": role, "issuer": token.issuer, "fingerprint": key_fingerprint(marker)},
                )
            elif row.role != role and row.revoked_at is None:
                conn.execute(api_keys.update().where(api_keys.c.id == row.id).values(role=role))
                label = actor_label(token.subject, int(row.id))
                audit.append(
                    conn, label, "identity.role", f"key:{row.id}", {"role": role, "was": row.role}
                )
            row = conn.execute(query).first()
    assert row is not None
    if row.revoked_at is not None:
        return None
    return Principal(
        key_id=int(row.id),
        name=str(row.name),
        role=token.role,
        label=actor_label(token.subject, int(row.id)),
    )
