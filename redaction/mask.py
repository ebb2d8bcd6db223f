"""``mask``: replace every non-missing cell with a fixed token."""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    series_like,
)


class MaskParams(TransformParams):
    """``token``: the replacement text."""

    token: str = "[REDACTED]"


class Mask(Transform[MaskParams]):
    """Replace every non-missing cell of the columns with ``token``; missing stays missing."""

    id = "mask"
    Params = MaskParams

    def apply(
        self, frame: pd.DataFrame, columns: list[str], params: MaskParams, tctx: TransformContext
    ) -> TransformResult:
        """A copy of ``frame`` with the columns masked."""
        out = frame.copy()
        changed = 0
        notes: dict[str, str] = {}
        for col in dict.fromkeys(columns):
            series = frame[col]
            present = series.notna().to_numpy(dtype=bool)
            values = np.full(len(series), None, dtype=object)
            values[present] = params.token
            new = series_like(values, series)
            changed += int((present & (series.to_numpy(dtype=object) != params.token)).sum())
            out[col] = new
            notes[col] = f"masked as {params.token}"
        return TransformResult(
            frame=out,
            description=f"masked {len(notes)} column(s): {', '.join(notes)}",
            cells_changed=changed,
            column_notes=notes,
        )
