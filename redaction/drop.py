"""``drop``: remove whole columns."""

from __future__ import annotations

import pandas as pd

from triage.redaction.base import Transform, TransformContext, TransformParams, TransformResult


class DropParams(TransformParams):
    """No parameters."""


class Drop(Transform[DropParams]):
    """Remove the given columns from the frame."""

    id = "drop"
    Params = DropParams

    def apply(
        self, frame: pd.DataFrame, columns: list[str], params: DropParams, tctx: TransformContext
    ) -> TransformResult:
        """A copy of ``frame`` without ``columns``."""
        cols = [c for c in dict.fromkeys(columns) if c in frame.columns]
        out = frame.drop(columns=cols)
        return TransformResult(
            frame=out,
            description=f"dropped {len(cols)} column(s): {', '.join(cols)}" if cols else "no-op",
            cells_changed=len(frame) * len(cols),
            column_notes={c: "dropped" for c in cols},
        )
