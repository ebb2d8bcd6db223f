"""XLSX sheets: one sheet read as string columns (a workbook to be checked is read whole by
:mod:`triage.io.workbook` through :func:`xlsx_sheet_rows` here) and released data written as a
new workbook of text cells only, the same input giving the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd

from triage.context import Limits
from triage.errors import DataInputError
from triage.io.csv import write as write_csv
from triage.io.errors import file_error
from triage.io.frames import TableRead, string_frame, unique_names
from triage.io.limits import check_zip_bomb
from triage.io.writing import atomic_write, escape_released

log = logging.getLogger(__name__)

_XLSX_MAX_ROWS = 1_048_576
_XLSX_MAX_COLUMNS = 16_384
_XLSX_MAX_CELL = 32_767


def read(path: Path, raw: bytes, limits: Limits, fmt: str, sheet: str | None) -> TableRead:
    """One sheet of an XLSX file's bytes (default: the first) as a table."""
    return TableRead(_read_xlsx(path, raw, limits, sheet), "xlsx")


def write(frame: pd.DataFrame, path: Path, fmt: str = "xlsx") -> Path:
    """Write ``frame`` as a one-sheet workbook (sheet ``data``) of text cells, atomically."""
    return _write_xlsx({"data": frame}, path)


def _xlsx_text(value: object) -> str | None:
    """An XLSX cell value as the text a reader sees: ints without '.0', dates ISO."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _read_xlsx(path: Path, raw: bytes, limits: Limits, sheet: str | None) -> pd.DataFrame:
    check_zip_bomb(path, limits, io.BytesIO(raw))
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise file_error(path, "is not a valid XLSX file (could not open the workbook)") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise file_error(path, f"has no sheet named {sheet!r}")
        if not wb.worksheets:
            raise file_error(path, "workbook has no sheets")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        records = xlsx_sheet_rows(path, ws, limits)
    finally:
        wb.close()
    if not records:
        raise file_error(path, "sheet is empty (no header row)")
    frame = xlsx_rows_frame(records)
    if frame is None:
        raise file_error(path, "has a header but no data rows")
    return frame


def xlsx_sheet_rows(path: Path, ws: Any, limits: Limits) -> list[list[str | None]]:
    """The non-blank rows of an openpyxl worksheet as text (header first), within ``limits``.

    The sheet's declared dimension (``A1:XFD1048576``) is not trusted: rows are read as
    stored, each as wide as its last cell, and counted as they stream."""
    records: list[list[str | None]] = []
    width = 0
    try:
        if hasattr(ws, "reset_dimensions"):  # read-only sheets pad rows to the declared size
            ws.reset_dimensions()
        for raw_row in ws.iter_rows(values_only=True):
            row = [_xlsx_text(v) for v in raw_row]
            while row and row[-1] is None:
                row.pop()
            if not row:
                continue
            if len(row) > width:
                width = len(row)
                if width > limits.max_columns:
                    raise file_error(
                        path, f"{width:,} columns, over the limit of {limits.max_columns:,}"
                    )
            records.append(row)
            if len(records) > limits.max_rows + 1:
                raise file_error(path, f"more than {limits.max_rows:,} rows, over the limit")
    except DataInputError:
        raise
    except Exception:
        raise file_error(path, "could not read the worksheet (corrupt XLSX content)") from None
    return records


def xlsx_rows_frame(records: list[list[str | None]]) -> pd.DataFrame | None:
    """A string frame from a sheet's rows (the first is the header); None without data rows."""
    if len(records) < 2:
        return None
    width = max(len(r) for r in records)
    names = unique_names(records[0] + [None] * (width - len(records[0])))
    cols: list[list[str | None]] = [[] for _ in names]
    for rec in records[1:]:
        rec = rec + [None] * (width - len(rec))
        for i in range(width):
            cols[i].append(rec[i])
    return string_frame(names, dict(zip(names, cols, strict=True)))


def xlsx_writable(frame: pd.DataFrame) -> bool:
    if len(frame) + 1 > _XLSX_MAX_ROWS or frame.shape[1] > _XLSX_MAX_COLUMNS:
        return False
    for col in frame.columns:
        longest = frame[col].astype("str").str.len().max()
        if not pd.isna(longest) and longest > _XLSX_MAX_CELL:
            return False
    return True


def _write_xlsx(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """A new workbook holding only cell values: one sheet per frame, names and cells
    formula-escaped and every string typed as text, so no cell is ever a formula."""
    from openpyxl import Workbook

    def write(fh: IO[bytes]) -> None:
        wb = Workbook(write_only=True)
        for title, frame in sheets.items():
            ws = wb.create_sheet(title)
            safe = escape_released(frame)
            ws.append(_text_cells(ws, safe.columns))
            for row in safe.astype(object).itertuples(index=False):
                ws.append(_text_cells(ws, row))
        buf = io.BytesIO()
        wb.save(buf)
        fh.write(_reproducible_zip(buf.getvalue()))

    return atomic_write(path, write)


#: the time written into released workbooks (members and document properties), so the same
#: input gives the same bytes
_FIXED_TIME = "2000-01-01T00:00:00Z"
_PROPERTY_TIME = re.compile(r"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def _reproducible_zip(data: bytes) -> bytes:
    """``data`` (an OOXML package) with fixed member times and creation/modification times."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = _PROPERTY_TIME.sub(rf"\g<1>{_FIXED_TIME}\g<2>", body.decode("utf-8"))
                body = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = info.compress_type
            dst.writestr(entry, body)
    return out.getvalue()


def _text_cells(ws: Any, values: Iterable[object]) -> list[Any]:
    """Write-only cells typed as text (never a formula); missing values stay empty."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for v in values:
        cell = WriteOnlyCell(ws)
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(v))
            cell.data_type = "s"
        cells.append(cell)
    return cells


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: Path) -> list[Path]:
    """Write released sheets (sheet name -> data) as one new XLSX workbook, atomically;
    returns the paths written. Beyond Excel's limits each sheet is written as CSV instead,
    to ``<stem>#<sheet>.csv``."""
    path = Path(path).with_suffix(".xlsx")
    if all(xlsx_writable(f) for f in sheets.values()):
        return [_write_xlsx(sheets, path)]
    log.info("data exceeds XLSX limits: writing CSV instead")
    return [write_csv(f, path.with_name(f"{path.stem}#{t}.csv")) for t, f in sheets.items()]
