"""CSV, TSV and TXT tables: read as string columns (a fast Arrow path, an exact Python path
that leaves out and names broken rows), written formula-escaped."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from triage.context import Limits
from triage.io.errors import file_error
from triage.io.frames import CR_LINE_ENDINGS, TableRead, string_frame, unique_names
from triage.io.sniff import (
    detect_delimiter,
    detect_encoding,
    looks_binary,
    preamble,
    sample_lines,
)
from triage.io.writing import atomic_write, escape_released

log = logging.getLogger(__name__)

#: a file with more broken rows than this share is refused, not repaired
MAX_BROKEN_SHARE = 0.5


def read(path: Path, raw: bytes, limits: Limits, fmt: str, sheet: str | None) -> TableRead:
    """A delimited text file's bytes as a table (``sheet`` is not used)."""
    frame, repairs = _read_csv_bytes(path, raw, limits)
    return TableRead(frame, "csv", repairs=tuple(repairs))


def _read_csv_bytes(path: Path, raw: bytes, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    try:
        encoding = detect_encoding(raw)
    except ValueError:
        raise file_error(path, "does not look like a text file (binary content)") from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise file_error(path, f"cannot be decoded as {encoding} text") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if looks_binary(text):
        raise file_error(path, "does not look like a text file (binary content)")
    if not text.strip():
        raise file_error(path, "file has no header row (only whitespace)")
    repairs: list[str] = []
    carriage_returns = "\r" in text and "\n" not in text
    if carriage_returns:  # classic Mac OS line endings: every record on one "line" otherwise
        text = text.replace("\r", "\n")
        repairs.append(CR_LINE_ENDINGS)
    sample = sample_lines(text)
    skip, delimiter = preamble(sample)
    if skip:
        text = "".join(text.splitlines(keepends=True)[skip:])
        repairs.append(f"{skip} title line(s) above the header were skipped")
        sample = sample_lines(text)
        delimiter = detect_delimiter(sample)
    width = _header_width(text, delimiter)
    if width > limits.max_columns:
        raise file_error(path, f"{width:,} columns, over the limit of {limits.max_columns:,}")
    data = raw if encoding == "utf-8" and not (skip or carriage_returns) else text.encode("utf-8")
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
        raise file_error(path, "file has no header row")
    if len(frame) == 0:
        raise file_error(path, "has a header but no data rows")
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
                raise file_error(path, f"more than {limits.max_rows:,} rows, over the limit")
    except csv.Error:
        raise file_error(
            path, f"malformed CSV near line {reader.line_num:,} (unterminated or stray quote)"
        ) from None
    if header is None:
        raise file_error(path, "file has no header row")
    kept = len(columns[0]) if columns else 0
    if broken and len(broken) > MAX_BROKEN_SHARE * (kept + len(broken)):
        raise file_error(
            path, f"{ragged} ({len(broken):,} of {kept + len(broken):,} rows are broken)"
        )
    names = unique_names(header)
    return string_frame(names, dict(zip(names, columns, strict=True))), broken


def write(frame: pd.DataFrame, path: Path, fmt: str = "csv") -> Path:
    """Write ``frame`` as UTF-8 CSV, formula-escaped, atomically."""
    safe = escape_released(frame)

    def write(fh: IO[bytes]) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        safe.to_csv(text, index=False)
        text.flush()
        text.detach()

    return atomic_write(path, write)
