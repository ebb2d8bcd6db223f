"""UK vehicle registration marks (DVLA).

Two detectors share the entity:

* :class:`VehicleRegistrationDetector`: the current (2001+) format ``AB12 CDE``; the age
  identifier is validated (``02``-``30`` for March, ``51``-``80`` for September registrations,
  i.e. up to 2030), and the first "memory tag" letter must be a DVLA region letter.
* :class:`LegacyVehicleRegistrationDetector`: prefix (``A123 BCD``) and suffix (``ABC 123D``)
  formats, which resemble product and reference codes (``SKU 123A``), so they require a
  header hint (``requires_header``).
"""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

_HINTS = (
    r"(^|_)reg(_|$)",
    r"registration",
    r"vrm",
    r"vrn",
    r"number_?plate",
    r"licen[cs]e_?plate",
    r"vehicle",
    r"plate",
)
_NEGATIVES = (r"(?<!ac)count(?!r?y)", r"total", r"date", r"year", r"company", r"charity")
_CONTEXT = ("vehicle", "registration", "number plate", "licence plate", "reg", "vrm", "car")

#: September registrations run 51..80 and March 02..30 (to 2030).
_MARCH = range(2, 31)
_SEPTEMBER = range(51, 81)


class VehicleRegistrationDetector(BaseDetector):
    """Current-format registration: two area letters, age identifier, three random letters."""

    id: ClassVar[str] = "vehicle_registration"
    entity: ClassVar[Entity] = Entity.UK_VEHICLE_REGISTRATION
    # memory tag: region letter (not I J Q T U X Z) + letter (not I Q Z); random: not I Q
    pattern: ClassVar[str] = r"(?i:[A-HK-PR-SVWY][A-HJ-PR-Y][0-9]{2} ?[A-HJ-PR-Z]{3})"
    header_hints: ClassVar[tuple[str, ...]] = _HINTS
    header_negatives: ClassVar[tuple[str, ...]] = _NEGATIVES
    text_score: ClassVar[float] = 0.6
    context: ClassVar[tuple[str, ...]] = _CONTEXT

    def normalise(self, value: str) -> str:
        """Upper case, no space."""
        return value.replace(" ", "").upper()

    def validate(self, value: str) -> bool:
        """Age identifier in a range DVLA has issued (or will by 2030)."""
        age = int(value[2:4])
        return age in _MARCH or age in _SEPTEMBER


class LegacyVehicleRegistrationDetector(BaseDetector):
    """Prefix (1983-2001) and suffix (1963-1983) registrations; header hint required."""

    id: ClassVar[str] = "vehicle_registration_legacy"
    entity: ClassVar[Entity] = Entity.UK_VEHICLE_REGISTRATION
    requires_header: ClassVar[bool] = True
    # year letter: not I O Q U Z; serial 1-999 without leading zero
    pattern: ClassVar[str] = (
        r"(?i:[A-HJ-NPR-TV-Y][1-9][0-9]{0,2} ?[A-HJ-PR-Y][A-HJ-PR-Z]{2}"
        r"|[A-HJ-PR-Z]{3} ?[1-9][0-9]{0,2}[A-HJ-NPR-TV-Y])"
    )
    header_hints: ClassVar[tuple[str, ...]] = _HINTS
    header_negatives: ClassVar[tuple[str, ...]] = _NEGATIVES
    text_score: ClassVar[float] = 0.2
    context: ClassVar[tuple[str, ...]] = _CONTEXT
    min_share: ClassVar[float] = 0.8

    def normalise(self, value: str) -> str:
        """Upper case, no space."""
        return value.replace(" ", "").upper()
