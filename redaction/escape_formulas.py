"""``escape_formulas``: cells a spreadsheet would run as formulas get a leading ``'``."""

from __future__ import annotations

import pandas as pd

from triage.formulas import escape_series
from triage.redaction.base import Transform, TransformContext, TransformParams, TransformResult


class EscapeFormulasParams(TransformParams):
    """No parameters."""


class EscapeFormulas(Transform[EscapeFormulasParams]):
    """Escape every cell starting with ``= + - @`` TAB or CR that is not a plain number."""

    id = "escape_formulas"
    Params = EscapeFormulasParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: EscapeFormulasParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the formula cells of ``columns`` escaped."""
        out = frame.copy()
        notes: dict[str, str] = {}
        changed = 0
        for col in dict.fromkeys(columns):
            escaped, n = escape_series(frame[col])
            if n:
                out[col] = escaped
                notes[col] = f"{n} formula cell(s) escaped with a leading '"
                changed += n
        return TransformResult(
            frame=out,
            description=f"escaped {changed} formula cell(s) in {len(notes)} column(s)",
            cells_changed=changed,
            column_notes=notes,
        )
