"""``pseudonymise``: keyed HMAC-SHA-256 pseudonyms, consistent across columns and runs."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    series_like,
)

PREFIX = "PS-"
HEX_CHARS = 16


def pseudonym(key: bytes, value: str) -> str:
    """``"PS-"`` + the first 16 hex chars of HMAC-SHA-256(key, value as UTF-8).

    >>> pseudonym(b"secret", "943 476 5919")
    'PS-a35eae9e387724a9'
    """
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]


class PseudonymiseParams(TransformParams):
    """No parameters: the key comes from the run context."""


class Pseudonymise(Transform[PseudonymiseParams]):
    """Replace values with keyed pseudonyms; missing stays missing.

    The same key and value give the same pseudonym in every column and run, so records stay
    linkable inside the recipient's data; without a key this raises ConfigError (never unkeyed).
    """

    id = "pseudonymise"
    Params = PseudonymiseParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: PseudonymiseParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the columns pseudonymised (one HMAC per distinct value)."""
        key = tctx.run.require_key()
        out = frame.copy()
        changed = 0
        notes: dict[str, str] = {}
        for col in dict.fromkeys(columns):
            series = frame[col]
            codes, uniques = pd.factorize(series)
            table = np.array(
                [pseudonym(key, str(v)) for v in np.asarray(uniques, dtype=object)] + [None],
                dtype=object,
            )
            values = table[np.where(codes < 0, len(table) - 1, codes)]
            out[col] = series_like(values, series)
            changed += int((codes >= 0).sum())
            notes[col] = "pseudonymised (keyed HMAC-SHA-256)"
        return TransformResult(
            frame=out,
            description=f"pseudonymised {len(notes)} column(s): {', '.join(notes)}",
            cells_changed=changed,
            column_notes=notes,
        )
