"""The suffix table: which format a table file is, and the module that reads AND writes it.

:data:`EXTENSIONS` maps a suffix to a format and :data:`HANDLERS` a format to its module,
imported the first time the format is met (as the transform registry does). Each module has
``read(path, raw, limits, fmt, sheet) -> TableRead`` over the file's bytes, read once and
hashed as read (:func:`triage.io.limits.read_input`), and ``write(frame, path, fmt)``.

Every loader returns a :class:`~triage.dataset.Dataset` whose columns hold strings exactly as
written in the file (``"007"`` keeps its zeros) or missing values. Errors are
:class:`~triage.errors.DataInputError` with one line naming the file and the problem, never a
cell value. Nested values become leaf columns (:mod:`triage.io.nested`); data written for
release (:func:`write_released`, from the checked frame) holds the leaf columns, never the
nested original. Geospatial files (GeoPackage, Shapefile, GeoJSON of any geometry) are read by
:mod:`triage.io.geo`, whole XLSX workbooks by :mod:`triage.io.workbook`.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from pathlib import Path
from typing import Protocol, cast

import pandas as pd

from triage.context import Limits
from triage.dataset import Dataset
from triage.io.errors import file_error
from triage.io.excel import xlsx_writable
from triage.io.frames import TableRead
from triage.io.limits import check_file, check_shape, read_input

log = logging.getLogger(__name__)

#: File extension -> format name.
EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".geojson": "geojson",
}
#: Formats :func:`write_released` can write.
WRITABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet", "json", "ndjson", "geojson")
#: format -> the suffix it is written with
SUFFIXES: dict[str, str] = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "parquet": ".parquet",
    "json": ".json",
    "ndjson": ".ndjson",
    "geojson": ".geojson",
}
#: format -> the module that reads and writes it
HANDLERS: dict[str, str] = {
    "csv": "triage.io.csv",
    "xlsx": "triage.io.excel",
    "parquet": "triage.io.parquet",
    "json": "triage.io.json",
    "ndjson": "triage.io.json",
    "geojson": "triage.io.json",
}


class TableFormat(Protocol):
    """What a format's module provides."""

    def read(
        self, path: Path, raw: bytes, limits: Limits, fmt: str, sheet: str | None
    ) -> TableRead:
        """The table in ``raw``, the bytes of ``path`` (``sheet``: XLSX only)."""

    def write(self, frame: pd.DataFrame, path: Path, fmt: str) -> Path:
        """Write ``frame`` to ``path`` atomically; returns the path written."""


@cache
def handler(fmt: str) -> TableFormat:
    """The module reading and writing ``fmt``, imported on first use."""
    return cast(TableFormat, importlib.import_module(HANDLERS[fmt]))


def _detect_format(path: Path) -> str:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(EXTENSIONS))
        shown = path.suffix or "(none)"
        raise file_error(path, f"unsupported file type {shown}; supported: {supported}")
    return fmt


def load_dataset(
    path: Path, limits: Limits, name: str | None = None, *, sheet: str | None = None
) -> Dataset:
    """Load a CSV, XLSX, Parquet, JSON, NDJSON or GeoJSON file as string columns.

    Parameters
    ----------
    path
        The file; its extension selects the reader (see :data:`EXTENSIONS`).
    limits
        File size, row, column and cell-length limits.
    name
        Dataset name; defaults to the file name.
    sheet
        XLSX only: the sheet to read (default: the first). A workbook to be checked is read
        whole instead, every sheet and part (:func:`triage.io.workbook.load_workbook`).

    Returns
    -------
    Dataset
        Name, SHA-256 of the file bytes, format and a frame of strings / missing values; a
        nested Parquet or JSON column as its leaf columns, or, with too many leaves, left out
        and named in ``left_out``.

    Raises
    ------
    DataInputError
        The file is missing, empty, malformed, unsupported or over a limit.
    """
    path = Path(path)
    fmt = _detect_format(path)
    check_file(path, limits)
    raw, sha = read_input(path, limits)  # what is hashed is what is parsed
    table = handler(fmt).read(path, raw, limits, fmt, sheet)
    check_shape(path, table.frame, limits)
    return Dataset(
        name or path.name,
        sha,
        table.fmt,
        table.frame,
        left_out=table.left_out,
        repairs=table.repairs,
    )


def write_released(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write released data atomically; returns the path actually written.

    Parameters
    ----------
    frame
        The data to write (not modified).
    path
        Target path. Its suffix is replaced by the written format's (``.csv`` etc.).
    fmt
        ``csv``, ``xlsx``, ``parquet``, ``json``, ``ndjson`` or ``geojson``. Anything else, a
        GeoJSON request for a frame without ``longitude``/``latitude`` columns, or an XLSX
        request beyond Excel's limits is written as CSV instead.

    Notes
    -----
    CSV and XLSX cells and column names that a spreadsheet could run as a formula are escaped
    with a leading ``'`` (see :func:`triage.formulas.escape_formula`); an XLSX holds only text
    cells, never a formula.
    """
    path = Path(path)
    fmt = fmt.lower().lstrip(".")
    if fmt == "geojson" and not {"longitude", "latitude"} <= set(frame.columns):
        log.info("no longitude/latitude columns left: writing CSV instead of GeoJSON")
        fmt = "csv"
    if fmt == "xlsx" and not xlsx_writable(frame):
        log.info("data exceeds XLSX limits: writing CSV instead")
        fmt = "csv"
    if fmt not in WRITABLE_FORMATS:
        log.info("format %r cannot be written: writing CSV instead", fmt)
        fmt = "csv"
    return handler(fmt).write(frame, path.with_suffix(SUFFIXES[fmt]), fmt)
