"""What a finished check left in its result folder: the report, ``released/``, ``proposed/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from triage.api.deps import ServiceState


def result_folder(state: ServiceState, row: sa.Row[Any]) -> Path | None:
    """The folder the check wrote (report, ``released/``, ``proposed/``), if any."""
    if not row.result_dir:
        return None
    return state.settings.data_dir / row.result_dir / "result"


def released_dir(state: ServiceState, row: sa.Row[Any]) -> Path | None:
    """The folder of the released files (``result/released``), if the check left a result."""
    folder = result_folder(state, row)
    return None if folder is None else folder / "released"


def file_names(folder: Path | None) -> list[str]:
    """The names of the files in ``folder`` (none when it is missing)."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def released_names(state: ServiceState, row: sa.Row[Any]) -> list[str]:
    """Files of the released data (``result/released``)."""
    return file_names(released_dir(state, row))


def proposed_names(state: ServiceState, row: sa.Row[Any]) -> list[str]:
    """Files of the changes the check proposed to the reviewer (``result/proposed``)."""
    folder = result_folder(state, row)
    return file_names(None if folder is None else folder / "proposed")
