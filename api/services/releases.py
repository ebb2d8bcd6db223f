"""The service's releases in the register of releases (:mod:`triage.store.register`).

A check (in a pool process or on a Dask worker) fingerprints each table, keyed with the run's
pseudonymisation key, in every form its decision may release: ``release`` and
``release_with_changes`` as released; ``refer`` as proposed to the reviewer and as submitted,
since the reviewer picks one; ``withhold`` none. It writes them to ``register.json`` in its
run folder: names, hashes, counts, column roles and keyed fingerprints, no data values.
Documents are not fingerprinted (as ``triage check --record``).

The transaction that commits a releasing decision (the worker's fenced
:func:`~triage.api.jobs.queue.complete_job`, or a reviewer's approval) inserts the released form's
entries into the ``releases`` table of the same database with who and when, so a committed
decision is registered exactly once and one that does not commit registers nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from triage.api.db import submissions
from triage.api.schemas import ReviewAction
from triage.store.register import NewRelease, insert_release

if TYPE_CHECKING:  # the engine is imported only where checks run
    from triage.runner import CheckedRun, RegisterForm

#: The file, in a check's run folder, holding its register entries.
REGISTER_FILE = "register.json"
FORMAT = "triage-register-entries/1"
#: The forms of the tables a check's decision may release, by decision.
FORMS: dict[str, tuple[RegisterForm, ...]] = {
    "release": ("released",),
    "release_with_changes": ("released",),
    "refer": ("proposed", "submitted"),
    "withhold": (),
}
#: The form each review action releases (``withhold`` releases none).
REVIEWED_FORM: dict[ReviewAction, RegisterForm] = {
    ReviewAction.APPROVE_WITH_CHANGES: "proposed",
    ReviewAction.APPROVE_RELEASE: "submitted",
}
#: What an entry keeps of a :class:`~triage.store.register.NewRelease`: when, by whom and the
#: fingerprint summary are set when it is inserted.
ENTRY_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in fields(NewRelease)
    if f.name not in ("released_at", "created_by", "fingerprint_summary")
)
_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "dataset_sha256": str,
    "rows": int,
    "columns": dict,
    "fingerprint": dict,
    "supersedes_id": (int, type(None)),
}


class RegisterError(RuntimeError):
    """A run folder's register entries are missing, unreadable or not the decision's."""


def build_register(run: CheckedRun) -> dict[str, Any]:
    """The register entries (JSON data) of a finished check, for each form its decision may
    release."""
    from triage.runner import register_entries

    decision = run.result.report.decision.value
    at = dt.datetime.now(dt.UTC)  # replaced when an entry is inserted
    forms = {
        form: [
            {name: getattr(release, name) for name in ENTRY_FIELDS}
            for release in register_entries(run, form, released_at=at, created_by="check")
        ]
        for form in FORMS[decision]
    }
    return {"format": FORMAT, "decision": decision, "forms": forms}


def write_register(run_dir: Path, run: CheckedRun) -> None:
    """Write :func:`build_register` of ``run`` to ``run_dir/register.json``, fsynced."""
    text = json.dumps(build_register(run), separators=(",", ":"), allow_nan=False)
    path = run_dir / REGISTER_FILE
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _valid_entry(entry: Any) -> bool:
    if not isinstance(entry, dict) or set(entry) != set(ENTRY_FIELDS):
        return False
    for name in ENTRY_FIELDS:
        value = entry[name]
        expected = _TYPES.get(name, (str, type(None)))
        if not isinstance(value, expected) or isinstance(value, bool):
            return False
    return entry["rows"] >= 0


def load_register(run_dir: Path, decision: str) -> dict[str, list[dict[str, Any]]]:
    """The entries, by form, that the check with ``decision`` wrote in ``run_dir``.

    Raises
    ------
    RegisterError
        The file is missing or unreadable, was written for another decision, or lacks a form
        the decision may release.
    """
    try:
        data = json.loads((run_dir / REGISTER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegisterError(f"the check's register entries are unreadable: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RegisterError("the check's register entries are in an unknown format")
    if data.get("decision") != decision:
        raise RegisterError("the check's register entries were made for another decision")
    forms = data.get("forms")
    expected = FORMS.get(decision)
    if expected is None or not isinstance(forms, dict) or set(forms) != set(expected):
        raise RegisterError("the check's register entries lack a form the decision releases")
    for entries in forms.values():
        if not isinstance(entries, list) or not all(_valid_entry(e) for e in entries):
            raise RegisterError("the check's register entries are malformed")
    return forms


def insert_entries(
    conn: Connection,
    submission_id: str,
    entries: Sequence[dict[str, Any]],
    *,
    at: dt.datetime,
    actor: str | None = None,
) -> list[int]:
    """Insert ``entries`` (of :func:`load_register`) into the register on ``conn``, inside the
    transaction that commits the decision releasing them; returns the new release ids.

    Each is released ``at``, by ``actor`` (default: the submitter's key, ``key:N``), to the
    recipient and for the purpose the answers named, else those of the submission.
    """
    if not entries:
        return []
    row = conn.execute(
        sa.select(submissions.c.owner_key_id, submissions.c.recipient, submissions.c.purpose).where(
            submissions.c.id == submission_id
        )
    ).one()
    created_by = actor or f"key:{row.owner_key_id}"
    ids = []
    for entry in entries:
        release = NewRelease(
            **{
                **entry,
                "recipient": entry["recipient"] or row.recipient,
                "purpose": entry["purpose"] or row.purpose,
            },
            released_at=at,
            created_by=created_by,
        )
        ids.append(insert_release(conn, release))
    return ids
