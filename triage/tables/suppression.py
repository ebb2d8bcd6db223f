"""Primary and secondary cell suppression for tables with marginal totals, and the attacker check.

Primary rules: threshold (counts), minimum contributors, dominance (n, k) and p% (magnitudes).

Secondary suppression (hypercube method, checked by LP): for every primary cell ``p`` not yet
protected, choose the cheapest hypercube in the marginated table (two indices per axis, one of
them p's, totals allowed) whose corners are all suppressed and whose values allow shifting the
pattern by the required upper protection ``u`` and lower protection ``l`` while staying
non-negative. Such a pattern is a feasible point of the attacker's LP, so the suppressed set
protects ``p`` by construction: the attacker's interval contains ``[v - l, v + u]``. Before
adding a hypercube the cell's LP interval is computed; cells already protected (by earlier
patterns) are skipped. Cost of a cell: its value + 1 (or 1 per cell with ``cost="cells"``); ties
are broken by index order, so the result is deterministic.

Attacker check: :func:`feasible_intervals` minimises and maximises every suppressed cell over the
published cells, the additivity relations and non-negativity (LP, HiGHS), per connected component.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped, unused-ignore]
from scipy.optimize import linprog  # type: ignore[import-untyped, unused-ignore]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped, unused-ignore]

from triage.models import Finding
from triage.tables.model import Cell, Table
from triage.vocab import Severity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrimaryRules:
    """Primary suppression parameters (per rulebook).

    threshold: count cells with ``1 <= n < threshold`` are sensitive (``0 <= n`` when
    ``zeros_sensitive``). min_contributors: cells with ``1 <= contributors < min_contributors``.
    dominance_n / dominance_k: the largest n contributions exceed k% of the cell. p_percent: the
    cell total minus the two largest contributions is below p% of the largest.
    """

    threshold: int = 10
    zeros_sensitive: bool = False
    min_contributors: int | None = None
    dominance_n: int = 2
    dominance_k: float = 85.0
    p_percent: float | None = 10.0
    apply_to_margins: bool = True


@dataclass(frozen=True)
class Protection:
    """Required protection interval for a primary cell of value v.

    ``level = max(absolute, relative * v)``; upper protection = level (or, with
    ``to_threshold``, at least ``threshold - v`` so the attacker can't prove the cell is small);
    lower protection = ``min(level, v)``.
    """

    absolute: float = 1.0
    relative: float = 0.0
    to_threshold: bool = False

    def levels(self, value: float, threshold: int | None = None) -> tuple[float, float]:
        """(upper, lower) protection for a cell of ``value``."""
        level = max(self.absolute, self.relative * abs(value))
        upper = level
        if self.to_threshold and threshold is not None:
            upper = max(upper, threshold - value)
        return upper, min(level, max(value, 0.0))


@dataclass
class PrimaryResult:
    """Sensitive cells per rule (boolean arrays of the table's full shape)."""

    mask: np.ndarray
    by_rule: dict[str, np.ndarray] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of cells flagged per rule."""
        return {k: int(v.sum()) for k, v in self.by_rule.items()}


def primary_suppression(table: Table, rules: PrimaryRules | None = None) -> PrimaryResult:
    """Flag sensitive cells by the threshold, contributors, dominance and p% rules."""
    rules = rules or PrimaryRules()
    v = table.values
    by: dict[str, np.ndarray] = {}
    if table.kind == "count":
        low = 0 if rules.zeros_sensitive else 1
        by["threshold"] = (v >= low) & (v < rules.threshold)
    if rules.min_contributors and table.contributors is not None:
        c = table.contributors
        by["min_contributors"] = (c >= 1) & (c < rules.min_contributors)
    if table.kind == "magnitude" and table.top_contributions is not None:
        top = table.top_contributions
        total = np.where(v > 0, v, np.nan)
        n = min(rules.dominance_n, top.shape[-1])
        with np.errstate(invalid="ignore"):
            dom = top[..., :n].sum(axis=-1) > rules.dominance_k / 100 * total
            by["dominance"] = np.nan_to_num(dom, nan=0).astype(bool) & (v > 0)
            if rules.p_percent is not None:
                rest = v - top[..., 0] - top[..., 1]
                by["p_percent"] = (v > 0) & (rest < rules.p_percent / 100 * top[..., 0])
    mask = np.zeros(v.shape, dtype=bool)
    for m in by.values():
        mask |= m
    if not rules.apply_to_margins:
        interior = np.zeros(v.shape, dtype=bool)
        interior[tuple(slice(0, s - 1) for s in v.shape)] = True
        mask &= interior
        by = {k: m & interior for k, m in by.items()}
    return PrimaryResult(mask=mask, by_rule=by)


def relations(shape: tuple[int, ...]) -> sp.csr_matrix:
    """Additivity relations of a marginated table: rows = relations, cols = flat cells.

    For every axis and every index of the other axes: sum of the categories - total = 0.
    """
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    data: list[np.ndarray] = []
    r0 = 0
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    for axis in range(len(shape)):
        moved = np.moveaxis(idx, axis, -1).reshape(-1, shape[axis])
        nrel = moved.shape[0]
        coef = np.ones(shape[axis])
        coef[-1] = -1.0
        rows.append(np.repeat(np.arange(r0, r0 + nrel), shape[axis]))
        cols.append(moved.ravel())
        data.append(np.tile(coef, nrel))
        r0 += nrel
    return sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r0, idx.size),
    )


def feasible_intervals(
    values: np.ndarray,
    suppressed: np.ndarray,
    cells: list[Cell] | None = None,
    upper: np.ndarray | None = None,
) -> dict[Cell, tuple[float, float]]:
    """The attacker: every suppressed cell's feasible interval from the published cells.

    Parameters
    ----------
    values:
        The marginated table (published values are known; the others are only used for nothing).
    suppressed:
        Boolean mask of suppressed cells (same shape).
    cells:
        Only compute these cells (default: all suppressed cells).
    upper:
        Upper bound of every cell the attacker knows (a publisher's "< 10"; inf for none).

    Returns
    -------
    dict
        cell -> (lo, hi) from LPs over additivity, published values and non-negativity;
        ``hi`` is ``inf`` when unbounded.
    """
    shape = tuple(int(s) for s in values.shape)
    a = relations(shape)
    sup_flat = np.flatnonzero(suppressed.ravel())
    if sup_flat.size == 0:
        return {}
    pub = ~suppressed.ravel()
    rhs_all = -(a[:, pub] @ values.ravel()[pub])
    a_s = a[:, sup_flat].tocsr()
    touched = np.flatnonzero(np.diff(a_s.indptr) > 0)
    a_s = a_s[touched]
    rhs = rhs_all[touched]
    # components of suppressed cells linked by relations
    inc = a_s.T.tocsr()
    adj = (inc @ inc.T) != 0
    ncomp, labels = connected_components(adj, directed=False)
    wanted: set[int] | None = None
    if cells is not None:
        wanted = {int(np.ravel_multi_index(c, shape)) for c in cells}
    out: dict[Cell, tuple[float, float]] = {}
    for comp in range(ncomp):
        members = np.flatnonzero(labels == comp)
        flat_members = sup_flat[members]
        if wanted is not None and not wanted.intersection(flat_members.tolist()):
            continue
        sub = a_s[:, members]
        rows = np.flatnonzero(np.diff(sub.tocsr().indptr) > 0)
        sub = sub[rows]
        b = rhs[rows]
        for j, f in enumerate(flat_members):
            if wanted is not None and int(f) not in wanted:
                continue
            c = np.zeros(members.size)
            c[j] = 1.0
            bounds: Any = (0, None)
            if upper is not None:
                caps = upper.ravel()[flat_members]
                bounds = [(0, None if math.isinf(u) else float(u)) for u in caps]
            lo_res = linprog(c, A_eq=sub, b_eq=b, bounds=bounds, method="highs")
            hi_res = linprog(-c, A_eq=sub, b_eq=b, bounds=bounds, method="highs")
            lo = float(lo_res.fun) if lo_res.status == 0 else 0.0
            hi = -float(hi_res.fun) if hi_res.status == 0 else math.inf
            cell = tuple(int(x) for x in np.unravel_index(int(f), shape))
            out[cell] = (max(lo, 0.0), hi)
    return out


@dataclass
class SuppressionResult:
    """Outcome of primary + secondary suppression."""

    primary: np.ndarray
    secondary: np.ndarray
    by_rule: dict[str, int]
    intervals: dict[Cell, tuple[float, float]]
    required: dict[Cell, tuple[float, float]]
    unprotected: list[Cell]
    #: cells the publisher hid that the published totals recover, below the threshold (they
    #: keep the publisher's mark and are protected like primary cells): see
    #: :func:`triage.tables.hidden.recovered_cells`
    recovered: np.ndarray | None = None

    @property
    def suppressed(self) -> np.ndarray:
        """All cells to be newly suppressed (hidden cells keep the publisher's mark)."""
        return self.primary | self.secondary

    def recovered_count(self) -> int:
        """Number of hidden cells recovered below the threshold."""
        return 0 if self.recovered is None else int(self.recovered.sum())

    def min_protection(self, values: np.ndarray) -> float | None:
        """Smallest attacker interval width over primary cells (None without primaries)."""
        protect = self.primary if self.recovered is None else self.primary | self.recovered
        widths = [hi - lo for c, (lo, hi) in self.intervals.items() if protect[c]]
        return min(widths) if widths else None


def _signs_and_values(
    values: np.ndarray, p: Cell, shape: tuple[int, ...]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    alts: list[np.ndarray] = []
    signs: list[np.ndarray] = []
    for axis, n in enumerate(shape):
        cand = np.array([i for i in range(n) if i != p[axis]])
        total = n - 1
        s = np.where((cand == total) | (p[axis] == total), 1, -1)
        alts.append(cand)
        signs.append(s)
    return alts, signs


def _best_hypercube(
    values: np.ndarray,
    suppressed: np.ndarray,
    cost: np.ndarray,
    p: Cell,
    upper: float,
    lower: float,
) -> list[Cell] | None:
    """Cheapest valid hypercube through ``p``: its corners (None when none is valid)."""
    shape = tuple(int(s) for s in values.shape)
    d = len(shape)
    alts, signs = _signs_and_values(values, p, shape)
    grids = np.meshgrid(*alts, indexing="ij")
    sgrids = np.meshgrid(*signs, indexing="ij")
    n_cand = grids[0].size
    alt = [g.ravel() for g in grids]
    sg = [g.ravel() for g in sgrids]
    total_cost = np.zeros(n_cand)
    ok = np.ones(n_cand, dtype=bool)
    corners_idx: list[tuple[np.ndarray, ...]] = []
    for choose in itertools.product((0, 1), repeat=d):
        if not any(choose):
            continue
        idx = tuple(alt[a] if choose[a] else np.full(n_cand, p[a]) for a in range(d))
        sign = np.ones(n_cand)
        for a in range(d):
            if choose[a]:
                sign = sign * sg[a]
        v = values[idx]
        need = np.where(sign < 0, upper, lower)
        with np.errstate(invalid="ignore"):
            ok &= v >= need - 1e-9  # an unknown (hidden) corner is never relied upon
        total_cost += np.where(suppressed[idx], 0.0, cost[idx])
        corners_idx.append(idx)
    if not ok.any():
        return None
    total_cost = np.where(ok, total_cost, np.inf)
    best = int(np.argmin(total_cost))  # first minimum: deterministic tie-break
    corners = [tuple(int(ix[k][best]) for k in range(d)) for ix in corners_idx]
    return corners


def _protected(
    interval: tuple[float, float], value: float, upper: float, lower: float, tol: float = 1e-6
) -> bool:
    lo, hi = interval
    return hi >= value + upper - tol and lo <= value - lower + tol


def secondary_suppression(
    table: Table,
    primary: np.ndarray,
    *,
    protection: Protection | None = None,
    threshold: int | None = None,
    cost: Literal["value", "cells"] = "value",
    prune: bool = True,
    prune_max_cells: int = 400,
    lp_check_max_cells: int = 2500,
    verify: bool = True,
) -> SuppressionResult:
    """Complementary suppression so every primary cell keeps its protection interval.

    Parameters
    ----------
    table:
        The table (full marginated values).
    primary:
        Boolean mask of primary (sensitive) cells.
    protection:
        Required protection; default ``Protection()`` (at least one unit either side).
    threshold:
        Used by ``Protection.to_threshold``.
    cost:
        Information loss per suppressed cell: ``"value"`` (value + 1) or ``"cells"``.
    prune:
        Afterwards try to release secondary cells (most costly first) when every primary cell
        stays protected (only when at most ``prune_max_cells`` secondary cells).
    lp_check_max_cells:
        Check each primary cell's LP interval before adding a hypercube only for tables of at
        most this many cells (larger tables rely on the hypercube construction alone; a
        hypercube whose corners are already suppressed costs nothing, so nothing is added).
    verify:
        Run the attacker LPs on the primary cells afterwards (fills ``intervals``/``unprotected``).
    """
    protection = protection or Protection()
    values = table.values
    shape = table.shape
    unknown = np.isnan(values) & ~primary
    bound = table.upper
    suppressed = primary | unknown
    cell_cost = values + 1.0 if cost == "value" else np.ones(shape)
    required: dict[Cell, tuple[float, float]] = {}
    order = sorted(
        (tuple(int(x) for x in c) for c in np.argwhere(primary)),
        key=lambda c: (-values[c], c),
    )
    unprotected: list[Cell] = []
    lp_check = values.size <= lp_check_max_cells
    for p in order:
        req = protection.levels(float(values[p]), threshold)
        if bound is not None and not math.isinf(bound[p]):
            # the publisher's "< 10" already tells the attacker the cell is at most 9
            req = (max(0.0, min(req[0], float(bound[p]) - float(values[p]))), req[1])
        required[p] = req
        if lp_check:
            iv = feasible_intervals(values, suppressed, [p], bound).get(p, (values[p], values[p]))
            if _protected(iv, float(values[p]), *req):
                continue
        corners = _best_hypercube(values, suppressed, cell_cost, p, *req)
        if corners is None:
            unprotected.append(p)
            continue
        for c in corners:
            suppressed[c] = True
    if unprotected:
        # fall back: suppress every cell sharing a relation with p, repeatedly, until protected
        for p in unprotected:
            for _ in range(len(shape) + 1):
                iv = feasible_intervals(values, suppressed, [p], bound).get(
                    p, (values[p], values[p])
                )
                if _protected(iv, float(values[p]), *required[p]):
                    break
                _suppress_neighbourhood(suppressed, p)
    secondary = suppressed & ~primary & ~unknown
    if prune and 0 < int(secondary.sum()) <= prune_max_cells:
        secondary = _prune(values, primary | unknown, secondary, required, cell_cost, bound)
    final = primary | secondary | unknown
    intervals = feasible_intervals(values, final, list(required), bound) if verify else {}
    still = [
        p
        for p in required
        if p in intervals and not _protected(intervals[p], float(values[p]), *required[p])
    ]
    return SuppressionResult(
        primary=primary,
        secondary=secondary,
        by_rule={},
        intervals=intervals,
        required=required,
        unprotected=still,
    )


def _suppress_neighbourhood(suppressed: np.ndarray, p: Cell) -> None:
    current = [tuple(int(x) for x in c) for c in np.argwhere(suppressed)]
    for c in current:
        for axis in range(suppressed.ndim):
            idx: list[Any] = list(c)
            idx[axis] = slice(None)
            suppressed[tuple(idx)] = True
    _ = p


def _prune(
    values: np.ndarray,
    primary: np.ndarray,
    secondary: np.ndarray,
    required: dict[Cell, tuple[float, float]],
    cell_cost: np.ndarray,
    bound: np.ndarray | None = None,
) -> np.ndarray:
    secondary = secondary.copy()
    cand = sorted(
        (tuple(int(x) for x in c) for c in np.argwhere(secondary)),
        key=lambda c: (-cell_cost[c], c),
    )
    for c in cand:
        secondary[c] = False
        iv = feasible_intervals(values, primary | secondary, list(required), bound)
        if not all(_protected(iv[p], float(values[p]), *required[p]) for p in required):
            secondary[c] = True
    return secondary


def suppress_table(
    table: Table,
    rules: PrimaryRules | None = None,
    protection: Protection | None = None,
    *,
    cost: Literal["value", "cells"] = "value",
    prune: bool = True,
) -> SuppressionResult:
    """Primary then secondary suppression of ``table``.

    A cell the publisher already hid is no primary cell; one the published totals recover
    below the threshold (:func:`triage.tables.hidden.recovered_cells`) is protected like one,
    keeping its mark: only the complementary cells it needs are newly suppressed.
    """
    from triage.tables.hidden import recovered_cells

    rules = rules or PrimaryRules()
    prim = primary_suppression(table, rules)
    if protection is None:
        protection = (
            Protection(absolute=1.0, relative=(rules.p_percent or 10.0) / 100)
            if table.kind == "magnitude"
            else Protection()
        )
    recovered = recovered_cells(table, rules) if table.hidden is not None else {}
    work, mask = table, prim.mask
    rec_mask = np.zeros(table.shape, dtype=bool)
    if recovered:
        values = table.values.copy()
        for cell, value in recovered.items():
            values[cell] = value
            rec_mask[cell] = True
        work = dataclasses.replace(table, values=values)
        mask = prim.mask | rec_mask
    res = secondary_suppression(
        work, mask, protection=protection, threshold=rules.threshold, cost=cost, prune=prune
    )
    res.primary = prim.mask
    res.secondary = res.secondary & ~rec_mask
    res.recovered = rec_mask if recovered else None
    res.by_rule = prim.counts()
    return res


def table_metrics(table: Table, result: SuppressionResult | None) -> dict[str, float | int | None]:
    """Rule facts for a table (proposed ``metrics`` fields)."""
    cells = int(np.prod(table.shape))
    if result is None:
        return {"table_cells": cells, "table_dimensions": table.ndim}
    recovered = result.recovered_count()
    return {
        "table_cells": cells,
        "table_dimensions": table.ndim,
        "table_small_cells": int(result.by_rule.get("threshold", 0)) + recovered,
        "table_dominance_cells": int(
            result.by_rule.get("dominance", 0) + result.by_rule.get("p_percent", 0)
        ),
        "table_primary_suppressed": int(result.primary.sum()) + recovered,
        "table_secondary_suppressed": int(result.secondary.sum()),
        "table_unprotected_cells": len(result.unprotected),
        "table_min_protection": result.min_protection(table.values),
    }


def table_findings(dataset: str, table: Table, result: SuppressionResult) -> list[Finding]:
    """Report-ready findings (no raw values; counts of cells only)."""
    from triage.tables.hidden import hidden_findings

    dims = [d.name for d in table.dimensions]
    out: list[Finding] = []
    n_primary = int(result.primary.sum())
    if n_primary:
        rules = ", ".join(f"{k} rule: {v}" for k, v in sorted(result.by_rule.items()) if v)
        out.append(
            Finding(
                kind="small_cells",
                severity=Severity.HIGH,
                dataset=dataset,
                columns=dims,
                count=n_primary,
                message=f"{table.kind.capitalize()} table over {', '.join(dims)} has "
                f"{n_primary} sensitive cell(s) of {int(np.prod(table.shape))} ({rules}); "
                f"{int(result.secondary.sum())} complementary suppression(s) protect them.",
            )
        )
    if table.hidden is not None:
        out.extend(hidden_findings(dataset, table, result))
    if not table.totals_consistent:
        out.append(
            Finding(
                kind="table_totals_inconsistent",
                severity=Severity.LOW,
                dataset=dataset,
                columns=dims,
                message="Published totals do not equal the sum of their cells.",
            )
        )
    if result.unprotected:
        out.append(
            Finding(
                kind="table_unprotected_cells",
                severity=Severity.CRITICAL,
                dataset=dataset,
                columns=dims,
                count=len(result.unprotected),
                message=f"{len(result.unprotected)} sensitive cell(s) could not be protected "
                "by complementary suppression.",
            )
        )
    return out
