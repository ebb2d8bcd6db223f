"""Suppression: ``suppress_records`` removes small-class records, ``local_suppress`` blanks
QI cells with ``"*"``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from triage.redaction.base import Transform, TransformContext, TransformParams, TransformResult
from triage.redaction.hierarchies import SUPPRESSED
from triage.risk.classes import class_sizes, column_codes, combine_codes, sizes_from_ids


class SuppressParams(TransformParams):
    """``k``: smallest allowed equivalence-class size over the given QI columns."""

    k: int = Field(default=5, ge=1)


class SuppressRecords(Transform[SuppressParams]):
    """Remove every record whose equivalence class over the columns has fewer than k records.

    Missing values count as a value of their own (as in :mod:`triage.risk.classes`).
    """

    id = "suppress_records"
    Params = SuppressParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: SuppressParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` without the records in classes smaller than ``k``."""
        qis = list(dict.fromkeys(columns))
        if not qis or len(frame) == 0:
            return TransformResult(frame.copy(), "no-op", 0)
        keep = class_sizes(frame, qis) >= params.k
        removed = int((~keep).sum())
        return TransformResult(
            frame=frame.loc[keep].copy(),
            description=f"removed {removed} record(s) in classes smaller than {params.k} "
            f"over {', '.join(qis)}",
            cells_changed=0,
            rows_removed=removed,
        )


class LocalSuppress(Transform[SuppressParams]):
    """Set QI cells to ``"*"`` in records whose class is smaller than k.

    Greedy heuristic: QIs are ordered by their number of distinct values (most first, ties by
    column order). Each round, every record still in a class smaller than k has its next
    not-yet-suppressed QI in that order set to ``"*"``; classes are then recomputed. Records
    whose QIs are all ``"*"`` and still number fewer than k remain below k: the description
    says so (follow with ``suppress_records`` to remove them). ``"*"`` is an ordinary value
    for the metrics (not a wildcard).
    """

    id = "local_suppress"
    Params = SuppressParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: SuppressParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the fewest greedy-chosen QI cells set to ``"*"``."""
        qis = list(dict.fromkeys(columns))
        n = len(frame)
        if not qis or n == 0:
            return TransformResult(frame.copy(), "no-op", 0)
        codes = [column_codes(frame[q]) for q in qis]
        # code reserved for "*" in each column: the existing code of "*" if present, else new
        star_codes: list[int] = []
        parts: list[tuple[np.ndarray, int]] = []
        for q, (c, m) in zip(qis, codes, strict=True):
            hit = np.flatnonzero(frame[q].to_numpy(dtype=object) == SUPPRESSED)
            star = int(c[hit[0]]) if len(hit) else m
            star_codes.append(star)
            parts.append((c.copy(), m + 1))
        order = sorted(range(len(qis)), key=lambda i: (-codes[i][1], i))
        suppressed = np.zeros((n, len(qis)), dtype=bool)
        step = np.zeros(n, dtype=np.int64)  # position in `order` of the next QI to suppress
        for _ in range(len(qis)):
            ids, n_classes = combine_codes(parts, n)
            below = sizes_from_ids(ids, n_classes) < params.k
            todo = below & (step < len(qis))
            if not todo.any():
                break
            for pos, col_index in enumerate(order):
                rows = todo & (step == pos)
                if rows.any():
                    parts[col_index][0][rows] = star_codes[col_index]
                    suppressed[rows, col_index] = True
            step[todo] += 1
        ids, n_classes = combine_codes(parts, n)
        still_below = int((sizes_from_ids(ids, n_classes) < params.k).sum())
        out = frame.copy()
        notes: dict[str, str] = {}
        changed = 0
        for i, q in enumerate(qis):
            rows = suppressed[:, i] & (frame[q].to_numpy(dtype=object) != SUPPRESSED)
            count = int(rows.sum())
            if count:
                values = frame[q].to_numpy(dtype=object).copy()
                values[rows] = SUPPRESSED
                out[q] = pd.Series(values, index=frame.index, name=q, dtype=object)
                notes[q] = f"{count} cell(s) suppressed"
                changed += count
        description = f"suppressed {changed} QI cell(s) to reach k={params.k}"
        if still_below:
            description += f"; {still_below} record(s) remain in classes below k"
        return TransformResult(out, description, changed, 0, notes)
