"""``microaggregate``: replace numeric QI values by the mean of groups of at least k records.

Methods
-------
* One column: the optimal-style univariate method: sort the values, cut the sorted order
  into consecutive groups of ``k`` (the last group takes the remainder, so every group has
  ``k`` .. ``2k - 1`` records), replace each value by its group's mean. ``O(n log n)``, any size.
* Several columns: MDAV (maximum distance to average vector, Domingo-Ferrer & Mateo-Sanz
  2002) on the standardised columns (z-scores; a constant column is left as 0): repeatedly
  take the record ``r`` farthest from the centroid of the remaining records, group it with
  its ``k - 1`` nearest remaining records, then the record ``s`` farthest from ``r`` with
  its ``k - 1`` nearest; when fewer than ``3k`` remain, one group of ``k`` and a last group
  of the rest (or one group when fewer than ``2k`` remain). Each group's records get the
  group's mean in every column (original units). Vectorised with numpy per step:
  ``O(n^2 / k)`` time, fine up to about 50,000 rows (``MDAV_MAX_ROWS``); larger inputs raise
  :class:`~triage.errors.PluginExecutionError` (microaggregate one column at a time, or use
  generalisation).

Group means preserve column sums (up to floating point). Records with a missing or
non-numeric value in any of the columns are left unchanged and are not grouped (reported in
the column notes). Output values are strings (``format(value, ".6g")``-style, with
``decimals`` when given), since frames hold strings. Ties are broken by row position, so
the result is deterministic.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from pydantic import Field

from triage.errors import PluginExecutionError
from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    changed_cells,
    series_like,
)

logger = logging.getLogger(__name__)

#: MDAV (several columns) is quadratic; above this many rows it refuses
MDAV_MAX_ROWS = 50_000


def univariate_groups(values: np.ndarray, k: int) -> np.ndarray:
    """Group id per value: consecutive runs of ``k`` in sorted order (last run ``k..2k-1``).

    >>> univariate_groups(np.array([5.0, 1.0, 9.0, 2.0, 8.0]), 2).tolist()
    [1, 0, 1, 0, 1]
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(values, kind="stable")
    n_groups = max(n // k, 1)
    rank_group = np.minimum(np.arange(n) // k, n_groups - 1)
    groups = np.empty(n, dtype=np.int64)
    groups[order] = rank_group
    return groups


def mdav_groups(data: np.ndarray, k: int) -> np.ndarray:
    """MDAV group id per row of ``data`` (n x p, already scaled); every group has >= k rows
    (when n >= k; else one group).

    >>> x = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    >>> mdav_groups(x, 3).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    n = data.shape[0]
    groups = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    gid = 0

    def take(center: np.ndarray) -> None:
        nonlocal remaining, gid
        d = ((data[remaining] - center) ** 2).sum(axis=1)
        nearest = np.argsort(d, kind="stable")[:k]
        groups[remaining[nearest]] = gid
        gid += 1
        keep = np.ones(len(remaining), dtype=bool)
        keep[nearest] = False
        remaining = remaining[keep]

    while len(remaining) >= 3 * k:
        centroid = data[remaining].mean(axis=0)
        d = ((data[remaining] - centroid) ** 2).sum(axis=1)
        r = data[remaining[int(np.argmax(d))]].copy()
        take(r)
        d = ((data[remaining] - r) ** 2).sum(axis=1)
        s = data[remaining[int(np.argmax(d))]].copy()
        take(s)
    if len(remaining) >= 2 * k:
        centroid = data[remaining].mean(axis=0)
        d = ((data[remaining] - centroid) ** 2).sum(axis=1)
        take(data[remaining[int(np.argmax(d))]].copy())
    if len(remaining):
        groups[remaining] = gid
    return groups


def microaggregate_array(data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(group means per row, group id per row) of numeric ``data`` (n x p, no NaN).

    One column: sort-based; several: MDAV on z-scores.

    >>> out, g = microaggregate_array(np.array([[1.0], [2.0], [3.0], [10.0]]), 2)
    >>> out[:, 0].tolist(), g.tolist()
    ([1.5, 1.5, 6.5, 6.5], [0, 0, 1, 1])
    """
    data = np.asarray(data, dtype=float)
    n, p = data.shape
    if n == 0:
        return data.copy(), np.zeros(0, dtype=np.int64)
    if p == 1:
        groups = univariate_groups(data[:, 0], k)
    else:
        if n > MDAV_MAX_ROWS:
            raise PluginExecutionError(
                f"microaggregate: MDAV over {p} columns is limited to {MDAV_MAX_ROWS} rows "
                f"(got {n}); microaggregate one column at a time or generalise"
            )
        sd = data.std(axis=0)
        scaled = (data - data.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        groups = mdav_groups(scaled, k)
    n_groups = int(groups.max()) + 1
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    means = np.empty((n_groups, p))
    for j in range(p):
        means[:, j] = np.bincount(groups, weights=data[:, j], minlength=n_groups) / sizes
    return means[groups], groups


class MicroaggregateParams(TransformParams):
    """``k``: least group size; ``decimals``: round the means (None: 6 significant digits)."""

    k: int = Field(default=3, ge=1)
    decimals: int | None = Field(default=None, ge=0, le=12)


def _fmt(value: float, decimals: int | None) -> str:
    if decimals is not None:
        return f"{value:.{decimals}f}"
    return f"{value:.6g}"


class Microaggregate(Transform[MicroaggregateParams]):
    """Replace numeric columns by group means (univariate sort or multivariate MDAV)."""

    id = "microaggregate"
    Params = MicroaggregateParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: MicroaggregateParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the columns microaggregated together."""
        cols = list(dict.fromkeys(columns))
        out = frame.copy()
        if not cols or len(frame) == 0:
            return TransformResult(out, "no-op", 0)
        nums = np.column_stack(
            [
                pd.to_numeric(
                    frame[c].map(lambda v: str(v).strip(), na_action="ignore"), errors="coerce"
                )
                .astype(float)
                .to_numpy()
                for c in cols
            ]
        )
        ok = np.isfinite(nums).all(axis=1)
        rows = np.flatnonzero(ok)
        means, groups = microaggregate_array(nums[rows], params.k)
        changed = 0
        notes: dict[str, str] = {}
        skipped = int((~ok).sum())
        n_groups = int(groups.max()) + 1 if len(groups) else 0
        for j, c in enumerate(cols):
            values = frame[c].to_numpy(dtype=object).copy()
            values[rows] = np.array([_fmt(v, params.decimals) for v in means[:, j]], dtype=object)
            new = series_like(values, frame[c])
            changed += changed_cells(frame[c], new)
            out[c] = new
            note = f"microaggregated (k={params.k}, {n_groups} groups)"
            if skipped:
                note += f"; {skipped} record(s) missing or non-numeric left unchanged"
            notes[c] = note
        method = "sorted groups" if len(cols) == 1 else "MDAV on standardised values"
        description = (
            f"microaggregation of {', '.join(cols)} with k={params.k} ({method}): "
            f"{len(rows)} record(s) in {n_groups} group(s)"
        )
        if 0 < len(rows) < params.k:
            description += f"; fewer than k={params.k} numeric records, one group"
        return TransformResult(out, description, changed, 0, notes)
