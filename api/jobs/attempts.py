"""Bounding the disk: attempt folders of finished and failed jobs are removed.

Each attempt of a job writes into its own ``submissions/<id>/attempt-<n>-<owner>/`` folder
(:func:`triage.api.jobs.run.attempt_dir`). Only the committed run is ever read again (its
report, released and proposed files, register entries), so a failed attempt's folder is removed
when it fails, the other attempts' folders when a result commits, and, when a worker starts,
whatever a crash left behind (:func:`reap_stale_attempts`).
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from triage.api.db import jobs, submissions, transaction
from triage.api.schemas import SubmissionStatus

log = logging.getLogger(__name__)

_ATTEMPT = re.compile(r"attempt-(\d+)-")
#: A submission folder without a submission row (an upload cut off by a crash before its
#: rows committed) is removed at start once it is this old; younger ones may still be arriving
ORPHAN_SECONDS = 6 * 3600.0


def _attempt_number(folder: Path) -> int | None:
    match = _ATTEMPT.match(folder.name)
    return int(match.group(1)) if match and folder.is_dir() else None


def drop_attempt(folder: Path) -> None:
    """Remove one attempt's folder (best effort: a failed attempt leaves nothing behind)."""
    shutil.rmtree(folder, ignore_errors=True)


def drop_other_attempts(data_dir: Path, kept: str) -> int:
    """Remove the ``run-*`` folders beside the committed run ``kept`` (relative to
    ``data_dir``) and every other attempt folder of its submission; returns how many."""
    keep = data_dir / kept
    dropped = 0
    for other in keep.parent.glob("run-*"):
        if other.name != keep.name:
            shutil.rmtree(other, ignore_errors=True)
            dropped += 1
    for other in keep.parent.parent.glob("attempt-*"):
        if other.name != keep.parent.name and _attempt_number(other) is not None:
            shutil.rmtree(other, ignore_errors=True)
            dropped += 1
    return dropped


def _stale(folder: Path, status: str, attempts: int, result_dir: str | None) -> list[Path]:
    """The attempt folders of one submission that nothing will read again."""
    kept = Path(result_dir).parts[2] if result_dir and len(Path(result_dir).parts) > 2 else None
    out = []
    for child in folder.glob("attempt-*"):
        number = _attempt_number(child)
        if number is None:
            continue
        if status == SubmissionStatus.DONE:
            stale = child.name != kept
        elif status == SubmissionStatus.FAILED:
            stale = True
        else:  # queued or running: only the current attempt may still be writing
            stale = number < attempts
        if stale:
            out.append(child)
    return out


def reap_stale_attempts(engine: Engine, data_dir: Path, now: float | None = None) -> int:
    """Remove attempt folders no job will read again (failed jobs', finished jobs' other
    attempts, earlier attempts of queued jobs) and old submission folders without a row;
    returns how many folders were removed."""
    root = data_dir / "submissions"
    if not root.is_dir():
        return 0
    with transaction(engine) as conn:
        rows = conn.execute(
            sa.select(
                submissions.c.id, submissions.c.status, submissions.c.result_dir, jobs.c.attempts
            ).join(jobs, jobs.c.submission_id == submissions.c.id, isouter=True)
        ).all()
    known = {str(r.id): (str(r.status), int(r.attempts or 0), r.result_dir) for r in rows}
    now = time.time() if now is None else now
    removed = 0
    for folder in root.iterdir():
        state = known.get(folder.name)
        if state is None:
            if folder.is_dir() and now - folder.stat().st_mtime > ORPHAN_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
            continue
        for stale in _stale(folder, *state):
            shutil.rmtree(stale, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d stale attempt or submission folders", removed)
    return removed
