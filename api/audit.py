"""The append-only, tamper-evident audit log.

Every entry carries ``hash = sha256(prev_hash + canonical JSON of the entry)``, where the entry
is its sequence number, time, actor, action, subject and details. Sequence numbers are
contiguous from 1, so an edited, inserted or deleted entry breaks the chain and
:func:`verify_audit` names it. Entries are written inside the caller's transaction: if the
audit write fails, the action it records is rolled back too. (Deleting the newest entries
cannot be detected from the table alone; anchor the head hash elsewhere for that.)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from triage.api.db import audit_log, transaction, utcnow

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x7472_6961_6175  # serialises appends on PostgreSQL


def canonical(entry: dict[str, Any]) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """``sha256(prev_hash + canonical(entry))`` as hex."""
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def _entry(row: Any) -> dict[str, Any]:
    return {
        "seq": int(row.seq),
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "subject": row.subject,
        "details": json.loads(row.details),
    }


def append(
    conn: Connection,
    actor: str,
    action: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry inside ``conn``'s (write) transaction; returns its sequence number.

    ``details`` must hold no raw data values (ids, counts, decisions, names of files only).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = conn.execute(
        sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    seq = 1 if last is None else int(last.seq) + 1
    prev = GENESIS if last is None else str(last.hash)
    entry: dict[str, Any] = {
        "seq": seq,
        "at": utcnow().isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details or {},
    }
    conn.execute(
        audit_log.insert().values(
            seq=seq,
            at=entry["at"],
            actor=actor,
            action=action,
            subject=subject,
            details=canonical(entry["details"]),
            prev_hash=prev,
            hash=entry_hash(prev, entry),
        )
    )
    return seq


def verify_audit(engine: Engine) -> list[str]:
    """Check the whole chain; returns the problems found (empty when intact)."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    with transaction(engine) as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
    for row in rows:
        seq = int(row.seq)
        if seq != expected_seq:
            problems.append(f"entry {seq}: expected sequence {expected_seq} (entry missing)")
        if row.prev_hash != prev:
            problems.append(f"entry {seq}: does not link to the previous entry")
        try:
            computed = entry_hash(row.prev_hash, _entry(row))
        except ValueError:
            problems.append(f"entry {seq}: details are not valid JSON")
        else:
            if computed != row.hash:
                problems.append(f"entry {seq}: content does not match its hash (edited)")
        prev = row.hash
        expected_seq = seq + 1
    return problems


def entries(engine: Engine, subject: str | None = None) -> list[dict[str, Any]]:
    """Audit entries (oldest first), optionally only those about ``subject``."""
    query = sa.select(audit_log).order_by(audit_log.c.seq)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    with transaction(engine) as conn:
        return [_entry(r) for r in conn.execute(query).all()]
