"""Managing the service's API keys and OIDC identities: list, revoke, rotate, block.

Every change is an audit entry in the transaction that makes it (``key.revoke``,
``key.rotate``, ``identity.revoke``), so :func:`~triage.api.audit.verify_audit` can tell a
change made here from one made in the database. Secrets are never listed; a rotated key's new
token is returned once and the old one stops working at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from triage.api import audit
from triage.api.audit_checks import key_fingerprint
from triage.api.db import api_keys, transaction, utcnow
from triage.api.oidc import IDENTITY_PREFIX, actor_label, identity_hash
from triage.api.security import Role, hash_token, new_token
from triage.errors import ConfigError


@dataclass(frozen=True)
class KeyInfo:
    """What is shown of a key or OIDC identity (never its secret)."""

    id: int
    name: str
    role: str
    kind: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime) -> str:
        """``revoked``, ``expired`` or ``active`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def list_keys(engine: Engine) -> list[KeyInfo]:
    """Every key and OIDC identity, oldest first."""
    with transaction(engine) as conn:
        rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.id)).all()
    return [
        KeyInfo(
            id=int(r.id),
            name=str(r.name),
            role=str(r.role),
            kind="oidc" if str(r.key_hash).startswith(IDENTITY_PREFIX) else "key",
            created_at=r.created_at,
            expires_at=r.expires_at,
            last_used_at=r.last_used_at,
            revoked_at=r.revoked_at,
        )
        for r in rows
    ]


def _active_row(conn: Connection, key_id: int) -> sa.Row[tuple[object, ...]]:
    row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise ConfigError(f"no key {key_id}")
    if row.revoked_at is not None:
        raise ConfigError(f"key {key_id} is already revoked")
    return row


def revoke_key(engine: Engine, key_id: int, actor: str = "system") -> None:
    """Revoke key (or OIDC identity) ``key_id`` at once; a ConfigError if there is none or
    it is revoked already."""
    with transaction(engine, write=True) as conn:
        row = _active_row(conn, key_id)
        action = (
            "identity.revoke" if str(row.key_hash).startswith(IDENTITY_PREFIX) else "key.revoke"
        )
        conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(revoked_at=utcnow()))
        audit.append(conn, actor, action, f"key:{key_id}", {"role": row.role})


def rotate_key(engine: Engine, key_id: int, actor: str = "system") -> str:
    """Give key ``key_id`` a new secret, returned once; the old one stops working at once.
    OIDC identities have no secret to rotate (a ConfigError), nor have revoked keys."""
    token = new_token()
    digest = hash_token(token)
    with transaction(engine, write=True) as conn:
        row = _active_row(conn, key_id)
        if str(row.key_hash).startswith(IDENTITY_PREFIX):
            raise ConfigError(f"key {key_id} is an OIDC identity: it has no secret to rotate")
        conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(key_hash=digest))
        details = {"role": row.role, "fingerprint": key_fingerprint(digest)}
        audit.append(conn, actor, "key.rotate", f"key:{key_id}", details)
    return token


def revoke_identity(engine: Engine, issuer: str, subject: str, actor: str = "system") -> int:
    """Refuse the OIDC identity ``(issuer, subject)`` from now on, seen before or not (an
    unseen one gets a revoked row, so its first login is refused); returns its row id."""
    if not issuer.strip() or not subject.strip():
        raise ConfigError("an identity needs an issuer and a subject")
    marker = identity_hash(issuer, subject)
    with transaction(engine, write=True) as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == marker)).first()
        if row is None:
            key_id = conn.execute(
                api_keys.insert()
                .values(
                    name=f"oidc:{subject}"[:255],
                    role=Role.SUBMITTER.value,
                    key_hash=marker,
                    created_at=utcnow(),
                    revoked_at=utcnow(),
                )
                .returning(api_keys.c.id)
            ).scalar_one()
            label = actor_label(subject, int(key_id))
            fingerprint = key_fingerprint(marker)
            details = {"role": Role.SUBMITTER.value, "issuer": issuer, "fingerprint": fingerprint}
            audit.append(conn, actor, "identity.create", f"key:{key_id}", details)
            audit.append(conn, actor, "identity.revoke", f"key:{key_id}", {"identity": label})
            return int(key_id)
    revoke_key(engine, int(row.id), actor)
    return int(row.id)
