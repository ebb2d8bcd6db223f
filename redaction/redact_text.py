"""``redact_text``: replace entities found in free text with ``<ENTITY>`` placeholders."""

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

from triage.errors import PluginExecutionError


class RedactTextParams(TransformParams):
    """No parameters."""


class RedactText(Transform[RedactTextParams]):
    """Run the text redactor (Presidio) over each distinct non-missing value of the columns."""

    id = "redact_text"
    Params = RedactTextParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: RedactTextParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with entities in the columns replaced by placeholders."""
        if tctx.text is None:
            raise PluginExecutionError(
                "redact_text needs the text analyser (Presidio), which is not available"
            )
        limit = tctx.run.text_treatment_max_rows
        if len(frame) > limit:
            raise PluginExecutionError(
                f"redact_text: {len(frame)} rows is over the limit of {limit} rows "
                "(text_treatment_max_rows); drop or mask the free-text column instead"
            )
        out = frame.copy()
        changed = 0
        notes: dict[str, str] = {}
        for col in dict.fromkeys(columns):
            series = frame[col]
            codes, uniques = pd.factorize(series)
            texts = [str(v) for v in np.asarray(uniques, dtype=object)]
            redacted = tctx.text.redact(texts) if texts else []
            if len(redacted) != len(texts):
                raise PluginExecutionError(
                    f"redact_text: the redactor returned {len(redacted)} texts for {len(texts)}"
                )
            table = np.array([*redacted, None], dtype=object)
            values = table[np.where(codes < 0, len(table) - 1, codes)]
            new = series_like(values, series)
            changed_uniques = np.array([a != b for a, b in zip(texts, redacted, strict=True)])
            if len(texts):
                changed += int(changed_uniques[codes[codes >= 0]].sum())
            out[col] = new
            notes[col] = "entities in free text replaced by placeholders"
        return TransformResult(
            frame=out,
            description=f"redacted free text in {len(notes)} column(s): {', '.join(notes)}",
            cells_changed=changed,
            column_notes=notes,
        )
