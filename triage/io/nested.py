"""Nested values (Parquet ``list`` / ``map`` / ``struct``, JSON arrays and objects) flattened
into one string column per leaf: ``col.field`` for a struct field or object key, ``col[i]``
for a list item, ``col[i].key`` and ``col[i].value`` for a map entry (map keys are data, so
they are checked as values, never made column names). A nested column with more than
:data:`MAX_NESTED_LEAVES` leaf paths is left out and named, which refers the submission."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

MAX_NESTED_LEAVES = 256


ALL_LEFT_OUT = (
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
