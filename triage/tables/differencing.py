"""Differencing between overlapping tables of one submission.

Two tables of the same measure whose categories nest (age 0-17 vs 0-15; all wards vs all wards
but one) can be subtracted: ``A[0-17] - B[0-15]`` is the count aged 16-17. Categories are sets:
age-like labels ("0-15", "16 to 17", "65+", "65 and over", "under 5") are integer ranges,
other labels are themselves, and a total is the union of its table's categories. For every
dimension both tables share, every pair of categories where B's is a strict subset of A's is
subtracted over the other dimensions (aligned on identical categories; a dimension only one table
has is taken at its total). A difference of ``1 <= d < threshold`` is a disclosure.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from triage.tables.model import Dimension, Table

_RANGE = re.compile(r"^\D*?(\d+)\s*(?:-|–|to)\s*(\d+)\D*$", re.IGNORECASE)
_OPEN = re.compile(r"^\D*?(\d+)\s*(?:\+|and over|and above|or over|or more)\D*$", re.IGNORECASE)
_UNDER = re.compile(r"^\s*(?:under|less than|below)\s*(\d+)\D*$", re.IGNORECASE)
_SINGLE = re.compile(r"^\s*(\d+)\s*$")
_OPEN_MAX = 150


@dataclass(frozen=True)
class DifferencingRisk:
    """A small difference between a cell of table A and a nested cell of table B."""

    table_a: str
    table_b: str
    dimension: str
    category_a: str
    category_b: str
    other: dict[str, str]
    difference: float

    def message(self) -> str:
        """Report sentence (the difference is an aggregate count)."""
        where = ", ".join(f"{k}={v}" for k, v in self.other.items()) or "overall"
        return (
            f"'{self.table_a}' {self.dimension}={self.category_a} minus '{self.table_b}' "
            f"{self.dimension}={self.category_b} ({where}) reveals a count of "
            f"{int(self.difference)}."
        )


def _members(label: str) -> frozenset[object] | None:
    for rx, fn in (
        (_RANGE, lambda m: range(int(m[1]), int(m[2]) + 1)),
        (_OPEN, lambda m: range(int(m[1]), _OPEN_MAX + 1)),
        (_UNDER, lambda m: range(0, int(m[1]))),
        (_SINGLE, lambda m: range(int(m[1]), int(m[1]) + 1)),
    ):
        m = rx.match(label)
        if m:
            return frozenset(fn(m))
    return None


def category_sets(dim: Dimension) -> list[frozenset[object]]:
    """Member sets of each category, then of the total (last)."""
    ranges = [_members(c) for c in dim.categories]
    sets: list[frozenset[object]] = []
    if all(r is not None for r in ranges):
        sets = [r for r in ranges if r is not None]
    else:
        sets = [frozenset([c]) for c in dim.categories]
    total: frozenset[object] = frozenset().union(*sets)
    return [*sets, total]


def _label(dim: Dimension, i: int) -> str:
    return (dim.total_label or "Total") if i == dim.size else dim.categories[i]


def differencing_risks(a: Table, b: Table, threshold: int = 10) -> list[DifferencingRisk]:
    """Small counts revealed by subtracting nested cells of two tables of the same measure."""
    if a.kind != "count" or b.kind != "count":
        return []
    a_dims = {d.name: i for i, d in enumerate(a.dimensions)}
    b_dims = {d.name: i for i, d in enumerate(b.dimensions)}
    common = [n for n in a_dims if n in b_dims]
    risks: list[DifferencingRisk] = []
    for target in common:
        da, db = a.dimensions[a_dims[target]], b.dimensions[b_dims[target]]
        sa, sb = category_sets(da), category_sets(db)
        pairs = [(i, j) for i, x in enumerate(sa) for j, y in enumerate(sb) if y < x]
        if not pairs:
            continue
        # aligned positions of the other dimensions: list of (a index, b index, label) per dim
        axes: list[list[tuple[int | None, int | None, str]]] = []
        names: list[str] = []
        for name in [n for n in a_dims if n != target] + [n for n in b_dims if n not in a_dims]:
            if name == target:
                continue
            names.append(name)
            if name in a_dims and name in b_dims:
                xa, xb = a.dimensions[a_dims[name]], b.dimensions[b_dims[name]]
                opts = [
                    (i, xb.categories.index(c), c)
                    for i, c in enumerate(xa.categories)
                    if c in xb.categories
                ]
                if category_sets(xa)[-1] == category_sets(xb)[-1]:
                    opts.append((xa.size, xb.size, "Total"))
                axes.append([(i, j, lbl) for i, j, lbl in opts])
            elif name in a_dims:
                axes.append([(a.dimensions[a_dims[name]].size, None, "Total")])
            else:
                axes.append([(None, b.dimensions[b_dims[name]].size, "Total")])
        for (i, j), combo in itertools.product(pairs, itertools.product(*axes)):
            ia = [0] * a.ndim
            ib = [0] * b.ndim
            ia[a_dims[target]] = i
            ib[b_dims[target]] = j
            other: dict[str, str] = {}
            for name, (pa, pb, lbl) in zip(names, combo, strict=True):
                if pa is not None and name in a_dims:
                    ia[a_dims[name]] = pa
                if pb is not None and name in b_dims:
                    ib[b_dims[name]] = pb
                if lbl != "Total":
                    other[name] = lbl
            diff = float(a.values[tuple(ia)] - b.values[tuple(ib)])
            if 1 <= diff < threshold:
                risks.append(
                    DifferencingRisk(
                        a.name, b.name, target, _label(da, i), _label(db, j), other, diff
                    )
                )
    return risks


def submission_differencing(tables: list[Table], threshold: int = 10) -> list[DifferencingRisk]:
    """Differencing risks over every ordered pair of tables of one submission."""
    out: list[DifferencingRisk] = []
    for a, b in itertools.permutations(tables, 2):
        out.extend(differencing_risks(a, b, threshold))
    return out


def differencing_count(risks: list[DifferencingRisk]) -> int:
    """Number of distinct revealing differences (rule fact ``table_differencing_risks``)."""
    return len({(r.table_a, r.table_b, r.dimension, r.category_a, r.category_b) for r in risks})
