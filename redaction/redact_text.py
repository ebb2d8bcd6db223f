"""``redact_text``: replace entities found in free text with ``<ENTITY>`` placeholders."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from triage.errors import PluginExecutionError
from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    series_like,
)

#: Words in name columns that identify nobody (titles, particles).
_NOT_NAMES = frozenset(
    {
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Mx",
        "Dr",
        "Prof",
        "Sir",
        "Dame",
        "Rev",
        "Lord",
        "Lady",
        "Jr",
        "Sr",
        "Van",
        "Von",
        "De",
        "Del",
        "Der",
        "Le",
        "La",
        "Da",
        "Di",
        "Du",
        "St",
    }
)
_TOKEN = re.compile(r"[A-Z][A-Za-z'’]+")


def name_terms(values: pd.Series) -> frozenset[str]:
    """Capitalised words of a name column (e.g. forenames and surnames), minus titles.

    >>> sorted(name_terms(pd.Series(["Mrs Ann O'Neil-Smith", None, "bob"])))
    ['Ann', "O'Neil", 'Smith']
    """
    terms: set[str] = set()
    for value in pd.unique(values.dropna()):
        terms.update(t for t in _TOKEN.findall(str(value)) if t not in _NOT_NAMES)
    return frozenset(terms)


def deny_pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    """One word-bounded pattern matching any of ``terms`` (longest first), or None."""
    if not terms:
        return None
    alternation = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return re.compile(rf"(?<![\w'’])(?:{alternation})(?!\w)")


class RedactTextParams(TransformParams):
    """No parameters."""


class RedactText(Transform[RedactTextParams]):
    """Run the text redactor (Presidio) over each distinct non-missing value of the columns,
    then redact the dataset's own known names (``TransformContext.deny_terms``) wherever NER
    missed them."""

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
        deny = deny_pattern(tctx.deny_terms)
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
            if deny is not None:
                redacted = [deny.sub("<PERSON>", t) for t in redacted]
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
