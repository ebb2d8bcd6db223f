"""``anonymise_k``: greedy generalisation plus suppression to reach k-anonymity.

A greedy heuristic (not optimal; an ARX Flash-style optimal lattice search is planned):

1. Start with every QI at level 0 (original values).
2. While the share of records in classes smaller than k exceeds ``max_suppression``:
   for each QI that can still be raised, count the records below k after raising it one
   level; raise the QI that removes most records-below-k per unit of information loss
   (one level of a hierarchy of height h costs 1/h), ties broken by column order.
3. Remove the records still in classes smaller than k.

The result is k-anonymous over the QIs (or empty). If even full generalisation leaves more
than ``max_suppression`` of the records below k, they are still removed and the description
says the budget was exceeded. Work is on integer codes; each (column, level) code array is
computed once.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from pydantic import Field
from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    changed_cells,
)
from triage.redaction.hierarchies import SUPPRESSED, Hierarchy, hierarchy_for

from triage.metrics import combine_codes, sizes_from_ids

logger = logging.getLogger(__name__)


class AnonymiseKParams(TransformParams):
    """``k``: target class size; ``max_suppression``: share of records that may be removed."""

    k: int = Field(default=5, ge=1)
    max_suppression: float = Field(default=0.05, ge=0.0, le=1.0)


class _Column:
    """Factorised column with cached generalised codes per level."""

    def __init__(self, series: pd.Series, hierarchy: Hierarchy) -> None:
        self.series = series
        self.hierarchy = hierarchy
        codes, uniques = pd.factorize(series)
        self.codes = np.asarray(codes, dtype=np.int64)
        self.uniques = np.asarray(uniques, dtype=object)
        self._cache: dict[int, tuple[np.ndarray, int, np.ndarray]] = {}

    def level(self, level: int) -> tuple[np.ndarray, int, np.ndarray]:
        """(codes per record, number of codes, label per code; None label = missing)."""
        if level not in self._cache:
            labels = self.hierarchy.map_uniques(self.uniques, level)
            missing_label: object = SUPPRESSED if level == self.hierarchy.top else None
            labels = np.append(labels, np.array([missing_label], dtype=object))
            label_codes, label_uniques = pd.factorize(pd.Series(labels, dtype=object))
            label_codes = np.asarray(label_codes, dtype=np.int64)
            n_labels = len(label_uniques)
            label_codes = np.where(label_codes < 0, n_labels, label_codes)  # missing: own code
            table = np.array([*np.asarray(label_uniques, dtype=object), None], dtype=object)
            idx = np.where(self.codes < 0, len(labels) - 1, self.codes)
            self._cache[level] = (label_codes[idx], n_labels + 1, table)
        return self._cache[level]

    def values(self, level: int) -> pd.Series:
        codes, _, table = self.level(level)
        return pd.Series(table[codes], index=self.series.index, name=self.series.name, dtype=object)


class AnonymiseK(Transform[AnonymiseKParams]):
    """Reach k-anonymity over the columns by greedy generalisation, then suppression."""

    id = "anonymise_k"
    Params = AnonymiseKParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: AnonymiseKParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A k-anonymous copy of ``frame`` (generalised QIs, small classes removed)."""
        qis = list(dict.fromkeys(columns))
        n = len(frame)
        if not qis or n == 0:
            return TransformResult(frame.copy(), "no-op", 0)
        k = params.k
        cols = [_Column(frame[q], hierarchy_for(tctx.qi_kinds.get(q))) for q in qis]
        levels = [0] * len(qis)
        budget = params.max_suppression * n

        def below(lv: list[int]) -> tuple[int, np.ndarray]:
            parts = [c.level(x)[:2] for c, x in zip(cols, lv, strict=True)]
            ids, n_classes = combine_codes(parts, n)
            mask = sizes_from_ids(ids, n_classes) < k
            return int(mask.sum()), mask

        current, mask = below(levels)
        while current > budget:
            best: tuple[float, int, int] | None = None
            best_i = -1
            best_mask = mask
            for i, col in enumerate(cols):
                if levels[i] >= col.hierarchy.top:
                    continue
                trial = list(levels)
                trial[i] += 1
                count, trial_mask = below(trial)
                cost = 1.0 / col.hierarchy.top
                key = (-(current - count) / cost, count, i)
                if best is None or key < best:
                    best, best_i, best_mask = key, i, trial_mask
            if best is None:
                break
            levels[best_i] += 1
            current, mask = best[1], best_mask
            logger.debug("anonymise_k: raised %s to level %d", qis[best_i], levels[best_i])

        keep = ~mask
        out = frame.copy()
        notes: dict[str, str] = {}
        changed = 0
        for q, col, lv in zip(qis, cols, levels, strict=True):
            if lv == 0:
                continue
            new = col.values(lv)
            changed += changed_cells(frame[q][keep], new[keep])
            out[q] = new
            notes[q] = f"generalised to {col.hierarchy.level_names[lv]}"
        removed = int(mask.sum())
        out = out.loc[keep].copy()
        chosen = ", ".join(
            f"{q}: level {lv} ({c.hierarchy.level_names[lv]})"
            for q, c, lv in zip(qis, cols, levels, strict=True)
        )
        description = (
            f"k-anonymity {k} by greedy generalisation ({chosen}); "
            f"removed {removed} record(s) in classes below {k}"
        )
        if removed > budget:
            description += (
                f"; over the suppression budget of {params.max_suppression:.1%} even with "
                "full generalisation"
            )
            for q in qis:
                notes.setdefault(q, "unchanged")
                notes[q] += "; suppression budget exceeded"
        return TransformResult(out, description, changed, removed, notes)
