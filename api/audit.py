"""The append-only, tamper-evident audit log.

Every entry carries ``hash = sha256(prev_hash + canonical JSON of the entry)``, where the entry
is its sequence number, time, actor, action, subject and details. Sequence numbers are
contiguous from 1, so an edited, inserted or deleted entry breaks the chain and
:func:`verify_audit` names it. Entries are written inside the caller's transaction: if the
audit write fails, the action it records is rolled back too.

Each append also signs the new head in ``audit_head`` with the audit key kept outside the
database (:mod:`triage.api.anchor`), so a cut tail, an emptied log or a re-computed chain is
detected; :func:`verify_audit` also checks the service's tables against what the log says
(:mod:`triage.api.audit_checks`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from triage.api import anchor
from triage.api.db import audit_head, audit_log, transaction, utcnow

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
    key = anchor.bound_key(conn.engine)
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
    digest = entry_hash(prev, entry)
    conn.execute(
        audit_log.insert().values(
            seq=seq,
            at=entry["at"],
            actor=actor,
            action=action,
            subject=subject,
            details=canonical(entry["details"]),
            prev_hash=prev,
            hash=digest,
        )
    )
    head = {
        "seq": seq,
        "hash": digest,
        "hmac": anchor.head_mac(key, seq, digest),
        "at": entry["at"],
    }
    if conn.execute(audit_head.update().where(audit_head.c.id == 1).values(**head)).rowcount != 1:
        conn.execute(audit_head.insert().values(id=1, **head))
    return seq


def _chain_problems(rows: list[Any]) -> list[str]:
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
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


def _head_problems(key: bytes, rows: list[Any], head: Any) -> list[str]:
    last_seq = int(rows[-1].seq) if rows else 0
    if head is None:
        if rows:
            return [f"the log ends at entry {last_seq} but its head is not anchored (removed)"]
        return []
    seq = int(head.seq)
    if not anchor.head_valid(key, seq, str(head.hash), str(head.hmac)):
        return [
            f"the anchored head (entry {seq}) does not verify under the audit key: the log "
            "was re-chained, the head edited, or this is another service's key"
        ]
    if last_seq < seq:
        return [f"the log ends at entry {last_seq} but its anchored head is entry {seq} (cut)"]
    if last_seq > seq:
        return [f"entries {seq + 1} to {last_seq} come after the anchored head (added)"]
    if str(rows[-1].hash) != str(head.hash):
        return [f"entry {seq} does not match the anchored head's hash (re-chained)"]
    return []


def _checkpoint_problems(key: bytes, rows: list[Any], checkpoint: dict[str, Any]) -> list[str]:
    seq = int(checkpoint["seq"])
    if not anchor.checkpoint_valid(key, checkpoint):
        return [f"the checkpoint (entry {seq}) does not verify under the audit key"]
    by_seq = {int(r.seq): str(r.hash) for r in rows}
    last_seq = max(by_seq, default=0)
    if seq == 0:
        return []
    if last_seq < seq:
        return [f"the log ends at entry {last_seq}, behind the checkpoint at entry {seq} (cut)"]
    if by_seq.get(seq) != checkpoint["hash"]:
        return [f"entry {seq} does not match the checkpoint's hash (re-chained or replaced)"]
    return []


def verify_audit(engine: Engine, checkpoint: dict[str, Any] | None = None) -> list[str]:
    """Check the chain, its anchored head (and ``checkpoint``, of :func:`checkpoint`, if
    given) under the engine's audit key, and the service's tables against the log; returns
    the problems found, one line each (empty when intact). Reads only."""
    from triage.api.audit_checks import table_problems

    key = anchor.bound_key(engine)
    with transaction(engine) as conn:
        rows = list(conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all())
        head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).first()
        problems = _chain_problems(rows) + _head_problems(key, rows, head)
        if checkpoint is not None:
            problems += _checkpoint_problems(key, rows, checkpoint)
        problems += table_problems(conn, rows)
    return problems


def checkpoint(engine: Engine) -> dict[str, Any]:
    """A signed checkpoint of the current head (seq, hash, time, HMAC) to keep outside the
    database; ``seq`` 0 for an empty log."""
    key = anchor.bound_key(engine)
    with transaction(engine) as conn:
        last = conn.execute(
            sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
    seq, digest = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
    return anchor.make_checkpoint(key, seq, digest, utcnow().isoformat())


def entries(engine: Engine, subject: str | None = None) -> list[dict[str, Any]]:
    """Audit entries (oldest first), optionally only those about ``subject``."""
    query = sa.select(audit_log).order_by(audit_log.c.seq)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    with transaction(engine) as conn:
        return [_entry(r) for r in conn.execute(query).all()]
