"""The service's tables checked against its audit log.

The hash chain covers only the log. These checks replay it and compare what it says with
the rows the service acts on: every key (created, role, revoked, secret, expiry), every
submission (its files), its decision and the stored report's sha256, its review and final
decision, and every release it registered. A row changed, added or deleted outside the service
(a decision flipped to ``release``, a key promoted to admin, register rows deleted) is named,
one line each.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from triage.api.db import api_keys, files, reviews, submissions
from triage.api.schemas import ReviewState
from triage.store.register import releases


def report_sha256(report: Any) -> str:
    """The sha256 of a report's canonical JSON (as recorded in its decision entry)."""
    text = json.dumps(report, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_fingerprint(key_hash: str) -> str:
    """What the audit log keeps of a key's stored hash: enough to see it replaced."""
    return hashlib.sha256(f"triage-key/1|{key_hash}".encode()).hexdigest()[:32]


def _details(row: Any) -> dict[str, Any]:
    try:
        value = json.loads(row.details)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class _Key:
    role: Any
    fingerprint: Any = None
    expires_at: Any = None
    revoked: bool = False


@dataclass
class _Submission:
    submitted: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    reviews: list[dict[str, Any]] = field(default_factory=list)


def _key_id(subject: Any) -> int | None:
    text = str(subject or "")
    return int(text[4:]) if text.startswith("key:") and text[4:].isdigit() else None


def _replay(rows: list[Any]) -> tuple[dict[int, _Key], dict[str, _Submission]]:
    keys: dict[int, _Key] = {}
    subs: dict[str, _Submission] = {}
    for row in rows:
        action, d = str(row.action), _details(row)
        key_id = _key_id(row.subject)
        if key_id is not None and action in ("key.create", "identity.create"):
            keys[key_id] = _Key(d.get("role"), d.get("fingerprint"), d.get("expires_at"))
        elif key_id is not None and key_id in keys:
            state = keys[key_id]
            if action in ("identity.role", "key.role"):
                state.role = d.get("role")
            elif action in ("key.revoke", "identity.revoke"):
                state.revoked = True
            elif action == "key.rotate":
                state.fingerprint = d.get("fingerprint")
        elif action in ("submission", "decision", "review") and row.subject:
            sub = subs.setdefault(str(row.subject), _Submission())
            if action == "submission":
                sub.submitted = d
            elif action == "decision":
                sub.decision = d
            else:
                sub.reviews.append(d)
    return keys, subs


def _key_problems(conn: Connection, logged: dict[int, _Key]) -> list[str]:
    problems = []
    for row in conn.execute(sa.select(api_keys).order_by(api_keys.c.id)).all():
        key_id = int(row.id)
        state = logged.pop(key_id, None)
        if state is None:
            problems.append(f"key {key_id}: no audit entry created it (added outside the service)")
            continue
        if row.role != state.role:
            problems.append(f"key {key_id}: role {row.role} in the table, {state.role} in the log")
        if state.revoked and row.revoked_at is None:
            problems.append(f"key {key_id}: revoked in the audit log but active in the table")
        if not state.revoked and row.revoked_at is not None:
            problems.append(f"key {key_id}: revoked in the table without an audit entry")
        if state.fingerprint and key_fingerprint(str(row.key_hash)) != state.fingerprint:
            problems.append(f"key {key_id}: its secret was replaced outside the service")
        expires = row.expires_at.isoformat() if row.expires_at is not None else None
        if expires != state.expires_at:
            problems.append(
                f"key {key_id}: expiry {expires} in the table, {state.expires_at} in the log"
            )
    problems += [f"key {k}: in the audit log but deleted from the table" for k in logged]
    return problems


def _expected_outcome(sub: _Submission) -> tuple[Any, Any]:
    """The final decision and review state the log implies."""
    if sub.reviews:
        return sub.reviews[-1].get("final_decision"), ReviewState.REVIEWED
    if sub.decision is None:
        return None, None
    decision = sub.decision.get("decision")
    return (None, ReviewState.PENDING) if decision == "refer" else (decision, None)


def _decision_problems(row: Any, sub: _Submission) -> list[str]:
    sid, problems = str(row.id), []
    if sub.decision is None:
        if row.decision is not None:
            problems.append(f"submission {sid}: decision {row.decision} has no audit entry")
    else:
        logged = sub.decision.get("decision")
        if row.decision != logged:
            problems.append(
                f"submission {sid}: decision {row.decision} in the table, {logged} in the log"
            )
        recorded = sub.decision.get("report_sha256")
        if recorded and (row.report is None or report_sha256(row.report) != recorded):
            problems.append(
                f"submission {sid}: the stored report does not match its recorded sha256"
            )
    final, state = _expected_outcome(sub)
    if row.final_decision != final:
        problems.append(
            f"submission {sid}: final decision {row.final_decision}, the log says {final}"
        )
    if row.review_state != state:
        problems.append(
            f"submission {sid}: review state {row.review_state} in the table, {state} in the log"
        )
    return problems


def _submission_problems(conn: Connection, logged: dict[str, _Submission]) -> list[str]:
    problems = []
    stored_files: dict[str, set[tuple[str, str]]] = {}
    for f in conn.execute(sa.select(files.c.submission_id, files.c.name, files.c.sha256)).all():
        stored_files.setdefault(str(f.submission_id), set()).add((str(f.name), str(f.sha256)))
    review_rows: dict[str, list[tuple[str, str]]] = {}
    for r in conn.execute(sa.select(reviews).order_by(reviews.c.id)).all():
        review_rows.setdefault(str(r.submission_id), []).append((r.action, r.justification))
    seen = set()
    for row in conn.execute(sa.select(submissions).order_by(submissions.c.created_at)).all():
        sid = str(row.id)
        seen.add(sid)
        sub = logged.get(sid, _Submission())
        if sub.submitted is None:
            problems.append(
                f"submission {sid}: no audit entry records it (added outside the service)"
            )
            continue
        files_logged = {
            (str(f.get("name")), str(f.get("sha256"))) for f in sub.submitted.get("files") or []
        }
        if stored_files.get(sid, set()) != files_logged:
            problems.append(f"submission {sid}: its files differ from those the audit log recorded")
        problems += _decision_problems(row, sub)
        logged_reviews = [(d.get("action"), d.get("justification")) for d in sub.reviews]
        if review_rows.get(sid, []) != logged_reviews:
            problems.append(f"submission {sid}: its review rows differ from its review entries")
    problems += [
        f"submission {sid}: in the audit log but deleted from the table"
        for sid, sub in logged.items()
        if sid not in seen and sub.submitted is not None
    ]
    return problems


def _register_problems(conn: Connection, logged: dict[str, _Submission]) -> list[str]:
    present = {int(i) for i in conn.execute(sa.select(releases.c.id)).scalars()}
    problems = []
    for sid, sub in logged.items():
        ids = list((sub.decision or {}).get("registered") or [])
        for review in sub.reviews:
            ids += list(review.get("registered") or [])
        problems += [
            f"release {i} (registered for submission {sid}) is missing from the register"
            for i in ids
            if int(i) not in present
        ]
    return problems


def table_problems(conn: Connection, rows: list[Any]) -> list[str]:
    """The service's rows on ``conn`` that disagree with the audit entries ``rows``."""
    keys, subs = _replay(rows)
    problems = _key_problems(conn, keys)
    problems += _register_problems(conn, subs)
    problems += _submission_problems(conn, subs)
    return problems
