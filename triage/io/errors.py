"""The one error of the readers: a :class:`~triage.errors.DataInputError` of one line naming
the file (its basename, never a directory) and the problem, never a cell value."""

from __future__ import annotations

from pathlib import Path

from triage.errors import DataInputError


def file_error(path: Path, problem: str) -> DataInputError:
    """A one-line DataInputError naming the file (basename) and the problem."""
    return DataInputError(f"{path.name}: {problem}")
