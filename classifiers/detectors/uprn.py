"""Unique Property Reference Number (UPRN): an integer of up to 12 digits.

Any integer looks like a UPRN, so the detector requires a header hint (``requires_header``)
and has a low text score (0.3) that Presidio context words raise.
"""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity


class UprnDetector(BaseDetector):
    """UPRN ``100023336956``: 1-12 digits without a leading zero; header hint required."""

    id: ClassVar[str] = "uprn"
    entity: ClassVar[Entity] = Entity.UK_UPRN
    requires_header: ClassVar[bool] = True
    pattern: ClassVar[str] = r"[1-9][0-9]{0,11}"
    header_hints: ClassVar[tuple[str, ...]] = (
        r"uprn",
        r"unique_?property",
        r"property_?ref",
        r"(^|_)usrn",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (r"(?<!ac)count(?!r?y)", r"total", r"(^|_)n_")
    text_score: ClassVar[float] = 0.3
    # prose: 6-12 digit runs only, shorter numbers are almost never UPRNs in text
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        ("uprn", r"(?<![\w.,/+-])[1-9][0-9]{5,11}(?![\w/+]|[.,-]\d)", 0.3),
    )
    context: ClassVar[tuple[str, ...]] = ("uprn", "property reference", "unique property")
