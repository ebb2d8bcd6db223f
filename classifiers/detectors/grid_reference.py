"""British National Grid: OS grid references and easting/northing pairs."""

from __future__ import annotations

import re
from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

#: BNG extent, metres
MAX_EASTING = 700_000
MAX_NORTHING = 1_300_000

_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I
_REF = re.compile(r"([A-Z]{2}) ?([0-9]{1,10})(?: ([0-9]{1,5}))?")
_EN = r"[0-9]{5,6}(?:\.[0-9]+)?"
_EN7 = r"[0-9]{5,7}(?:\.[0-9]+)?"
_PAIR = re.compile(rf"({_EN})\s*[,;]\s*({_EN7})")
_WKT = re.compile(rf"(?i:POINT)\s*\(\s*({_EN})\s+({_EN7})\s*\)")


def square_origin(letters: str) -> tuple[int, int] | None:
    """South-west corner (in 100 km units) of an OS 100 km square, None when outside BNG."""
    try:
        first, second = (_LETTERS.index(c) for c in letters)
    except ValueError:
        return None
    east = ((first - 2) % 5) * 5 + second % 5
    north = (19 - (first // 5) * 5) - second // 5
    if 0 <= east < MAX_EASTING // 100_000 and 0 <= north < MAX_NORTHING // 100_000:
        return east, north
    return None


class GridReferenceDetector(BaseDetector):
    """``SU 3915 1623``, ``SU39151623``, ``TQ 30 80`` (2-10 digits, even count, 100 km square
    inside the grid), or ``easting, northing`` pairs / WKT ``POINT (e n)`` in metres within
    0-700000 / 0-1300000 (5+ integer digits each, to keep small number pairs out)."""

    id: ClassVar[str] = "grid_reference"
    entity: ClassVar[Entity] = Entity.UK_GRID_REFERENCE
    pattern: ClassVar[str] = (
        r"[HJNOST][A-HJ-Z] ?[0-9]{1,5}(?: ?[0-9]{1,5})?"
        rf"|{_EN} ?[,;] ?{_EN7}|(?i:POINT) ?\( ?{_EN} {_EN7} ?\)"
    )
    header_hints: ClassVar[tuple[str, ...]] = (
        r"grid_?ref",
        r"(^|_)ngr(_|$)",
        r"os_?grid",
        r"easting",
        r"northing",
        r"bng",
        r"geom",
        r"(^|_)x_?y(_|$)",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (r"(?<!ac)count(?!r?y)", r"total")
    text_score: ClassVar[float] = 0.6
    # In prose a short joined ref ("NJ19") is more often part of a vehicle registration or a
    # code: joined refs need 6+ digits (100 m precision); 4-figure joined refs ("TQ3080") score
    # low and count only after a context word ("grid ref TQ3080"); spaced refs keep 2+2.
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        (
            "grid_reference",
            r"(?<![\w.@/+-])[HJNOST][A-HJ-Z] ?[0-9]{6,10}(?![\w@/+]|[.-]\w)",
            0.6,
        ),
        (
            "grid_reference_4_figure",
            r"(?<![\w.@/+-])[HJNOST][A-HJ-Z] ?[0-9]{4}(?![\w@/+]|[.-]\w| ?[A-Z]{3}\b| [0-9])",
            0.3,
        ),
        (
            "grid_reference_spaced",
            r"(?<![\w.@/+-])[HJNOST][A-HJ-Z] [0-9]{2,5} [0-9]{2,5}(?![\w@/+]|[.-]\w| [A-Z]{3}\b)",
            0.6,
        ),
        (
            "easting_northing",
            rf"(?<![\w.@/+-])(?:{_EN} ?[,;] ?{_EN7}|(?i:POINT) ?\( ?{_EN} {_EN7} ?\))"
            r"(?![\w@/+]|[.-]\w)",
            0.6,
        ),
    )
    context: ClassVar[tuple[str, ...]] = ("grid reference", "grid ref", "easting", "northing", "os")

    def validate(self, value: str) -> bool:
        """Valid square and even digit count, or a pair inside the grid."""
        ref = _REF.fullmatch(value)
        if ref:
            letters, first, second = ref.groups()
            digits_ok = len(first) % 2 == 0 if second is None else len(first) == len(second)
            return digits_ok and square_origin(letters) is not None
        pair = _PAIR.fullmatch(value) or _WKT.fullmatch(value)
        if pair is None:
            return False
        east, north = float(pair.group(1)), float(pair.group(2))
        return 0 <= east <= MAX_EASTING and 0 <= north <= MAX_NORTHING
