"""The Detector plug-in interface: one structured identifier (pattern plus validator).

A detector judges a column from a sample of its distinct values: ``match`` returns a boolean
array telling which values are valid instances of the entity. The same pattern and validator
also back a Presidio ``PatternRecognizer`` (see ``classifiers.presidio_bridge``), so one
detector serves tabular columns and free text alike.
"""

from __future__ import annotations

import re
from abc import ABC
from typing import ClassVar

import numpy as np
import pandas as pd

from triage.vocab import Entity


class Detector(ABC):
    """Base class of structured-identifier detectors.

    Subclasses set ``id``, ``entity``, ``pattern`` (a regex matched against the *whole*
    stripped value in columns and as a word-bounded search in text) and may override
    ``validate`` with a checksum or library check, and ``normalise`` to canonicalise a value
    before validation (strip spaces, upper-case...).
    """

    id: ClassVar[str]
    version: ClassVar[str] = "1"
    entity: ClassVar[Entity]
    pattern: ClassVar[str]
    #: regex (search, on the normalised header: lower case, non-alphanumerics as "_")
    header_hints: ClassVar[tuple[str, ...]] = ()
    #: header words that mean the column is NOT this entity even if values match
    header_negatives: ClassVar[tuple[str, ...]] = ()
    #: share of sampled distinct values that must validate for a column-level match
    min_share: ClassVar[float] = 0.6
    #: Presidio score for text matches that validate
    text_score: ClassVar[float] = 0.85
    #: words near a text match that raise confidence (Presidio context)
    context: ClassVar[tuple[str, ...]] = ()

    _compiled: ClassVar[re.Pattern[str] | None] = None

    @classmethod
    def regex(cls) -> re.Pattern[str]:
        """The compiled full-value pattern."""
        if cls.__dict__.get("_compiled") is None:
            cls._compiled = re.compile(cls.pattern)
        assert cls._compiled is not None
        return cls._compiled

    def normalise(self, value: str) -> str:
        """Canonical form of one candidate value before ``validate`` (default: unchanged)."""
        return value

    def validate(self, value: str) -> bool:
        """True when a pattern match is a real instance (checksum etc.). Default: True."""
        return True

    def match(self, values: pd.Series) -> np.ndarray:
        """Boolean array: which of ``values`` (stripped strings) are valid instances.

        Vectorised: the pattern runs over the whole series; ``validate`` runs only on the
        values the pattern accepted.
        """
        strings = values.astype("string").str.strip()
        hits = strings.str.fullmatch(self.pattern).fillna(False).to_numpy(dtype=bool)
        if not hits.any():
            return hits
        idx = np.flatnonzero(hits)
        candidates = strings.to_numpy(dtype=object)[idx]
        ok = np.fromiter(
            (self.validate(self.normalise(str(v))) for v in candidates), dtype=bool, count=len(idx)
        )
        hits[idx] = ok
        return hits
