"""Review of referred submissions: stage what an approval releases, then decide once.

Every HTTP answer here is a domain error (:mod:`triage.api.services.errors`); the files an
approval releases are written and fsynced before the decision commits, and put in place inside
its transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from triage.api import audit
from triage.api.db import files, reviews, submissions, transaction, utcnow
from triage.api.deps import ServiceState
from triage.api.schemas import (
    REVIEW_DECISION,
    ReviewAction,
    ReviewIn,
    ReviewState,
    SubmissionStatus,
)
from triage.api.security import Principal
from triage.api.services import releases
from triage.api.services.errors import Conflict, Forbidden
from triage.api.services.results import (
    file_names,
    proposed_names,
    released_dir,
    result_folder,
)
from triage.api.services.submissions import load_submission
from triage.api.storage import fsync_dir, restrict_tree

log = logging.getLogger(__name__)


def review_submission(state: ServiceState, principal: Principal, sid: str, body: ReviewIn) -> None:
    """Decide a referred submission (never one's own) that waits for review, audited.

    An approval first stages what it releases (:func:`_stage_release`), fsynced; then the
    decision, the review, the register entries of the released form and the audit entry commit
    in one transaction (:func:`_decide`), which also puts the files in place. If writing the
    files fails, or the check left no readable register entries, nothing is decided.

    Raises
    ------
    Forbidden
        The reviewer submitted it.
    Conflict
        It is not waiting for review, or the approval has nothing to release.
    """
    row = load_submission(state, principal, sid)
    if int(row.owner_key_id) == principal.key_id:
        raise Forbidden("nobody may review their own submission")
    if row.status != SubmissionStatus.DONE or row.review_state != ReviewState.PENDING:
        raise Conflict("this submission is not waiting for review")
    final = REVIEW_DECISION[body.action]
    register = _register_entries(state, row, body.action)
    staged, released = (
        (None, [])
        if body.action is ReviewAction.WITHHOLD
        else _stage_release(state, row, body.action)
    )
    now = utcnow()
    try:
        _decide(state, row, principal, body, final, now, staged, released, register)
    finally:
        if staged is not None and staged.exists():
            shutil.rmtree(staged, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    """Make a written file durable."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _write_submitted(state: ServiceState, row: sa.Row[Any], folder: Path) -> None:
    """The submitted files as released: tables loaded with the project's loaders and
    written formula-escaped (:func:`triage.io.formats.write_released`; a workbook as a new
    workbook of its checked sheets, :func:`triage.io.excel.write_workbook`), documents copied as
    submitted."""
    from triage.context import Limits
    from triage.documents import is_document
    from triage.io.excel import write_workbook
    from triage.io.formats import write_released
    from triage.runner import load_tables

    with transaction(state.engine) as conn:
        stored = conn.execute(
            sa.select(files.c.name, files.c.stored_path)
            .where(files.c.submission_id == row.id)
            .order_by(files.c.id)
        ).all()
    if not stored:
        raise Conflict("the submission has no stored files to release")
    for f in stored:
        source = state.settings.data_dir / f.stored_path
        if is_document(source):
            shutil.copyfile(source, folder / f.name)
            continue
        tables = load_tables(source, Limits())
        if tables.sheets:  # a workbook: a new one from its checked sheets, never the input
            sheets = {tables.sheets[d.name][1]: d.frame for d in tables.datasets}
            write_workbook(sheets, folder / f.name)
        else:
            (dataset,) = tables.datasets
            write_released(dataset.frame, folder / f.name, dataset.format)


def _stage_release(
    state: ServiceState, row: sa.Row[Any], action: ReviewAction
) -> tuple[Path, list[str]]:
    """Write what an approval releases into a fresh folder beside ``result/released``, every
    file fsynced; returns the folder and its file names. ``approve_with_changes`` takes the
    proposal (409 when there is none), ``approve_release`` the submitted data. Blocking (the
    route runs in FastAPI's thread pool); on failure nothing is left behind."""
    result = result_folder(state, row)
    proposed = proposed_names(state, row)
    if result is None:
        raise Conflict("the check left no result to release")
    if action is ReviewAction.APPROVE_WITH_CHANGES and not proposed:
        raise Conflict(
            "the check proposed no changes: approve the release as submitted or withhold",
        )
    staged = result / f".staged-release-{uuid.uuid4().hex}"
    staged.mkdir(mode=0o700)
    try:
        if action is ReviewAction.APPROVE_WITH_CHANGES:
            for name in proposed:
                shutil.copyfile(result / "proposed" / name, staged / name)
        else:
            _write_submitted(state, row, staged)
        restrict_tree(staged)
        names = file_names(staged)
        for name in names:
            _fsync_file(staged / name)
        fsync_dir(staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged, names


def _publish(state: ServiceState, row: sa.Row[Any], staged: Path | None) -> None:
    """Make the staged folder ``result/released`` (without one: no released folder at all),
    replacing whatever an earlier, uncommitted review left there."""
    target = released_dir(state, row)
    if target is None:
        return
    if target.exists():
        shutil.rmtree(target)
    if staged is not None:
        staged.replace(target)
    fsync_dir(target.parent)


def _register_entries(
    state: ServiceState, row: sa.Row[Any], action: ReviewAction
) -> list[dict[str, Any]]:
    """The register entries of the form ``action`` releases (none for ``withhold``), from the
    check's run folder; 409 when they are missing or unreadable (nothing is decided)."""
    form = releases.REVIEWED_FORM.get(action)
    if form is None:
        return []
    try:
        forms = releases.load_register(state.settings.data_dir / row.result_dir, row.decision)
    except releases.RegisterError as exc:
        log.error("submission %s: %s", row.id, exc)
        raise Conflict(
            "the check left no register entries for this release: nothing was decided"
        ) from None
    return forms[form]


def _decide(
    state: ServiceState,
    row: sa.Row[Any],
    principal: Principal,
    body: ReviewIn,
    final: str,
    now: dt.datetime,
    staged: Path | None,
    released: list[str],
    register: list[dict[str, Any]],
) -> None:
    """The review's decision, review row, register entries and audit entry in one
    transaction; the staged files become ``result/released`` just before it commits."""
    sid = str(row.id)
    with transaction(state.engine, write=True) as conn:
        updated = conn.execute(
            submissions.update()
            .where(
                submissions.c.id == sid,
                submissions.c.status == SubmissionStatus.DONE,
                submissions.c.review_state == ReviewState.PENDING,
            )
            .values(
                final_decision=final,
                review_state=ReviewState.REVIEWED.value,
                updated_at=now,
            )
        )
        if updated.rowcount != 1:
            raise Conflict("this submission is not waiting for review")
        conn.execute(
            reviews.insert().values(
                submission_id=sid,
                reviewer_key_id=principal.key_id,
                action=body.action.value,
                justification=body.justification,
                created_at=now,
            )
        )
        registered = releases.insert_entries(conn, sid, register, at=now, actor=principal.actor)
        audit.append(
            conn,
            principal.actor,
            "review",
            sid,
            {
                "action": body.action.value,
                "engine_decision": row.decision,
                "final_decision": final,
                "justification": body.justification,
                "released": released,
                "registered": registered,
            },
        )
        _publish(state, row, staged)
