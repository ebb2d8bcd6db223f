"""DVLA (Great Britain) driving licence number: 16 characters encoding surname and birth date."""

from __future__ import annotations

import calendar
import re
from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

_SURNAME = re.compile(r"[A-Z]+9*")
_INITIALS = re.compile(r"[A-Z][A-Z9]")


def _valid_day(year_digits: int, month: int, day: int) -> bool:
    """True when ``day`` exists in ``month`` of 19yy or 20yy."""
    if not 1 <= month <= 12 or day < 1:
        return False
    return any(day <= calendar.monthrange(c + year_digits, month)[1] for c in (1900, 2000))


class DrivingLicenceDetector(BaseDetector):
    """``MORGA753116SM9IJ``: surname (5, padded with 9), ``DMMDDY`` birth date, initials, digit,
    two check letters. Spaces between the blocks are accepted.

    The birth date is decade digit, month (plus 50 for women), day, year digit; the date must
    exist (29 February only in a possible leap year).
    """

    id: ClassVar[str] = "driving_licence"
    entity: ClassVar[Entity] = Entity.UK_DRIVING_LICENCE
    pattern: ClassVar[str] = r"(?i:[A-Z9]{5} ?[0-9]{6} ?[A-Z9]{2}[0-9][A-Z]{2})"
    header_hints: ClassVar[tuple[str, ...]] = (
        r"driv",
        r"licen[cs]e",
        r"dvla",
        r"(^|_)dl_?(no|num)",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"total",
        r"expir",
        r"categor",
    )
    text_score: ClassVar[float] = 0.85
    context: ClassVar[tuple[str, ...]] = (
        "driving licence",
        "driving license",
        "dvla",
        "licence number",
        "driver",
    )

    def normalise(self, value: str) -> str:
        """Upper case, no spaces."""
        return value.replace(" ", "").upper()

    def validate(self, value: str) -> bool:
        """Surname letters then 9-padding, a real birth date, a leading initial letter."""
        if len(value) != 16 or not _SURNAME.fullmatch(value[:5]):
            return False
        if not _INITIALS.fullmatch(value[11:13]):
            return False
        month = int(value[6:8])
        if month > 50:
            month -= 50
        day = int(value[8:10])
        year_digits = int(value[5]) * 10 + int(value[10])
        return _valid_day(year_digits, month, day)
