"""Payment card numbers (PAN): Luhn check plus known issuer prefixes and lengths."""

from __future__ import annotations

from typing import ClassVar

from stdnum import luhn

from triage.classifiers.detectors import BaseDetector, all_same_digit
from triage.vocab import Entity

# (first digits range low, high (inclusive, compared on a prefix of the same length), lengths)
_IIN: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (300, 305, frozenset({14, 16, 17, 18, 19})),  # Diners Club
    (36, 36, frozenset({14, 16, 17, 18, 19})),
    (38, 39, frozenset({16, 17, 18, 19})),
    (6011, 6011, frozenset({16, 17, 18, 19})),  # Discover
    (644, 649, frozenset({16, 17, 18, 19})),
    (65, 65, frozenset({16, 17, 18, 19})),
    (3528, 3589, frozenset({16, 17, 18, 19})),  # JCB
    (62, 62, frozenset({16, 17, 18, 19})),  # UnionPay
    (50, 50, frozenset({13, 14, 15, 16, 17, 18, 19})),  # Maestro
    (56, 58, frozenset({13, 14, 15, 16, 17, 18, 19})),
    (67, 67, frozenset({13, 14, 15, 16, 17, 18, 19})),
)


def known_iin(digits: str) -> bool:
    """True when ``digits`` starts with a known issuer prefix and has that issuer's length."""
    for low, high, lengths in _IIN:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


class CreditCardDetector(BaseDetector):
    """``4111 1111 1111 1111``, ``5500-0000-0000-0004``, ``378282246310005``."""

    id: ClassVar[str] = "credit_card"
    entity: ClassVar[Entity] = Entity.CREDIT_CARD
    pattern: ClassVar[str] = r"[0-9](?:[ -]?[0-9]){12,18}"
    header_hints: ClassVar[tuple[str, ...]] = (r"card", r"(^|_)pan(_|$)", r"(^|_)cc_?n")
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"total",
        r"type",
        r"expir",
    )
    text_score: ClassVar[float] = 0.85
    context: ClassVar[tuple[str, ...]] = ("card", "credit", "debit", "visa", "mastercard", "amex")

    def normalise(self, value: str) -> str:
        """Digits only."""
        return value.replace(" ", "").replace("-", "")

    def validate(self, value: str) -> bool:
        """Luhn, known issuer prefix and length, not one repeated digit."""
        return (
            13 <= len(value) <= 19
            and not all_same_digit(value)
            and known_iin(value)
            and bool(luhn.is_valid(value))
        )
