"""UK National Insurance number (NINO)."""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

#: two-letter prefixes never issued (HMRC)
INVALID_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


class NinoDetector(BaseDetector):
    """National Insurance number: ``QQ 12 34 56 C`` with or without spaces.

    First letter not D, F, I, Q, U, V; second letter not D, F, I, O, Q, U, V; prefixes BG, GB,
    KN, NK, NT, TN and ZZ are never issued; suffix A-D. Case-insensitive.
    """

    id: ClassVar[str] = "nino"
    entity: ClassVar[Entity] = Entity.UK_NINO
    pattern: ClassVar[str] = r"(?i:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])"
    header_hints: ClassVar[tuple[str, ...]] = (
        r"nino",
        r"national_?insurance",
        r"(^|_)ni_?(no|num|number)(_|$)",
        r"(^|_)ni$",
    )
    context: ClassVar[tuple[str, ...]] = ("national insurance", "ni number", "nino", "nin")

    def normalise(self, value: str) -> str:
        """Upper case, no spaces."""
        return value.replace(" ", "").upper()

    def validate(self, value: str) -> bool:
        """Reject the never-issued prefixes."""
        return value[:2] not in INVALID_PREFIXES
