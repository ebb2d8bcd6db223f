"""What every writer of released data shares: formula-escaped copies (a header is a cell
too), records for JSON and the atomic replace (a reader never sees half a file)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from triage.formulas import escape_formula, escape_formulas
from triage.io.frames import unique_names


def escape_released(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (as strings) with every cell and every column name formula-escaped
    (a header is a cell too)."""
    out = escape_formulas(frame)
    out.columns = pd.Index(unique_names(escape_formula(str(c)) for c in out.columns))
    return out


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write`` into a temporary file beside it, synced and then
    moved into place; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts, missing values as None."""
    obj = frame.astype(object).where(frame.notna(), None)
    return [dict(zip(obj.columns, row, strict=True)) for row in obj.itertuples(index=False)]
