"""User-defined generalisation hierarchies (YAML or inline params), like ARX's CSV hierarchies.

A file holds ``hierarchies:`` mapping a column name or QI kind to one definition::

    hierarchies:
      education:                 # a table, one row per value: value, level 1, level 2, ...
        levels:
          - [Bachelors, Undergraduate, Higher education]
          - [Masters, Graduate, Higher education]
        level_names: [original, degree, sector, suppressed]   # optional
      age:                       # numeric intervals, nested widths, top/bottom coding
        intervals: {widths: [5, 10, 20], bottom: 16, top: 90, integer: true}
      income:
        intervals: {widths: [1000, 10000], top_percentile: 99}
      postcode_like:             # prefixes of decreasing length
        prefix: [4, 2]
      country:                   # regex rules per level, first match wins ("\\1" allowed)
        rules:
          - [{pattern: "^United-States$", label: "United-States"}, {pattern: ".", label: Other}]

The top level ``"*"`` is always added (a last table column that is all ``"*"`` is taken as
that top level). Values not in a table, not numeric, or matching no rule become ``"*"`` at
every level above 0. Tables are validated at load: every row maps its value at every level,
no value twice, no empty labels, and levels are monotone (values equal at level i stay equal
at level i+1); rule and prefix hierarchies are checked for monotony on the column's values
when fitted. Errors are :class:`~triage.errors.ConfigError` naming the file and line (never a
cell value from a data file).

The same definitions can be given inline in transform params (JSON-friendly), see
:func:`resolve_hierarchy`.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from triage.errors import ConfigError
from triage.redaction.hierarchies import (
    HIERARCHY_KINDS,
    SUPPRESSED,
    Hierarchy,
    LevelFn,
    hierarchy_for,
    interval_hierarchy,
)

logger = logging.getLogger(__name__)

_KINDS = ("levels", "intervals", "prefix", "rules")
_INTERVAL_KEYS = {
    "widths",
    "bottom",
    "top",
    "start",
    "integer",
    "top_percentile",
    "bottom_percentile",
}


class _Where:
    """Source file and line lookup for error messages."""

    def __init__(self, source: str, node: yaml.Node | None = None) -> None:
        self.source = source
        self.node = node

    def line(self, node: yaml.Node | None = None) -> str:
        n = node if node is not None else self.node
        if n is None:
            return self.source
        return f"{self.source}:{n.start_mark.line + 1}"

    def fail(self, message: str, node: yaml.Node | None = None) -> ConfigError:
        return ConfigError(f"{self.line(node)}: {message}")


def _plain(node: yaml.Node) -> Any:
    """The Python value of a composed YAML node (safe constructors only)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _label(value: object) -> str:
    return str(value).strip()


def _table_hierarchy(
    name: str, rows: Sequence[Any], names: Sequence[str] | None, where: _Where
) -> Hierarchy:
    node = _child(where.node, "levels")
    row_nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(rows)
    if not isinstance(rows, list) or not rows:
        raise where.fail(f"hierarchy {name!r}: 'levels' must be a non-empty list of rows", node)
    width: int | None = None
    table: list[list[str]] = []
    for row, rnode in zip(rows, row_nodes, strict=True):
        if not isinstance(row, list) or len(row) < 2:
            raise where.fail(
                f"hierarchy {name!r}: each row needs a value and at least one level", rnode
            )
        if width is None:
            width = len(row)
        if len(row) != width:
            raise where.fail(
                f"hierarchy {name!r}: row has {len(row)} entries, expected {width} "
                "(every value must map at every level)",
                rnode,
            )
        if any(v is None or _label(v) == "" for v in row):
            raise where.fail(f"hierarchy {name!r}: empty label in row", rnode)
        table.append([_label(v) for v in row])
    assert width is not None
    # a last column of "*" only is the top level, added anyway
    if all(r[-1] == SUPPRESSED for r in table):
        table = [r[:-1] for r in table]
    n_mid = len(table[0]) - 1
    seen: dict[str, int] = {}
    up: list[dict[str, tuple[str, int]]] = [{} for _ in range(n_mid)]
    for i, (row, rnode) in enumerate(zip(table, row_nodes, strict=True)):
        if row[0] in seen:
            raise where.fail(
                f"hierarchy {name!r}: value listed twice (first at row {seen[row[0]] + 1})", rnode
            )
        seen[row[0]] = i
        for lv in range(1, n_mid):
            prev = up[lv].get(row[lv])
            if prev is not None and prev[0] != row[lv + 1]:
                raise where.fail(
                    f"hierarchy {name!r}: not monotone: values equal at level {lv} differ at "
                    f"level {lv + 1} (conflicts with row {prev[1] + 1})",
                    rnode,
                )
            up[lv].setdefault(row[lv], (row[lv + 1], i))
    lookups = [{r[0]: r[lv] for r in table} for lv in range(1, n_mid + 1)]

    def level_fn(lookup: dict[str, str]) -> LevelFn:
        def fn(values: np.ndarray) -> np.ndarray:
            return np.array([lookup.get(_label(v), SUPPRESSED) for v in values], dtype=object)

        return fn

    return Hierarchy(
        name=name,
        level_fns=tuple(level_fn(lk) for lk in lookups),
        level_names=_names(name, names, n_mid, where),
    )


def _names(name: str, names: Sequence[str] | None, n_mid: int, where: _Where) -> tuple[str, ...]:
    if names is None:
        return ("original", *(f"level {i}" for i in range(1, n_mid + 1)), "suppressed")
    if not isinstance(names, list) or len(names) != n_mid + 2:
        raise where.fail(
            f"hierarchy {name!r}: level_names must name all {n_mid + 2} levels "
            "(original ... suppressed)",
            _child(where.node, "level_names"),
        )
    return tuple(str(n) for n in names)


def _checked(h: Hierarchy, where: _Where) -> Hierarchy:
    """``h`` with a fit that checks monotony on the column's distinct values."""

    def fit(series: pd.Series) -> Hierarchy:
        uniques = np.asarray(pd.unique(series.dropna()), dtype=object)
        prev = uniques
        for lv in range(1, h.top):
            labels = h.map_uniques(uniques, lv)
            pairs = pd.DataFrame({"a": prev, "b": labels}).drop_duplicates()
            if pairs["a"].duplicated().any():
                raise where.fail(
                    f"hierarchy {h.name!r}: not monotone on column {series.name!r}: values "
                    f"equal at level {lv - 1} differ at level {lv}"
                )
            prev = labels
        return h

    return Hierarchy(h.name, h.level_fns, h.level_names, fit_fn=fit)


def _prefix_hierarchy(
    name: str, lengths: Any, names: Sequence[str] | None, where: _Where
) -> Hierarchy:
    node = _child(where.node, "prefix")
    if (
        not isinstance(lengths, list)
        or not lengths
        or not all(isinstance(n, int) and n > 0 for n in lengths)
        or any(b >= a for a, b in itertools.pairwise(lengths))
    ):
        raise where.fail(
            f"hierarchy {name!r}: 'prefix' must be a list of decreasing positive lengths", node
        )

    def level_fn(n: int) -> LevelFn:
        def fn(values: np.ndarray) -> np.ndarray:
            return np.array([_label(v)[:n] for v in values], dtype=object)

        return fn

    h = Hierarchy(
        name, tuple(level_fn(n) for n in lengths), _names(name, names, len(lengths), where)
    )
    return h


def _rules_hierarchy(
    name: str, levels: Any, names: Sequence[str] | None, where: _Where
) -> Hierarchy:
    node = _child(where.node, "rules")
    if not isinstance(levels, list) or not levels:
        raise where.fail(f"hierarchy {name!r}: 'rules' must be a list of levels", node)
    level_nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(levels)
    compiled: list[list[tuple[re.Pattern[str], str]]] = []
    for rules, lnode in zip(levels, level_nodes, strict=True):
        if not isinstance(rules, list) or not rules:
            raise where.fail(f"hierarchy {name!r}: each level needs a list of rules", lnode)
        out = []
        rule_nodes = lnode.value if isinstance(lnode, yaml.SequenceNode) else [None] * len(rules)
        for rule, rnode in zip(rules, rule_nodes, strict=True):
            if not isinstance(rule, dict) or set(rule) != {"pattern", "label"}:
                raise where.fail(
                    f"hierarchy {name!r}: a rule is {{pattern: <regex>, label: <text>}}", rnode
                )
            try:
                out.append((re.compile(str(rule["pattern"])), str(rule["label"])))
            except re.error as exc:
                raise where.fail(f"hierarchy {name!r}: bad regex: {exc}", rnode) from None
        compiled.append(out)

    def level_fn(rules: list[tuple[re.Pattern[str], str]]) -> LevelFn:
        def fn(values: np.ndarray) -> np.ndarray:
            result = np.full(len(values), SUPPRESSED, dtype=object)
            for i, v in enumerate(values):
                text = _label(v)
                for pattern, label in rules:
                    m = pattern.search(text)
                    if m:
                        result[i] = m.expand(label)
                        break
            return result

        return fn

    return Hierarchy(
        name, tuple(level_fn(r) for r in compiled), _names(name, names, len(compiled), where)
    )


def _interval_from(name: str, spec: Any, names: Sequence[str] | None, where: _Where) -> Hierarchy:
    node = _child(where.node, "intervals")
    if not isinstance(spec, dict) or not set(spec) <= _INTERVAL_KEYS or "widths" not in spec:
        raise where.fail(
            f"hierarchy {name!r}: 'intervals' needs 'widths' and may have "
            f"{sorted(_INTERVAL_KEYS - {'widths'})}",
            node,
        )
    widths = spec["widths"]
    if not isinstance(widths, list) or not widths:
        raise where.fail(f"hierarchy {name!r}: 'widths' must be a non-empty list", node)
    try:
        h = interval_hierarchy(
            tuple(None if w is None else float(w) for w in widths),
            bottom=None if spec.get("bottom") is None else float(spec["bottom"]),
            top=None if spec.get("top") is None else float(spec["top"]),
            start=float(spec.get("start", 0.0)),
            integer=bool(spec.get("integer", False)),
            name=name,
            top_percentile=spec.get("top_percentile"),
            bottom_percentile=spec.get("bottom_percentile"),
        )
    except (TypeError, ValueError) as exc:
        raise where.fail(f"hierarchy {name!r}: {exc}", node) from None
    if names is not None:
        h = Hierarchy(h.name, h.level_fns, _names(name, names, len(widths), where), h.fit_fn)
    return h


def hierarchy_from_definition(
    name: str, definition: Mapping[str, Any], where: _Where | None = None
) -> Hierarchy:
    """A :class:`Hierarchy` from one definition (a mapping with exactly one of
    ``levels``, ``intervals``, ``prefix``, ``rules``; optional ``level_names``).

    >>> h = hierarchy_from_definition("edu", {"levels": [["BSc", "Degree"], ["MSc", "Degree"]]})
    >>> h.levels, h.map_uniques(np.array(["MSc", "PhD"], dtype=object), 1).tolist()
    (3, ['Degree', '*'])
    """
    where = where or _Where("<params>")
    if not isinstance(definition, Mapping):
        raise where.fail(f"hierarchy {name!r}: a definition must be a mapping")
    kinds = [k for k in _KINDS if k in definition]
    extra = set(definition) - set(_KINDS) - {"level_names"}
    if len(kinds) != 1 or extra:
        raise where.fail(
            f"hierarchy {name!r}: needs exactly one of {list(_KINDS)}"
            + (f"; unknown keys {sorted(extra)}" if extra else "")
        )
    names = definition.get("level_names")
    kind = kinds[0]
    if kind == "levels":
        return _table_hierarchy(name, definition["levels"], names, where)
    if kind == "intervals":
        return _interval_from(name, definition["intervals"], names, where)
    if kind == "prefix":
        return _checked(_prefix_hierarchy(name, definition["prefix"], names, where), where)
    return _checked(_rules_hierarchy(name, definition["rules"], names, where), where)


def load_hierarchies(path: str | Path) -> dict[str, Hierarchy]:
    """Hierarchies of a YAML file: ``{column name or QI kind: Hierarchy}``.

    Raises ConfigError naming the file (and line) when the file is unreadable or invalid.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read hierarchies: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{line}: invalid YAML") from None
    where = _Where(source, root)
    if root is None:
        raise where.fail("empty hierarchies file")
    body = _child(root, "hierarchies")
    if body is None:
        body = root
    if not isinstance(body, yaml.MappingNode):
        raise where.fail("expected a mapping 'hierarchies: {name: definition}'", body)
    out: dict[str, Hierarchy] = {}
    for key_node, value_node in body.value:
        name = str(_plain(key_node))
        if name in out:
            raise where.fail(f"hierarchy {name!r} defined twice", key_node)
        value = _plain(value_node)
        out[name] = hierarchy_from_definition(name, value, _Where(source, value_node))
    logger.debug("loaded %d hierarchies from %s", len(out), source)
    return out


def resolve_hierarchy(spec: str | Mapping[str, Any], name: str) -> Hierarchy:
    """The hierarchy a transform parameter names (JSON-friendly).

    ``spec`` is an inline definition (mapping, see :func:`hierarchy_from_definition`), a
    built-in kind (e.g. ``"age"``, ``"postcode"``, ``"numeric"``, ``"suppress"``), or a YAML
    file path, optionally ``path#entry`` (without ``#entry`` the entry named ``name`` is used).
    """
    if isinstance(spec, Mapping):
        return hierarchy_from_definition(name, spec)
    text = str(spec)
    if text in HIERARCHY_KINDS or text == "suppress":
        return hierarchy_for(text)
    file, _, entry = text.partition("#")
    if not file.endswith((".yaml", ".yml")):
        raise ConfigError(
            f"hierarchy for {name!r}: expected a definition, a built-in kind "
            f"({', '.join(HIERARCHY_KINDS)}) or a .yaml path"
        )
    loaded = _load_cached(file)
    key = entry or name
    if key not in loaded:
        raise ConfigError(f"{file}: no hierarchy named {key!r}")
    return loaded[key]


_FILES: dict[tuple[str, float], dict[str, Hierarchy]] = {}


def _load_cached(file: str) -> dict[str, Hierarchy]:
    try:
        mtime = Path(file).stat().st_mtime
    except OSError:
        return load_hierarchies(file)  # raises a ConfigError naming the file
    if (file, mtime) not in _FILES:
        _FILES[(file, mtime)] = load_hierarchies(file)
    return _FILES[(file, mtime)]


def hierarchy_param(
    column: str, kind: str | None, specs: Mapping[str, str | Mapping[str, Any]]
) -> Hierarchy:
    """The hierarchy for ``column``: ``specs[column]``, else ``specs[kind]``, else the
    built-in one of its QI kind."""
    spec = specs.get(column)
    if spec is None and kind is not None:
        spec = specs.get(kind)
    if spec is None:
        return hierarchy_for(kind)
    return resolve_hierarchy(spec, column)
