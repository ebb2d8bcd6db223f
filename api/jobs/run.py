"""The run of one check, in a local check process or on a Dask worker.

Each execution writes into its own ``run-*`` folder inside the per-attempt folder and returns
that folder with the report, so a re-run (a new attempt, or Dask running the same task again
after a worker died) never touches what another execution wrote. Only paths come in and JSON
data goes out.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from triage.api.jobs.queue import ClaimedJob
from triage.api.services import releases
from triage.api.storage import private_dir, restrict_tree
from triage.errors import ConfigError


@dataclass(frozen=True)
class CheckOutcome:
    """What one execution of a check returns: the report (JSON data) and the folder, relative
    to the data folder, holding its ``result/`` outputs (no other execution writes there)."""

    report: dict[str, Any]
    result_dir: str


def attempt_dir(data_dir: Path, job: ClaimedJob, owner: str) -> Path:
    """The folder of one attempt: its progress file and one ``run-*`` folder per execution."""
    return data_dir / "submissions" / job.submission_id / f"attempt-{job.attempt}-{owner[-8:]}"


def _require_visible(data_dir: Path, db_url: str) -> None:
    """Fail closed when this process cannot see the shared data folder or the SQLite register
    (opening a missing SQLite file would create an empty register: linkage would pass)."""
    if not data_dir.is_dir():
        raise ConfigError("the shared data folder is not visible on this worker")
    url = sa.engine.make_url(db_url)
    database = url.database or ""
    sqlite_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if sqlite_file and not Path(database).is_file():
        raise ConfigError("the register database is not visible on this worker")


def run_check(
    data_dir: str,
    inputs: tuple[str, ...],
    destination: str,
    context: str | None,
    out_dir: str,
    nlp_model: str | None,
    key_hex: str | None,
    db_url: str,
    supersedes: Sequence[str] = (),
) -> CheckOutcome:
    """Run one check (in a pool process or on a Dask worker) into a fresh ``run-*`` folder
    inside ``out_dir``; returns the report and that folder.

    Only paths come in and JSON data goes out. Running the same arguments twice, even at the
    same time, is harmless: each execution has its own folder. Progress lines are appended to
    ``out_dir/progress.txt`` for the status endpoint. The register entries of what the
    decision may release go to ``register.json`` in the run folder
    (:func:`triage.api.services.releases.write_register`).
    """
    from triage.runner import check_paths, default_context
    from triage.vocab import Destination

    root = Path(data_dir)
    _require_visible(root, db_url)
    out = private_dir(Path(out_dir))
    run = out / f"run-{uuid.uuid4().hex[:12]}"
    run.mkdir(mode=0o700)
    progress_file = out / "progress.txt"

    def progress(message: str) -> None:
        fd = os.open(progress_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(message.replace("\n", " ")[:200] + "\n")

    ctx = default_context(
        key=bytes.fromhex(key_hex) if key_hex else None, nlp_model=nlp_model, seed=None
    )
    report = check_paths(
        [root / p for p in inputs],
        Destination(destination),
        run / "result",
        ctx,
        progress=progress,
        context_path=root / context if context else None,
        registry_url=db_url,
        on_result=lambda checked: releases.write_register(run, checked),
        supersedes=supersedes,
    )
    restrict_tree(out)  # whatever the engine wrote, whatever the umask: 0700 and 0600
    return CheckOutcome(report.to_json_dict(), run.relative_to(root).as_posix())


def prepare_process(increment: int, nlp_model: str | None) -> None:
    """A check process's initializer: run ``increment`` steps nicer, then import the engine
    and load the NLP model, so the first job does not pay for them (the pool is started with
    the worker, before any upload arrives)."""
    if increment > 0 and hasattr(os, "nice"):
        os.nice(increment)
    import triage.runner  # noqa: F401  (the engine's imports)

    if nlp_model:
        from triage.classifiers.nlp import load_spacy
        from triage.classifiers.text import UNUSED_PIPES

        # a missing model is reported by each job, as a problem that forces refer
        with contextlib.suppress(ConfigError):
            load_spacy(nlp_model, disable=UNUSED_PIPES)
