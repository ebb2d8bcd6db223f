"""Structured-identifier detectors: one module per entity, registered in ``classifiers.registry``.

Every detector derives from :class:`BaseDetector`, which adds two class attributes to the
lead-owned :class:`triage.classifiers.base.Detector`:

``requires_header``
    True for detectors whose values are ambiguous on their own (all-digit identifiers such as
    UPRNs, 9-digit passport numbers or bare 6-digit sort codes). A column classifier must only
    count such a detector when one of its ``header_hints`` matches the column header.
``text_patterns``
    Optional ``(name, regex, score)`` triples used by the Presidio bridge to search free text,
    when the full-value ``pattern`` (wrapped in word boundaries) does not suit search or one
    entity needs several scores. Empty means: one pattern, ``search_pattern()`` at ``text_score``.

Full-value patterns must stay RE2-compatible (no look-arounds or back-references), because
pandas may run them through pyarrow; text patterns run in Presidio's ``regex`` engine.
"""

from __future__ import annotations

import re
from typing import ClassVar

from triage.classifiers.base import Detector

__all__ = ["BaseDetector", "all_same_digit"]


class BaseDetector(Detector):
    """Detector with a header requirement flag and optional text-search patterns."""

    #: True when values only count as this entity with a matching header hint.
    requires_header: ClassVar[bool] = False
    #: ``(name, regex, score)`` for searching prose; empty: derived from ``pattern``.
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = ()

    @classmethod
    def search_pattern(cls) -> str:
        """``pattern`` bounded so that it only matches whole tokens inside prose."""
        return rf"(?<![\w.@/+-])(?:{cls.pattern})(?![\w@/+]|[.-]\w)"

    @classmethod
    def search_patterns(cls) -> tuple[tuple[str, str, float], ...]:
        """The ``(name, regex, score)`` triples the Presidio bridge searches text with."""
        if cls.text_patterns:
            return cls.text_patterns
        return ((cls.id, cls.search_pattern(), cls.text_score),)

    def header_matches(self, header: str) -> bool:
        """True when a header hint (and no header negative) matches ``header``.

        ``header`` is normalised here (lower case, non-alphanumerics as ``_``), so raw column
        names can be passed.
        """
        norm = normalise_header(header)
        if any(re.search(neg, norm) for neg in self.header_negatives):
            return False
        return any(re.search(hint, norm) for hint in self.header_hints)


def normalise_header(header: str) -> str:
    """Lower-case ``header`` and replace runs of non-alphanumerics with ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


def all_same_digit(digits: str) -> bool:
    """True when ``digits`` is one repeated character (``"0000000000"``)."""
    return len(set(digits)) <= 1
