"""Reading datasets from files and writing released data: the engine's only file I/O (with
:mod:`triage.workbook`, which reads whole XLSX workbooks through the sheet reader here).

Every loader returns a :class:`~triage.dataset.Dataset` whose columns hold strings exactly as
written in the file (``"007"`` keeps its zeros) or missing values. Errors are
:class:`~triage.errors.DataInputError` with one line naming the file and the problem, never a
cell value.

Nested values (Parquet ``list`` / ``map`` / ``struct`` and JSON-typed columns, JSON arrays and
objects) are flattened at load into one string column per leaf: ``col.field`` for a struct
field or object key, ``col[i]`` for a list item, ``col[i].key`` and ``col[i].value`` for a map
entry (map keys are data, so they are checked as values, never made column names).
Detectors therefore see every leaf, and data written for release (:func:`write_released`,
from the checked frame) holds the leaf columns, never the nested original. A nested column
with more than :data:`MAX_NESTED_LEAVES` leaf paths is left out of the frame and named in
:attr:`~triage.dataset.Dataset.left_out`, which refers the submission
(:func:`triage.runner.load_tables`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from triage.budgets import (
    check_json_depth,
    check_mode,
    check_size,
    check_zip_bomb,
    read_input,
    read_parquet,
)
from triage.context import Limits
from triage.dataset import Dataset
from triage.errors import DataInputError
from triage.formulas import escape_formula, escape_formulas

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
_FORMAT_SUFFIX = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "parquet": ".parquet",
    "json": ".json",
    "ndjson": ".ndjson",
    "geojson": ".geojson",
}

#: Most leaf columns one nested column flattens into; a column with more is left out.
MAX_NESTED_LEAVES = 256

CSV_DELIMITERS = ",;\t|"
_SAMPLE_BYTES = 64 * 1024
_SNIFF_LINES = 50
_XLSX_MAX_ROWS = 1_048_576
_XLSX_MAX_COLUMNS = 16_384
_XLSX_MAX_CELL = 32_767

_WESTERN = {
    "cp1252",
    "windows-1252",
    "latin_1",
    "latin-1",
    "iso8859_1",
    "iso-8859-1",
    "iso8859_15",
    "iso-8859-15",
    "cp1250",
    "cp850",
    "cp437",
    "mac_roman",
    "ascii",
}


def _err(path: Path, problem: str) -> DataInputError:
    """A one-line DataInputError naming the file (basename) and the problem."""
    return DataInputError(f"{path.name}: {problem}")


# --------------------------------------------------------------------------------------------
# hashing
# --------------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def unique_names(names: Iterable[str | None]) -> list[str]:
    """Strip header names, name blanks ``unnamed_<i>`` and make duplicates unique (``a``, ``a.1``).

    >>> unique_names([" a", "a", "", "a.1"])
    ['a', 'a.1', 'unnamed_3', 'a.1.1']
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        base = (raw or "").strip() if isinstance(raw, str) or raw is None else str(raw).strip()
        if not base:
            base = f"unnamed_{i}"
        name = base
        n = 0
        while name in seen:
            n += 1
            name = f"{base}.{n}"
        seen.add(name)
        out.append(name)
    return out


def _detect_format(path: Path) -> str:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(EXTENSIONS))
        shown = path.suffix or "(none)"
        raise _err(path, f"unsupported file type {shown}; supported: {supported}")
    return fmt


def check_file(path: Path, limits: Limits) -> int:
    """Existence, type (a regular file: never a FIFO, which would block), emptiness and size
    checks before reading anything; returns the size."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _err(path, "file not found") from None
    except OSError as exc:
        raise _err(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    check_mode(path, info.st_mode)
    check_size(path, info.st_size, limits)
    return info.st_size


def _string_frame(columns: list[str], data: dict[str, list[str | None]]) -> pd.DataFrame:
    """A frame of string columns (missing as NA) in the given order."""
    return pd.DataFrame(
        {c: pd.array(data[c], dtype="str") for c in columns}, columns=pd.Index(columns)
    )


def check_shape(path: Path, frame: pd.DataFrame, limits: Limits) -> None:
    """Rows, columns and cell-length limits on a loaded frame."""
    if frame.shape[1] > limits.max_columns:
        raise _err(path, f"{frame.shape[1]:,} columns, over the limit of {limits.max_columns:,}")
    if len(frame) > limits.max_rows:
        raise _err(path, f"{len(frame):,} rows, over the limit of {limits.max_rows:,}")
    for col in frame.columns:
        lengths = frame[col].str.len()
        longest = lengths.max()
        if pd.isna(longest) or longest <= limits.max_cell_chars:
            continue
        over = (lengths > limits.max_cell_chars).fillna(False).to_numpy(dtype=bool)
        row = int(over.argmax()) + 1
        raise _err(
            path,
            f"a cell in column {col!r} at data row {row:,} has {int(longest):,} characters or "
            f"more, over the limit of {limits.max_cell_chars:,}",
        )


# --------------------------------------------------------------------------------------------
# public loader
# --------------------------------------------------------------------------------------------


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
        whole instead, every sheet and part (:func:`triage.workbook.load_workbook`).

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
    left_out: list[str] = []
    repairs: list[str] = []
    raw, sha = read_input(path, limits)  # what is hashed is what is parsed
    if fmt == "csv":
        frame, repairs = _read_csv_bytes(path, raw, limits)
    elif fmt == "xlsx":
        frame = _read_xlsx(path, raw, limits, sheet)
    elif fmt == "parquet":
        frame, left_out = _read_parquet(path, raw, limits)
    elif fmt == "ndjson":
        frame, left_out = _read_ndjson(path, raw, limits)
    else:
        frame, left_out, fmt = _read_json(path, raw, limits, fmt)
    check_shape(path, frame, limits)
    return Dataset(
        name or path.name, sha, fmt, frame, left_out=tuple(left_out), repairs=tuple(repairs)
    )


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def detect_encoding(raw: bytes) -> str:
    """Guess a text encoding: BOMs, then UTF-8, then charset-normalizer with cp1252 fallback.

    Raises ValueError when the bytes do not look like text.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in raw[:_SAMPLE_BYTES]:
        raise ValueError("NUL bytes")
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = raw[: 4 * _SAMPLE_BYTES]
    runs = [len(m) for m in re.findall(rb"[\x80-\xff]+", sample)]
    isolated = sum(1 for n in runs if n == 1)
    if runs and isolated / len(runs) >= 0.5:
        # Western single-byte text: accented letters and symbols sit alone between ASCII.
        try:
            raw.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
    guess: str | None = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        guess = best.encoding if best is not None else None
    except Exception:  # pragma: no cover - detector crash: fall back below
        log.debug("charset-normalizer failed", exc_info=True)
    if guess is not None and guess.lower() not in _WESTERN:
        try:
            raw.decode(guess)
            return guess
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE_BYTES]
    if "\x00" in sample:
        return True
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls > max(2, len(sample) // 100)


def _sample_lines(text: str) -> str:
    sample = text[:_SAMPLE_BYTES]
    lines = sample.splitlines(keepends=True)
    if len(text) > _SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # drop a partial last line
    return "".join(lines[:_SNIFF_LINES])


def _field_counts(sample: str, delimiter: str) -> list[int]:
    try:
        return [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r != []]
    except csv.Error:
        return []


def detect_delimiter(sample: str) -> str:
    """Pick the delimiter among ``, ; TAB |``: csv.Sniffer, checked for consistent field counts,
    else the candidate giving the most consistent multi-field rows; ``,`` by default."""
    scores: dict[str, tuple[float, int]] = {}
    for d in CSV_DELIMITERS:
        counts = _field_counts(sample, d)
        if not counts or counts[0] < 2:
            continue
        same = sum(1 for c in counts if c == counts[0]) / len(counts)
        scores[d] = (same, counts[0])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed][0] >= 0.9:
        return sniffed
    if scores:
        return max(scores, key=lambda d: (scores[d], -CSV_DELIMITERS.index(d)))
    return ","


#: at most this many title lines above a header are skipped
MAX_PREAMBLE_LINES = 10
#: a file with more broken rows than this share is refused, not repaired
MAX_BROKEN_SHARE = 0.5


def _preamble(sample: str) -> tuple[int, str]:
    """How many title lines stand above the header: the fewest leading lines of at most one
    non-empty field ("Disclosure log 2024", "Title,,,") to skip so that the first row has the
    field count most rows have (at least two fields); and the delimiter of the whole sample."""
    lines = sample.splitlines(keepends=True)
    delimiter = detect_delimiter(sample)
    for skip in range(min(MAX_PREAMBLE_LINES, max(len(lines) - 2, 0)) + 1):
        if skip and not _title_line(lines[skip - 1]):
            return 0, delimiter
        rest = "".join(lines[skip:])
        counts = _field_counts(rest, delimiter if skip == 0 else detect_delimiter(rest))
        if len(counts) < 2 or counts[0] < 2:
            continue
        if sum(1 for c in counts if c == counts[0]) >= 0.8 * len(counts):
            return skip, delimiter
    return 0, delimiter


def _title_line(line: str) -> bool:
    """At most one non-empty field, whatever the delimiter."""
    return all(sum(1 for f in line.split(d) if f.strip()) <= 1 for d in CSV_DELIMITERS)


def _read_csv_bytes(path: Path, raw: bytes, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    try:
        encoding = detect_encoding(raw)
    except ValueError:
        raise _err(path, "does not look like a text file (binary content)") from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise _err(path, f"cannot be decoded as {encoding} text") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if _looks_binary(text):
        raise _err(path, "does not look like a text file (binary content)")
    if not text.strip():
        raise _err(path, "file has no header row (only whitespace)")
    repairs: list[str] = []
    sample = _sample_lines(text)
    skip, delimiter = _preamble(sample)
    if skip:
        text = "".join(text.splitlines(keepends=True)[skip:])
        repairs.append(f"{skip} title line(s) above the header were skipped")
        sample = _sample_lines(text)
        delimiter = detect_delimiter(sample)
    width = _header_width(text, delimiter)
    if width > limits.max_columns:
        raise _err(path, f"{width:,} columns, over the limit of {limits.max_columns:,}")
    data = raw if encoding == "utf-8" and not skip else text.encode("utf-8")
    frame = _read_csv_arrow(data, delimiter)
    if frame is None:
        frame, broken = _read_csv_python(path, text, delimiter, limits)
        if broken:
            lines = ", ".join(f"{n:,}" for n in broken[:5]) + (", ..." if len(broken) > 5 else "")
            repairs.append(
                f"{len(broken):,} row(s) whose field count differs from the header's (lines "
                f"{lines}) were left out: they are neither checked nor released"
            )
    if frame.empty and len(frame.columns) == 0:
        raise _err(path, "file has no header row")
    if len(frame) == 0:
        raise _err(path, "has a header but no data rows")
    log.debug("read %s as csv (%s, delimiter %r)", path.name, encoding, delimiter)
    return frame, repairs


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, lazily (no copy of the whole text)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _header_width(text: str, delimiter: str) -> int:
    """The field count of the first non-empty record, read whole however long (0 if none)."""
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        return next((len(r) for r in reader if r), 0)
    except csv.Error:  # a header field over the csv module's field limit: count delimiters
        end = text.find("\n")
        return text[: end if end >= 0 else len(text)].count(delimiter) + 1


def _read_csv_arrow(data: bytes, delimiter: str) -> pd.DataFrame | None:
    """Fast path. None when any row is irregular: the Python path then explains or repairs it."""
    if data.count(b'"') % 2:
        return None  # an unterminated quote: pyarrow would swallow the rest of the file
    invalid: list[int] = []

    def on_invalid(row: Any) -> str:
        invalid.append(1)
        return "skip"

    first_line = data.split(b"\n", 1)[0]
    # Upper bound of the column count, so every column can be typed as string.
    ncols = first_line.count(delimiter.encode()) + 1
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                autogenerate_column_names=True, block_size=16 * 1024 * 1024
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(ncols)},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    if invalid or table.num_rows == 0:
        return None
    if any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    header = table.slice(0, 1).to_pylist()[0]
    names = unique_names(header[f] for f in table.column_names)
    table = table.slice(1).rename_columns(names)
    frame = table.to_pandas()
    return frame.astype("str") if any(frame.dtypes != "str") else frame


def _read_csv_python(
    path: Path, text: str, delimiter: str, limits: Limits
) -> tuple[pd.DataFrame, list[int]]:
    """Slow, exact path: rows whose field count differs from the header's are left out and
    their first lines returned (more than half of them: the file is refused, naming the first);
    a quoting error is refused with its line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: list[list[str | None]] = []
    width = 0
    start_line = 0
    broken: list[int] = []
    ragged = ""
    try:
        for row in reader:
            line = reader.line_num
            if not row:
                start_line = line
                continue
            if header is None:
                header = row
                width = len(header)
                columns = [[] for _ in range(width)]
                start_line = line
                continue
            first = start_line + 1
            start_line = line
            if len(row) > width and not any(v != "" for v in row[width:]):
                row = row[:width]
            if len(row) != width:
                broken.append(first)
                if not ragged:
                    ragged = f"line {first:,} has {len(row)} fields but the header has {width}"
                continue
            for i, value in enumerate(row):
                columns[i].append(value if value != "" else None)
            if len(columns[0]) > limits.max_rows:
                raise _err(path, f"more than {limits.max_rows:,} rows, over the limit")
    except csv.Error:
        raise _err(
            path, f"malformed CSV near line {reader.line_num:,} (unterminated or stray quote)"
        ) from None
    if header is None:
        raise _err(path, "file has no header row")
    kept = len(columns[0]) if columns else 0
    if broken and len(broken) > MAX_BROKEN_SHARE * (kept + len(broken)):
        raise _err(path, f"{ragged} ({len(broken):,} of {kept + len(broken):,} rows are broken)")
    names = unique_names(header)
    return _string_frame(names, dict(zip(names, columns, strict=True))), broken


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


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
        raise _err(path, "is not a valid XLSX file (could not open the workbook)") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise _err(path, f"has no sheet named {sheet!r}")
        if not wb.worksheets:
            raise _err(path, "workbook has no sheets")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        records = xlsx_sheet_rows(path, ws, limits)
    finally:
        wb.close()
    if not records:
        raise _err(path, "sheet is empty (no header row)")
    frame = xlsx_rows_frame(records)
    if frame is None:
        raise _err(path, "has a header but no data rows")
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
                    raise _err(path, f"{width:,} columns, over the limit of {limits.max_columns:,}")
            records.append(row)
            if len(records) > limits.max_rows + 1:
                raise _err(path, f"more than {limits.max_rows:,} rows, over the limit")
    except DataInputError:
        raise
    except Exception:
        raise _err(path, "could not read the worksheet (corrupt XLSX content)") from None
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
    return _string_frame(names, dict(zip(names, cols, strict=True)))


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


def _float_text(value: float) -> str:
    """A float as text: whole numbers without ``.0`` (``1.0`` -> ``1``), others by repr."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _arrow_to_strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cast a column of scalars to strings."""
    typ = column.type
    if pa.types.is_string(typ):
        return column
    if pa.types.is_large_string(typ) or pa.types.is_dictionary(typ) or pa.types.is_string_view(typ):
        return column.cast(pa.string())
    if pa.types.is_boolean(typ) or pa.types.is_floating(typ):
        values = [_arrow_leaf_text(v) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(values, type=pa.string())])
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        values = [_arrow_leaf_text(v) for v in column.to_pylist()]
        return pa.chunked_array([pa.array(values, type=pa.string())])


def _arrow_leaf_text(value: Any) -> str | None:
    """One scalar Arrow value (as Python) as text, like :func:`_arrow_to_strings` casts it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _read_parquet(path: Path, raw: bytes, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    """A Parquet file's columns as strings, nested ones flattened (:func:`flatten_nested`);
    also the nested columns left out. Its expanded size is budgeted before any value is
    decoded (:func:`triage.budgets.read_parquet`)."""
    table = read_parquet(path, raw, limits)
    if table.num_columns == 0:
        raise _err(path, "has no columns")
    if table.num_rows == 0:
        raise _err(path, "has columns but no data rows")
    labels: list[str] = []
    arrays: list[pa.ChunkedArray | pa.Array] = []
    left_out: list[str] = []
    for name, column in zip(unique_names(table.column_names), table.columns, strict=True):
        nested = _arrow_nested(column)
        if nested is None:
            labels.append(name)
            arrays.append(_arrow_to_strings(column))
            continue
        leaves = flatten_nested(name, *nested)
        if leaves is None:
            left_out.append(name)
            continue
        labels += [label for label, _ in leaves]
        arrays += [pa.array(values, type=pa.string()) for _, values in leaves]
    if not arrays:
        raise _err(path, _ALL_LEFT_OUT)
    frame = pa.table(arrays, names=unique_names(labels)).to_pandas()
    return (frame.astype("str") if any(frame.dtypes != "str") else frame), left_out


def _arrow_nested(
    column: pa.ChunkedArray,
) -> tuple[list[Any], Callable[[Any], str | None]] | None:
    """A nested column's values as Python and the text of its leaves; None for a column of
    scalars. Nested: lists, maps, structs and unions (also as an extension type's storage)
    and JSON-typed columns (Parquet's JSON logical type), parsed."""
    typ = column.type
    if isinstance(typ, pa.JsonType):
        texts = pa.chunked_array([c.storage for c in column.chunks], typ.storage_type)
        return [None if t is None else _json_value(t) for t in texts.to_pylist()], _json_text
    if isinstance(typ, pa.BaseExtensionType):
        storage = pa.chunked_array([c.storage for c in column.chunks], typ.storage_type)
        return _arrow_nested(storage)
    if pa.types.is_nested(typ):
        return column.to_pylist(), _arrow_leaf_text
    return None


# --------------------------------------------------------------------------------------------
# Nested values (Parquet list / map / struct, JSON arrays / objects)
# --------------------------------------------------------------------------------------------

_ALL_LEFT_OUT = (
    f"every column is nested with more than {MAX_NESTED_LEAVES} leaves, too many to check"
)


def _leaves(value: Any) -> dict[tuple[str | int, ...], Any]:
    """The non-missing scalar leaves of ``value`` by path, in order: object keys and struct
    fields by name, list items by position, a map entry (an Arrow ``(key, value)`` pair) as
    its ``key`` and ``value``. Iterative, so no nesting depth overflows the stack."""
    out: dict[tuple[str | int, ...], Any] = {}
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, tuple):
            item = dict(zip(("key", "value"), item, strict=False))
        if isinstance(item, dict):
            stack += reversed([((*path, str(k)), v) for k, v in item.items()])
        elif isinstance(item, list):
            stack += reversed([((*path, i), v) for i, v in enumerate(item)])
        elif item is not None:
            out[path] = item
    return out


def flatten_nested(
    name: str, values: list[Any], text: Callable[[Any], str | None]
) -> list[tuple[str, list[str | None]]] | None:
    """The leaf columns of one nested column: ``name.field`` for an object key or struct
    field, ``name[i]`` for a list item or map entry (``name[i].key``, ``name[i].value``),
    ``name`` for a row's plain scalar; each as (label, one text or missing value per row).
    None when the rows hold more than :data:`MAX_NESTED_LEAVES` distinct leaf paths."""
    rows: list[dict[tuple[str | int, ...], Any]] = []
    paths: dict[tuple[str | int, ...], None] = {}
    for value in values:
        leaves = _leaves(value)
        rows.append(leaves)
        paths.update(dict.fromkeys(leaves))
        if len(paths) > MAX_NESTED_LEAVES:
            return None
    return [
        (
            name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path),
            [text(row.get(path)) for row in rows],
        )
        for path in paths
    ]


def leaf_columns(
    named: Iterable[tuple[str, list[Any]]], text: Callable[[Any], str | None]
) -> tuple[list[str], list[list[str | None]], list[str]]:
    """(labels, columns, left out) of named value lists: a plain column as its texts, a nested
    one as its leaf columns (:func:`flatten_nested`), one with too many leaves left out."""
    labels: list[str] = []
    columns: list[list[str | None]] = []
    left_out: list[str] = []
    for name, values in named:
        if not any(isinstance(v, dict | list) for v in values):
            labels.append(name)
            columns.append([text(v) for v in values])
            continue
        leaves = flatten_nested(name, values, text)
        if leaves is None:
            left_out.append(name)
            continue
        labels += [label for label, _ in leaves]
        columns += [vals for _, vals in leaves]
    return labels, columns, left_out


# --------------------------------------------------------------------------------------------
# JSON, NDJSON, GeoJSON
# --------------------------------------------------------------------------------------------


class _Num(str):
    """A JSON number kept as the text it was written as."""

    __slots__ = ()


def _json_loads(text: str) -> Any:
    # Numbers keep their text exactly as written ("1.50" stays "1.50").
    return json.loads(text, parse_float=_Num, parse_int=_Num, parse_constant=_Num)


def _json_value(text: str) -> Any:
    """A JSON-typed cell parsed, or its text when it is not valid JSON."""
    try:
        return _json_loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def _json_text(value: object) -> str | None:
    """A scalar JSON value as text: numbers as written, ``true`` / ``false``, None missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _records_frame(
    path: Path, records: Iterable[Any], limits: Limits, what: str
) -> tuple[pd.DataFrame, list[str]]:
    """JSON objects as a frame of string columns, one per key, a key holding arrays or
    objects flattened into its leaves (:func:`flatten_nested`); also the keys left out."""
    order: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise _err(path, f"{what} {i:,} is not a JSON object")
        for key in rec:
            if key not in order:
                order[key] = None
                if len(order) > limits.max_columns:
                    raise _err(path, f"more than {limits.max_columns:,} columns, over the limit")
        rows.append(rec)
        if len(rows) > limits.max_rows:
            raise _err(path, f"more than {limits.max_rows:,} rows, over the limit")
    if not rows:
        raise _err(path, "contains no records")
    labels, columns, left_out = leaf_columns(
        ((key, [r.get(key) for r in rows]) for key in order), _json_text
    )
    if not columns:
        raise _err(path, _ALL_LEFT_OUT)
    names = unique_names(labels)
    return _string_frame(names, dict(zip(names, columns, strict=True))), left_out


def _read_text_utf8(path: Path, raw: bytes) -> str:
    try:
        encoding = detect_encoding(raw)
        text = raw.decode(encoding)
    except (ValueError, UnicodeDecodeError, LookupError):
        raise _err(path, "does not look like a text file (binary content)") from None
    return text.lstrip("\ufeff")


_FEATURE_COLLECTION = re.compile(r'"type"\s*:\s*"FeatureCollection"')
_NON_POINT = re.compile(
    r'"type"\s*:\s*"(?:(?:Multi)?(?:Polygon|LineString)|MultiPoint|GeometryCollection)"'
)


def _read_json(
    path: Path, raw: bytes, limits: Limits, fmt: str
) -> tuple[pd.DataFrame, list[str], str]:
    text = _read_text_utf8(path, raw)
    if not text.strip():
        raise _err(path, "file is empty (whitespace only)")
    if _FEATURE_COLLECTION.search(text) and _NON_POINT.search(text):
        # the geometry reader takes these: not parsed here first (a polygon of a million
        # vertices costs seconds and hundreds of MB as Python objects)
        raise _err(
            path,
            "GeoJSON holds geometries other than points: only Point geometries are read as JSON",
        )
    try:
        doc = _json_loads(text)
    except json.JSONDecodeError as exc:
        raise _err(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise _err(
            path, f"JSON is nested too deeply (over the limit of {limits.max_json_depth:,})"
        ) from None
    check_json_depth(path, doc, limits)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        return *_geojson_frame(path, doc, limits), "geojson"
    if fmt == "geojson":
        raise _err(path, "is not a GeoJSON FeatureCollection")
    if _is_data_package(path, doc):
        raise _err(
            path,
            "is a Data Package descriptor, not a table: check the files its resources "
            "name instead (their data is not in the descriptor)",
        )
    if isinstance(doc, list):
        return *_records_frame(path, doc, limits, "array item"), "json"
    if isinstance(doc, dict):
        if isinstance(doc.get("data"), list):
            return *_records_frame(path, doc["data"], limits, "record"), "json"
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) == 1:
            return *_records_frame(path, lists[0], limits, "record"), "json"
    raise _err(
        path,
        "JSON must be an array of objects, or an object holding one array of objects "
        '(e.g. {"data": [...]})',
    )


def _is_data_package(path: Path, doc: Any) -> bool:
    """A Frictionless Data Package descriptor: ``datapackage.json`` or an object whose
    ``resources`` are objects naming a ``path`` or holding ``data`` (the Data Package spec)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return False
    if path.name.lower() == "datapackage.json" or "profile" in doc:
        return True
    resources = doc["resources"]
    return bool(resources) and all(
        isinstance(r, dict) and ("path" in r or "data" in r) for r in resources
    )


def _geojson_frame(
    path: Path, doc: dict[str, Any], limits: Limits
) -> tuple[pd.DataFrame, list[str]]:
    features = doc.get("features")
    if not isinstance(features, list):
        raise _err(path, "GeoJSON FeatureCollection has no features list")
    records: list[dict[str, Any]] = []
    lon_key, lat_key = "longitude", "latitude"
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            raise _err(path, f"GeoJSON feature {i:,} is not an object")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise _err(path, f"GeoJSON feature {i:,} has non-object properties")
        geom = feat.get("geometry")
        lon: Any = None
        lat: Any = None
        if geom is not None:
            if not isinstance(geom, dict) or geom.get("type") != "Point":
                raise _err(
                    path,
                    f"GeoJSON feature {i:,}: only Point geometries are supported for now",
                )
            coords = geom.get("coordinates")
            if not isinstance(coords, list) or len(coords) < 2:
                raise _err(path, f"GeoJSON feature {i:,} has invalid Point coordinates")
            lon, lat = coords[0], coords[1]
        rec = dict(props)
        if lon_key in rec or lat_key in rec:
            lon_key, lat_key = "geometry_longitude", "geometry_latitude"
        rec["\x00lon"] = lon
        rec["\x00lat"] = lat
        records.append(rec)
    frame, left_out = _records_frame(path, records, limits, "feature")
    # Coordinates last, under their public names.
    rename = {"\x00lon": lon_key, "\x00lat": lat_key}
    cols = [c for c in frame.columns if c not in rename] + list(rename)
    frame = frame[cols]
    frame.columns = pd.Index(unique_names(rename.get(c, c) for c in cols))
    return frame, left_out


def _read_ndjson(path: Path, raw: bytes, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    text = _read_text_utf8(path, raw)

    def records() -> Iterator[Any]:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = _json_loads(line)
            except (json.JSONDecodeError, RecursionError):
                raise _err(path, f"line {lineno:,} is not valid JSON") from None
            if not isinstance(rec, dict):
                raise _err(path, f"line {lineno:,} is not a JSON object")
            check_json_depth(path, rec, limits, f"line {lineno:,}")
            yield rec

    return _records_frame(path, records(), limits, "line")


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as strings (missing stays missing)."""
    return frame.astype("str") if any(frame.dtypes != "str") else frame


def _escape_released(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (as strings) with every cell and every column name formula-escaped
    (a header is a cell too)."""
    out = escape_formulas(frame)
    out.columns = pd.Index(unique_names(escape_formula(str(c)) for c in out.columns))
    return out


def _atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
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


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    obj = frame.astype(object).where(frame.notna(), None)
    return [dict(zip(obj.columns, row, strict=True)) for row in obj.itertuples(index=False)]


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    safe = _escape_released(frame)

    def write(fh: IO[bytes]) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        safe.to_csv(text, index=False)
        text.flush()
        text.detach()

    return _atomic_write(path, write)


def _xlsx_writable(frame: pd.DataFrame) -> bool:
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
            safe = _escape_released(frame)
            ws.append(_text_cells(ws, safe.columns))
            for row in safe.astype(object).itertuples(index=False):
                ws.append(_text_cells(ws, row))
        buf = io.BytesIO()
        wb.save(buf)
        fh.write(_reproducible_zip(buf.getvalue()))

    return _atomic_write(path, write)


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
    if all(_xlsx_writable(f) for f in sheets.values()):
        return [_write_xlsx(sheets, path)]
    log.info("data exceeds XLSX limits: writing CSV instead")
    return [_write_csv(f, path.with_name(f"{path.stem}#{t}.csv")) for t, f in sheets.items()]


def _write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(_as_text_frame(frame), preserve_index=False)
    return _atomic_write(path, lambda fh: pq.write_table(table, fh))


def _write_json(frame: pd.DataFrame, path: Path, ndjson: bool) -> Path:
    recs = _records(frame)

    def write(fh: IO[bytes]) -> None:
        if ndjson:
            for rec in recs:
                fh.write(json.dumps(rec, ensure_ascii=False, default=str).encode("utf-8"))
                fh.write(b"\n")
        else:
            fh.write(json.dumps(recs, ensure_ascii=False, default=str, indent=1).encode("utf-8"))

    return _atomic_write(path, write)


def _coordinate(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _write_geojson(frame: pd.DataFrame, path: Path) -> Path:
    recs = _records(frame)
    features = []
    for rec in recs:
        lon = _coordinate(rec.pop("longitude"))
        lat = _coordinate(rec.pop("latitude"))
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]}
            if lon is not None and lat is not None
            else None
        )
        features.append({"type": "Feature", "geometry": geometry, "properties": rec})
    doc = {"type": "FeatureCollection", "features": features}
    return _atomic_write(
        path,
        lambda fh: fh.write(json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")),
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
    with a leading ``'`` (see :func:`escape_formula`); an XLSX holds only text cells, never a
    formula.
    """
    path = Path(path)
    fmt = fmt.lower().lstrip(".")
    if fmt == "geojson" and not {"longitude", "latitude"} <= set(frame.columns):
        log.info("no longitude/latitude columns left: writing CSV instead of GeoJSON")
        fmt = "csv"
    if fmt == "xlsx" and not _xlsx_writable(frame):
        log.info("data exceeds XLSX limits: writing CSV instead")
        fmt = "csv"
    if fmt not in WRITABLE_FORMATS:
        log.info("format %r cannot be written: writing CSV instead", fmt)
        fmt = "csv"
    target = path.with_suffix(_FORMAT_SUFFIX[fmt])
    if fmt == "csv":
        return _write_csv(frame, target)
    if fmt == "xlsx":
        return _write_xlsx({"data": frame}, target)
    if fmt == "parquet":
        return _write_parquet(frame, target)
    if fmt in ("json", "ndjson"):
        return _write_json(frame, target, ndjson=fmt == "ndjson")
    return _write_geojson(frame, target)
