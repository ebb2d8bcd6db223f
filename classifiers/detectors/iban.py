"""International Bank Account Numbers, validated with python-stdnum (mod 97 and country format)."""

from __future__ import annotations

from typing import ClassVar

from stdnum import iban as stdnum_iban

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity


class IbanDetector(BaseDetector):
    """``GB82 WEST 1234 5698 7654 32`` (spaces optional, case-insensitive)."""

    id: ClassVar[str] = "iban"
    entity: ClassVar[Entity] = Entity.IBAN_CODE
    pattern: ClassVar[str] = r"(?i:[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30})"
    header_hints: ClassVar[tuple[str, ...]] = (r"iban", r"bank_?acc", r"account")
    header_negatives: ClassVar[tuple[str, ...]] = (r"(?<!ac)count(?!r?y)", r"total")
    text_score: ClassVar[float] = 0.85
    # prose: upper case, spaces only between blocks of four (so trailing words are not eaten)
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        (
            "iban",
            r"(?<![\w.-])[A-Z]{2}[0-9]{2}"
            r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)(?![\w]|[.-]\w)",
            0.85,
        ),
    )
    context: ClassVar[tuple[str, ...]] = ("iban", "bank", "account", "transfer")

    def normalise(self, value: str) -> str:
        """Upper case, no spaces."""
        return value.replace(" ", "").upper()

    def validate(self, value: str) -> bool:
        """ISO 13616 mod-97 check digits and the country's BBAN length and format.

        National BBAN check digits (``check_country``) are not verified: python-stdnum rejects
        some published example IBANs (Belgium) on them.
        """
        return bool(stdnum_iban.is_valid(value, check_country=False))
