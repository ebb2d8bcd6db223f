"""The output folder of a check, written whole or not at all.

A run writes into a fresh staging folder on the same file system (beside the output folder,
else inside it) and moves its files into place only once all are written: the reports last,
``report.json`` the very last. Before that, the outputs of the previous run are taken away:
``report.json``, ``report.md``, ``report.html`` and the files listed in the previous run's
manifest (``.triage-outputs.json``). Anything else in the folder belongs to the user and is
never deleted; a ``released/`` or ``proposed/`` folder still holding files triage did not
list (from a version without a manifest, or put there by hand) is renamed aside, so those
files never sit beside a report that does not release them. If the run fails, its staging
folder is removed and so are the previous run's outputs: no report is left to be taken for
this run's decision.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from triage.errors import TriageError

logger = logging.getLogger(__name__)

#: the reports, in the order they are removed (``report.json`` first) and moved in reversed
REPORTS = ("report.json", "report.md", "report.html")
#: folders of files triage writes (listed one by one in the manifest)
FOLDERS = ("released", "proposed", "documents")
#: folders whose files are released or proposed: nothing unlisted may stay in them
DATA_FOLDERS = ("released", "proposed")
MANIFEST = ".triage-outputs.json"


class OutputError(TriageError):
    """The outputs could not be written; nothing from this run or the previous one is left."""


@contextmanager
def staged_outputs(out_dir: Path) -> Iterator[Path]:
    """A staging folder to write a run's outputs into, moved into ``out_dir`` when the block
    ends; on any error nothing of this run stays and the previous run's outputs are removed
    (an ``OSError`` about the outputs becomes :class:`OutputError`)."""
    out = out_dir.resolve()  # a symbolic link's target: staged on the file system it is on
    try:
        stage = _new_stage(out)
    except OSError as exc:
        raise OutputError(_message(out, exc)) from None
    try:
        yield stage
        _commit(stage, out)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        try:
            _retract(out)
        except OSError:
            logger.warning("could not remove the previous outputs in %s", out)
        if isinstance(exc, OSError) and _about(exc, (stage, out)):
            raise OutputError(_message(out, exc)) from None
        raise


def _new_stage(out: Path) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.triage-", dir=out.parent))
    except PermissionError:  # a parent the user cannot write: stage inside the folder itself
        out.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".triage-staging-", dir=out))


def stages(out_dir: Path) -> set[Path]:
    """The staging folders of runs into ``out_dir`` that exist now (a killed run's stays)."""
    out = out_dir.resolve()
    found = set(out.parent.glob(f".{out.name}.triage-*")) if out.parent.is_dir() else set()
    return found | (set(out.glob(".triage-staging-*")) if out.is_dir() else set())


def _about(exc: OSError, folders: tuple[Path, ...]) -> bool:
    """Whether ``exc`` concerns the outputs: no file named (a failed write) or one in them."""
    if exc.filename is None:
        return True
    name = Path(os.fsdecode(exc.filename)).absolute()
    return any(name.is_relative_to(folder) for folder in folders)


def _message(out: Path, exc: OSError) -> str:
    return f"cannot write the outputs to {out}: {exc.strerror or exc}; nothing was released"


def _commit(stage: Path, out: Path) -> None:
    """Replace the previous outputs in ``out`` by the files in ``stage``, reports last."""
    files = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    (stage / MANIFEST).write_text(json.dumps({"files": files}, indent=1) + "\n", encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    _retract(out)
    os.replace(stage / MANIFEST, out / MANIFEST)  # first: a failure from here retracts these
    data = [f for f in files if f not in REPORTS]
    for rel in [*data, *(r for r in reversed(REPORTS) if r in files)]:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, out / rel)
    shutil.rmtree(stage)


def withdraw(out_dir: Path) -> None:
    """Remove the previous run's outputs from ``out_dir``, as after a failed run (for a run
    that died without failing, such as a killed child)."""
    _retract(out_dir.resolve())


def _retract(out: Path) -> None:
    """Remove the outputs of the previous run from ``out``: reports first, then the files its
    manifest lists; set aside a data folder that still holds files triage did not write."""
    if not out.is_dir():
        return
    for name in REPORTS:
        (out / name).unlink(missing_ok=True)
    for rel in _listed(out):
        (out / rel).unlink(missing_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    for folder in FOLDERS:
        _prune(out / folder)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for folder in DATA_FOLDERS:
        if (out / folder).is_dir():
            aside = out / f"{folder}.not-from-this-run-{stamp}"
            os.replace(out / folder, aside)
            logger.warning("%s holds files triage did not write: moved to %s", folder, aside)


def _listed(out: Path) -> list[str]:
    """The files the manifest in ``out`` lists, only inside triage's own folders."""
    try:
        files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    owned = []
    for rel in files if isinstance(files, list) else []:
        parts = PurePosixPath(str(rel)).parts
        if len(parts) > 1 and parts[0] in FOLDERS and ".." not in parts:
            owned.append(str(rel))
    return owned


def _prune(folder: Path) -> None:
    """Remove the empty folders under ``folder`` (and it, when empty)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()
