"""``generalise``: recode QI columns with their hierarchy (age bands, postcode sectors...)."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    changed_cells,
)
from triage.redaction.hierarchies import hierarchy_for

#: level used when neither ``level`` nor ``levels`` says otherwise
DEFAULT_LEVELS: dict[str, int] = {
    "age": 2,  # 10-year bands
    "postcode": 2,  # district
    "event_date": 1,  # month
    "date_of_birth": 1,  # year
    "ethnicity": 1,  # ONS 5 groups
}


class GeneraliseParams(TransformParams):
    """``level`` for every column (None: per-kind default, else 1); ``levels`` per column or
    QI kind overrides it. Levels are clamped to the hierarchy's depth."""

    level: int | None = Field(default=None, ge=0)
    levels: dict[str, int] = Field(default_factory=dict)


def level_for(column: str, kind: str | None, params: GeneraliseParams) -> int:
    """The hierarchy level ``params`` asks for ``column`` (of QI kind ``kind``), clamped.

    >>> level_for("dob", "date_of_birth", GeneraliseParams())
    1
    >>> level_for("age", "age", GeneraliseParams(levels={"age": 9}))
    4
    """
    level = params.levels.get(column)
    if level is None and kind is not None:
        level = params.levels.get(kind)
    if level is None:
        level = params.level
    if level is None:
        level = DEFAULT_LEVELS.get(kind or "", 1)
    return max(0, min(level, hierarchy_for(kind).top))


class Generalise(Transform[GeneraliseParams]):
    """Generalise each column with the hierarchy of its QI kind (``tctx.qi_kinds``).

    Columns without a known kind use the two-level hierarchy (original, ``"*"``).
    """

    id = "generalise"
    Params = GeneraliseParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: GeneraliseParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the columns generalised."""
        out = frame.copy()
        changed = 0
        notes: dict[str, str] = {}
        for col in dict.fromkeys(columns):
            kind = tctx.qi_kinds.get(col)
            hierarchy = hierarchy_for(kind)
            level = level_for(col, kind, params)
            new = hierarchy.generalise(frame[col], level)
            changed += changed_cells(frame[col], new)
            out[col] = new
            notes[col] = f"generalised to {hierarchy.level_names[level]}"
        return TransformResult(
            frame=out,
            description="; ".join(f"{c} {n}" for c, n in notes.items()) or "no-op",
            cells_changed=changed,
            column_notes=notes,
        )
