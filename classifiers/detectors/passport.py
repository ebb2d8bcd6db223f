"""UK passport number: 9 digits (older books) or two letters and 7 digits (2015+)."""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector, all_same_digit
from triage.vocab import Entity


class PassportDetector(BaseDetector):
    """UK passport number; 9-digit numbers are ambiguous, so a header hint is required."""

    id: ClassVar[str] = "passport"
    entity: ClassVar[Entity] = Entity.UK_PASSPORT
    requires_header: ClassVar[bool] = True
    pattern: ClassVar[str] = r"[0-9]{9}|(?i:[A-Z]{2})[0-9]{7}"
    header_hints: ClassVar[tuple[str, ...]] = (r"passport", r"(^|_)pp_?(no|num)", r"travel_?doc")
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"total",
        r"expir",
        r"issue",
    )
    text_score: ClassVar[float] = 0.3
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        ("uk_passport_letters", r"(?<![\w.-])[A-Z]{2}[0-9]{7}(?![\w]|[.-]\d)", 0.4),
        ("uk_passport_digits", r"(?<![\w.,+-])[0-9]{9}(?![\w]|[.,-]\d)", 0.2),
    )
    context: ClassVar[tuple[str, ...]] = ("passport", "passport number", "travel document", "hmpo")

    def normalise(self, value: str) -> str:
        """Upper case."""
        return value.upper()

    def validate(self, value: str) -> bool:
        """Reject repeated-digit fillers such as ``000000000``."""
        return not all_same_digit(value[-7:])
