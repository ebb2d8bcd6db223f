"""NHS number (England, Wales, Isle of Man): 10 digits, modulus-11 check digit."""

from __future__ import annotations

from typing import ClassVar

from stdnum.gb import nhs as stdnum_nhs

from triage.classifiers.detectors import BaseDetector, all_same_digit
from triage.vocab import Entity


class NhsDetector(BaseDetector):
    """NHS number: ``943 476 5919``, ``943-476-5919`` or ``9434765919``.

    Validation: python-stdnum's modulus-11 check (a check digit of 10 is impossible, so such
    numbers fail) plus rejection of one-digit repeats like ``4444444444``, which pass mod 11.
    """

    id: ClassVar[str] = "nhs"
    entity: ClassVar[Entity] = Entity.UK_NHS
    pattern: ClassVar[str] = r"\d{3}[- ]?\d{3}[- ]?\d{4}"
    header_hints: ClassVar[tuple[str, ...]] = (r"nhs", r"chi_?n(o|um)", r"patient_?n(o|um)")
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"total",
        r"trust",
        r"region",
    )
    context: ClassVar[tuple[str, ...]] = ("nhs", "nhs number", "national health service")

    def normalise(self, value: str) -> str:
        """Digits only."""
        return value.replace(" ", "").replace("-", "")

    def validate(self, value: str) -> bool:
        """Modulus 11 and not a repeated digit."""
        return len(value) == 10 and not all_same_digit(value) and bool(stdnum_nhs.is_valid(value))
