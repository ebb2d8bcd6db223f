"""Latitude/longitude pairs (``51.5074, -0.1278``) and WKT points (``POINT (-0.1278 51.5074)``)."""

from __future__ import annotations

import re
from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

_NUM = r"[-+]?[0-9]{1,3}\.[0-9]{3,}"
_PAIR = re.compile(rf"({_NUM})\s*[,;]\s*({_NUM})")
_WKT = re.compile(rf"(?i:POINT)\s*\(\s*({_NUM})\s+({_NUM})\s*\)")


class CoordinatesDetector(BaseDetector):
    """Decimal-degree point: ``lat, lon`` (``,`` or ``;``) or WKT ``POINT (lon lat)``.

    Each number needs at least 3 decimals (about 100 m); latitude must be within +-90,
    longitude within +-180, and ``0, 0`` ("null island") is rejected.
    """

    id: ClassVar[str] = "coordinates"
    entity: ClassVar[Entity] = Entity.COORDINATES
    pattern: ClassVar[str] = rf"{_NUM} ?[,;] ?{_NUM}|(?i:POINT) ?\( ?{_NUM} {_NUM} ?\)"
    header_hints: ClassVar[tuple[str, ...]] = (
        r"lat",
        r"lon",
        r"lng",
        r"coord",
        r"geom",
        r"wkt",
        r"location",
        r"(^|_)point(_|$)",
        r"gps",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (r"(?<!ac)count(?!r?y)", r"total", r"accuracy")
    text_score: ClassVar[float] = 0.75
    context: ClassVar[tuple[str, ...]] = ("latitude", "longitude", "coordinates", "gps", "location")

    def normalise(self, value: str) -> str:
        """``lat,lon`` in decimal degrees (WKT's ``x y`` order swapped)."""
        wkt = _WKT.fullmatch(value)
        if wkt:
            return f"{wkt.group(2)},{wkt.group(1)}"
        pair = _PAIR.fullmatch(value)
        return f"{pair.group(1)},{pair.group(2)}" if pair else ""

    def validate(self, value: str) -> bool:
        """Latitude and longitude within range, not both zero."""
        if not value:
            return False
        lat_s, lon_s = value.split(",")
        lat, lon = float(lat_s), float(lon_s)
        return abs(lat) <= 90 and abs(lon) <= 180 and (lat, lon) != (0.0, 0.0)
