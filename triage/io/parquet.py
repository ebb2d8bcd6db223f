"""Parquet tables: columns read as strings (nested ones flattened into their leaves, the
expanded size budgeted before any value is decoded), released data written as string columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from triage.context import Limits
from triage.io.errors import file_error
from triage.io.frames import TableRead, as_text_frame, unique_names
from triage.io.json import json_text, json_value
from triage.io.limits import read_parquet
from triage.io.nested import ALL_LEFT_OUT, flatten_nested
from triage.io.writing import atomic_write


def read(path: Path, raw: bytes, limits: Limits, fmt: str, sheet: str | None) -> TableRead:
    """A Parquet file's bytes as a table (``sheet`` is not used)."""
    frame, left_out = _read_parquet(path, raw, limits)
    return TableRead(frame, "parquet", left_out=tuple(left_out))


def write(frame: pd.DataFrame, path: Path, fmt: str = "parquet") -> Path:
    """Write ``frame`` as Parquet string columns, atomically."""
    table = pa.Table.from_pandas(as_text_frame(frame), preserve_index=False)
    return atomic_write(path, lambda fh: pq.write_table(table, fh))


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
    decoded (:func:`triage.io.limits.read_parquet`)."""
    table = read_parquet(path, raw, limits)
    if table.num_columns == 0:
        raise file_error(path, "has no columns")
    if table.num_rows == 0:
        raise file_error(path, "has columns but no data rows")
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
        raise file_error(path, ALL_LEFT_OUT)
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
        return [None if t is None else json_value(t) for t in texts.to_pylist()], json_text
    if isinstance(typ, pa.BaseExtensionType):
        storage = pa.chunked_array([c.storage for c in column.chunks], typ.storage_type)
        return _arrow_nested(storage)
    if pa.types.is_nested(typ):
        return column.to_pylist(), _arrow_leaf_text
    return None
