"""Budgets on what an input costs before it is materialised: small files, huge costs.

A file is read once, through a descriptor that never blocks (a FIFO or device is refused,
not waited on), and its SHA-256 is of exactly those bytes, which are also what is parsed
(:func:`read_input`). Compressed inputs are refused when they would expand beyond
:class:`~triage.context.Limits` (:func:`check_zip_bomb` for XLSX, :func:`read_parquet` for
Parquet, dictionary pages included); JSON deeper than ``max_json_depth`` and geometries with
more vertices than ``max_feature_vertices`` / ``max_total_vertices`` are refused too. Every
refusal is a one-line :class:`~triage.errors.DataInputError` naming the file, the measured
figure and the limit. Before any byte is read a file is checked for existence, type and size
(:func:`check_file`); once read, its table's rows, columns and cell lengths (:func:`check_shape`).
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from triage.context import Limits
from triage.io.errors import file_error

_KINDS = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is not a regular file (a named pipe)"),
    (stat.S_ISSOCK, "is not a regular file (a socket)"),
    (stat.S_ISCHR, "is not a regular file (a character device)"),
    (stat.S_ISBLK, "is not a regular file (a block device)"),
)


def check_mode(path: Path, mode: int) -> None:
    """Refuse anything but a regular file, naming what it is."""
    for test, problem in _KINDS:
        if test(mode):
            raise file_error(path, problem)
    if not stat.S_ISREG(mode):
        raise file_error(path, "is not a regular file")


def check_size(path: Path, size: int, limits: Limits) -> None:
    """Refuse an empty file or one over ``max_file_bytes``."""
    if size == 0:
        raise file_error(path, "file is empty (0 bytes)")
    if size > limits.max_file_bytes:
        raise file_error(
            path, f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes"
        )


def read_input(path: Path, limits: Limits) -> tuple[bytes, str]:
    """The bytes of the regular file at ``path`` and their SHA-256, from one read.

    Opened non-blocking, so a FIFO swapped in after a check cannot hang the run; the file
    type and size are checked on the open descriptor.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise file_error(path, "file not found") from None
    except IsADirectoryError:
        raise file_error(path, "is a directory, not a file") from None
    except OSError as exc:
        raise file_error(path, f"cannot be opened ({exc.strerror or type(exc).__name__})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        check_mode(path, info.st_mode)
        check_size(path, info.st_size, limits)
        raw = fh.read(limits.max_file_bytes + 1)
    check_size(path, len(raw), limits)  # it may have changed since fstat
    return raw, hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------------------------
# compressed inputs
# --------------------------------------------------------------------------------------------


def check_zip_bomb(
    path: Path, limits: Limits | None = None, source: IO[bytes] | None = None
) -> None:
    """Refuse a zip (XLSX) expanding beyond ``max_expanded_bytes``, or more than
    ``max_expansion_ratio`` times to more than ``max_ratio_expanded_bytes``; ``source`` is
    the archive's bytes when already read (else ``path`` is opened)."""
    limits = limits or Limits()
    try:
        with zipfile.ZipFile(source if source is not None else path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise file_error(path, "is not a valid XLSX file (corrupt or not a zip archive)") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    ratio = total / max(packed, 1)
    if total > limits.max_expanded_bytes:
        raise file_error(
            path,
            f"refused: expands to {total:,} bytes, over the limit of "
            f"{limits.max_expanded_bytes:,} bytes (a possible decompression bomb)",
        )
    if ratio > limits.max_expansion_ratio and total > limits.max_ratio_expanded_bytes:
        raise file_error(
            path,
            f"refused: expands {ratio:,.0f} times to {total:,} bytes, over the limits of "
            f"{limits.max_expansion_ratio:,} times and {limits.max_ratio_expanded_bytes:,} "
            "bytes (a possible decompression bomb)",
        )


def _is_text(typ: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(typ)
        or pa.types.is_large_string(typ)
        or pa.types.is_binary(typ)
        or pa.types.is_large_binary(typ)
    )


def _referenced(chunk: pa.DictionaryArray, measure: Any) -> pa.Array:
    """``measure`` of each row's dictionary value (the dictionary is never decoded)."""
    return pc.take(measure(chunk.dictionary), chunk.indices)


def _expanded(column: pa.ChunkedArray) -> tuple[int, int]:
    """Bytes a column holds once decoded, and its longest text in characters (0 if none)."""
    if not pa.types.is_dictionary(column.type):
        return column.nbytes, 0
    size, longest = 0, 0
    for chunk in column.chunks:
        size += int(pc.sum(_referenced(chunk, pc.binary_length)).as_py() or 0)
        size += 4 * len(chunk)  # offsets
        if pa.types.is_string(chunk.dictionary.type):
            longest = max(longest, int(pc.max(_referenced(chunk, pc.utf8_length)).as_py() or 0))
    return size, longest


def read_parquet(path: Path, raw: bytes, limits: Limits) -> pa.Table:
    """The table in the Parquet bytes ``raw``, within the row, column, expanded-size and
    cell-length limits, checked before any value is decoded: the row groups' declared sizes
    first, then (text columns read dictionary-encoded) the bytes every row's value expands to.
    Text columns come back dictionary-encoded."""
    try:
        meta = pq.ParquetFile(pa.BufferReader(raw)).metadata
    except Exception:
        raise file_error(path, "is not a valid Parquet file (corrupt or unreadable)") from None
    if meta.num_columns > limits.max_columns:
        raise file_error(
            path, f"{meta.num_columns:,} columns, over the limit of {limits.max_columns:,}"
        )
    if meta.num_rows > limits.max_rows:
        raise file_error(path, f"{meta.num_rows:,} rows, over the limit of {limits.max_rows:,}")
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    _check_expanded(path, declared, limits)
    try:
        texts = [f.name for f in meta.schema.to_arrow_schema() if _is_text(f.type)]
        pf = pq.ParquetFile(pa.BufferReader(raw), metadata=meta, read_dictionary=texts)
        table = pf.read()
    except Exception:
        raise file_error(path, "is not a valid Parquet file (corrupt or unreadable)") from None
    sizes = [_expanded(c) for c in table.columns]
    _check_expanded(path, sum(s for s, _ in sizes), limits)
    for name, (_, longest) in zip(table.column_names, sizes, strict=True):
        if longest > limits.max_cell_chars:
            raise file_error(
                path,
                f"a cell in column {name!r} has {longest:,} characters, over the limit of "
                f"{limits.max_cell_chars:,}",
            )
    return table


def _check_expanded(path: Path, size: int, limits: Limits) -> None:
    if size > limits.max_expanded_bytes:
        raise file_error(
            path,
            f"refused: its values expand to {size:,} bytes, over the limit of "
            f"{limits.max_expanded_bytes:,} bytes (a possible decompression bomb)",
        )


# --------------------------------------------------------------------------------------------
# JSON depth, geometry vertices
# --------------------------------------------------------------------------------------------


def json_depth(doc: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0). Iterative."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            stack += [(v, depth + 1) for v in item if isinstance(v, dict | list)]
    return deepest


def check_json_depth(path: Path, doc: Any, limits: Limits, where: str = "JSON") -> None:
    """Refuse JSON nested deeper than ``max_json_depth``."""
    depth = json_depth(doc)
    if depth > limits.max_json_depth:
        raise file_error(
            path,
            f"{where} is nested {depth:,} levels deep, over the limit of {limits.max_json_depth:,}",
        )


def check_geojson_positions(path: Path, raw: bytes, limits: Limits) -> None:
    """Refuse GeoJSON bytes holding more arrays (an upper bound of its coordinate positions)
    than the file's vertex budget, before a geometry reader builds them (about 0.8 KB each)."""
    arrays = raw.count(b"[")
    if arrays > limits.max_total_vertices:
        raise file_error(
            path,
            f"holds {arrays:,} JSON arrays, more than its geometries may have vertices (the "
            f"limit is {limits.max_total_vertices:,} per file)",
        )


def check_vertices(path: Path, counts: np.ndarray, limits: Limits) -> None:
    """Refuse geometries with more vertices (``counts``, one per feature) than a feature's or
    the file's budget."""
    if not len(counts):
        return
    worst = int(np.argmax(counts))
    if counts[worst] > limits.max_feature_vertices:
        raise file_error(
            path,
            f"feature {worst + 1:,} has a geometry of {int(counts[worst]):,} vertices, over the "
            f"limit of {limits.max_feature_vertices:,} per feature",
        )
    total = int(np.sum(counts))
    if total > limits.max_total_vertices:
        raise file_error(
            path,
            f"its geometries have {total:,} vertices, over the limit of "
            f"{limits.max_total_vertices:,} per file",
        )


def check_file(path: Path, limits: Limits) -> int:
    """Existence, type (a regular file: never a FIFO, which would block), emptiness and size
    checks before reading anything; returns the size."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise file_error(path, "file not found") from None
    except OSError as exc:
        raise file_error(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    check_mode(path, info.st_mode)
    check_size(path, info.st_size, limits)
    return info.st_size


def check_shape(path: Path, frame: pd.DataFrame, limits: Limits) -> None:
    """Rows, columns and cell-length limits on a loaded frame."""
    if frame.shape[1] > limits.max_columns:
        raise file_error(
            path, f"{frame.shape[1]:,} columns, over the limit of {limits.max_columns:,}"
        )
    if len(frame) > limits.max_rows:
        raise file_error(path, f"{len(frame):,} rows, over the limit of {limits.max_rows:,}")
    for col in frame.columns:
        lengths = frame[col].str.len()
        longest = lengths.max()
        if pd.isna(longest) or longest <= limits.max_cell_chars:
            continue
        over = (lengths > limits.max_cell_chars).fillna(False).to_numpy(dtype=bool)
        row = int(over.argmax()) + 1
        raise file_error(
            path,
            f"a cell in column {col!r} at data row {row:,} has {int(longest):,} characters or "
            f"more, over the limit of {limits.max_cell_chars:,}",
        )
