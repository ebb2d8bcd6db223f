"""``redact_individuals``: replace the cells that name an individual in a column of
organisations (a sole trader among a council's suppliers, an artist among grant recipients)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from triage.classifiers.names import is_individual
from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    series_like,
)


class RedactIndividualsParams(TransformParams):
    """``token``: the text that replaces an individual's name."""

    token: str = "[individual]"


class RedactIndividuals(Transform[RedactIndividualsParams]):
    """Replace each cell that ``names.is_individual`` reads as one person's full name with
    ``token``; organisations' names and missing cells are kept. The same test finds them in
    the column check, so the re-check of the treated column finds none left."""

    id = "redact_individuals"
    Params = RedactIndividualsParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: RedactIndividualsParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with individuals' names replaced in ``columns``."""
        out = frame.copy()
        changed = 0
        notes: dict[str, str] = {}
        for col in dict.fromkeys(columns):
            series = frame[col]
            values = series.to_numpy(dtype=object).copy()
            # judged once per distinct value: a supplier column repeats its names
            verdict = {v: is_individual(v) for v in pd.unique(values) if isinstance(v, str)}
            hit = np.array(
                [verdict.get(v, False) if isinstance(v, str) else False for v in values], dtype=bool
            )
            values[hit] = params.token
            values[pd.isna(series).to_numpy(dtype=bool)] = None
            out[col] = series_like(values, series)
            changed += int(hit.sum())
            notes[col] = f"{int(hit.sum())} individuals' names replaced by {params.token}"
        return TransformResult(
            frame=out,
            description=f"replaced individuals' names in {len(notes)} column(s): "
            + ", ".join(notes),
            cells_changed=changed,
            column_notes=notes,
        )
