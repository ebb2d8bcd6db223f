"""UK bank sort codes.

Six digits are ambiguous (numbers, dates ``01-02-21`` aside), so:

* :class:`SortCodeDetector` needs the separated form ``12-34-56`` / ``12 34 56``;
* :class:`BareSortCodeDetector` accepts ``123456`` only with a header hint
  (``requires_header``).
"""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector, all_same_digit
from triage.vocab import Entity

_HINTS = (r"sort_?code", r"(^|_)sc(_|$)", r"bank_?sort", r"(^|_)sortcode")
_NEGATIVES = (r"(?<!ac)count(?!r?y)", r"total", r"date")
#: single words too: Presidio's own context enhancer compares one token at a time
_CONTEXT = ("sort code", "sort-code", "sort", "bank", "account", "sortcode")


class SortCodeDetector(BaseDetector):
    """Separated sort code ``12-34-56`` or ``12 34 56``."""

    id: ClassVar[str] = "sort_code"
    entity: ClassVar[Entity] = Entity.UK_SORT_CODE
    pattern: ClassVar[str] = r"\d{2}-\d{2}-\d{2}|\d{2} \d{2} \d{2}"
    header_hints: ClassVar[tuple[str, ...]] = _HINTS
    header_negatives: ClassVar[tuple[str, ...]] = _NEGATIVES
    text_score: ClassVar[float] = 0.4
    # in prose the spaced form scores lower and must not sit inside a NINO ("AB 12 34 56 C")
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        ("sort_code", r"(?<![\w.@/+-])[0-9]{2}-[0-9]{2}-[0-9]{2}(?![\w@/+]|[.-]\w)", 0.4),
        (
            "sort_code_spaced",
            r"(?<![\w.@/+-]|\b[A-Z]{2} )[0-9]{2} [0-9]{2} [0-9]{2}(?![\w@/+]|[.-]\w| [A-Za-z]\b)",
            0.2,
        ),
    )
    context: ClassVar[tuple[str, ...]] = _CONTEXT

    def normalise(self, value: str) -> str:
        """Digits only."""
        return value.replace("-", "").replace(" ", "")

    def validate(self, value: str) -> bool:
        """Not ``00-00-00`` or another repeated digit."""
        return not all_same_digit(value)


class BareSortCodeDetector(SortCodeDetector):
    """Unseparated ``123456``; only with a sort-code header."""

    id: ClassVar[str] = "sort_code_bare"
    requires_header: ClassVar[bool] = True
    pattern: ClassVar[str] = r"\d{6}"
    text_score: ClassVar[float] = 0.1
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = ()
