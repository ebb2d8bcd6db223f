"""Presidio recognizers built from our detectors (one pattern + validator for columns and text).

``DetectorRecognizer`` wraps any :class:`~triage.classifiers.base.Detector` as a Presidio
``PatternRecognizer``: it searches the detector's text patterns (word-bounded), validates each
hit with the detector's ``normalise`` + ``validate`` (an invalid hit is dropped, a valid one
keeps the pattern score, i.e. ``detector.text_score``) and uses ``detector.context`` as
Presidio context words.

``uk_recognizers()`` returns the recognizers for the UK identifiers that Presidio 2.2.366
lacks or handles less well:

* UK_NHS: Presidio's ``NhsRecognizer`` accepts repeated-digit numbers like ``4444444444``;
* UK_NINO: Presidio's ``UkNinoRecognizer`` has no validation and is case-insensitive;
* UK_POSTCODE / UK_VEHICLE_REGISTRATION / UK_DRIVING_LICENCE: Presidio's recognizers score
  0.1-0.5 without validating (no date check in licences, no region letters in plates);
* UK_PASSPORT: Presidio misses the 9-digit form;
* UK_SORT_CODE, UK_UPRN, COORDINATES, UK_GRID_REFERENCE: no Presidio recognizer.

``text_recognizers()`` adds DATE_TIME (validated calendar dates), so that pattern-only
engines find dates in free text too.

Context words from Presidio's own UK recognizers are merged into ours where they exist.
When registering these in a ``RecognizerRegistry`` that also loaded Presidio's predefined
recognizers, remove Presidio's ``NhsRecognizer`` (on by default) to avoid duplicate UK_NHS
results.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from presidio_analyzer import (
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.predefined_recognizers import (
    NhsRecognizer,
    UkDrivingLicenceRecognizer,
    UkNinoRecognizer,
    UkPassportRecognizer,
    UkPostcodeRecognizer,
    UkVehicleRegistrationRecognizer,
)

from triage.classifiers.base import Detector
from triage.classifiers.detectors import BaseDetector
from triage.classifiers.registry import get_detector

logger = logging.getLogger(__name__)

#: detector ids behind :func:`uk_recognizers`, in order
UK_DETECTOR_IDS: tuple[str, ...] = (
    "nhs",
    "nino",
    "postcode",
    "vehicle_registration",
    "vehicle_registration_legacy",
    "sort_code",
    "uprn",
    "passport",
    "driving_licence",
    "coordinates",
    "grid_reference",
)
#: further detectors searched in free text (dates: pattern-only engines have no spaCy DATE)
TEXT_DETECTOR_IDS: tuple[str, ...] = ("date_time",)

#: Presidio recognizers whose context words we merge (same entity)
_PRESIDIO_CONTEXT: dict[str, Any] = {
    "UK_NHS": NhsRecognizer,
    "UK_NINO": UkNinoRecognizer,
    "UK_POSTCODE": UkPostcodeRecognizer,
    "UK_VEHICLE_REGISTRATION": UkVehicleRegistrationRecognizer,
    "UK_PASSPORT": UkPassportRecognizer,
    "UK_DRIVING_LICENCE": UkDrivingLicenceRecognizer,
}

#: characters before a hit searched for context words (pattern-only engines have no lemmas)
CONTEXT_WINDOW = 40
#: Presidio's defaults (``LemmaContextAwareEnhancer``): boost, and floor after a boost
CONTEXT_BOOST = 0.35
CONTEXT_FLOOR = 0.4

#: case-sensitive: detectors opt into case-insensitivity with ``(?i:...)`` groups
_FLAGS = re.DOTALL | re.MULTILINE


def _search_patterns(detector: Detector) -> tuple[tuple[str, str, float], ...]:
    if isinstance(detector, BaseDetector):
        return detector.search_patterns()
    bounded = rf"(?<![\w.@/+-])(?:{detector.pattern})(?![\w@/+]|[.-]\w)"
    return ((detector.id, bounded, detector.text_score),)


class DetectorRecognizer(PatternRecognizer):
    """A Presidio ``PatternRecognizer`` driven by one of our detectors.

    Parameters
    ----------
    detector
        The detector supplying entity, text patterns, score, context and validation.
    context
        Context words; default ``detector.context`` (plus Presidio's words for the entity
        when ``merge_presidio_context``).
    merge_presidio_context
        Add the context words of Presidio's own recognizer for the same entity.
    """

    def __init__(
        self,
        detector: Detector,
        *,
        context: list[str] | None = None,
        merge_presidio_context: bool = True,
    ) -> None:
        self.detector = detector
        entity = str(detector.entity)
        if context is None:
            words = list(detector.context)
            presidio_cls = _PRESIDIO_CONTEXT.get(entity)
            if merge_presidio_context and presidio_cls is not None:
                words += [w for w in presidio_cls.CONTEXT if w not in words]
            context = words
        patterns = [
            Pattern(name=name, regex=rx, score=score)
            for name, rx, score in _search_patterns(detector)
        ]
        super().__init__(
            supported_entity=entity,
            name=f"triage_{detector.id}",
            patterns=patterns,
            context=context,
            global_regex_flags=_FLAGS,
            version=detector.version,
        )
        alternatives = "|".join(re.escape(w) for w in sorted(context, key=len, reverse=True))
        self._context_re = (
            re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE) if alternatives else None
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Pattern results, with a context-word boost computed on the raw text.

        Presidio's context enhancer needs lemmas, which a pattern-only engine (``NoOpNlpEngine``)
        does not give. A hit with one of our context words in the ``CONTEXT_WINDOW``
        characters before it gets Presidio's boost here (score + 0.35, at least 0.4) and is
        marked as enhanced, so Presidio's enhancer does not boost it twice.
        """
        results: list[RecognizerResult] = super().analyze(
            text, entities, nlp_artifacts=nlp_artifacts, regex_flags=regex_flags
        )
        if not results or not self._context_re:
            return results
        for result in results:
            window = text[max(0, result.start - CONTEXT_WINDOW) : result.start]
            if result.score < 1.0 and self._context_re.search(window):
                result.score = min(1.0, max(result.score + CONTEXT_BOOST, CONTEXT_FLOOR))
                meta = result.recognition_metadata or {}
                meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
                result.recognition_metadata = meta
        return results

    def validate_result(self, pattern_text: str) -> bool | None:
        """``None`` (keep the pattern score) when the detector validates the hit, else False."""
        try:
            ok = self.detector.validate(self.detector.normalise(pattern_text))
        except (ValueError, IndexError):
            ok = False
        return None if ok else False


def detector_recognizer(detector_id: str) -> DetectorRecognizer:
    """A :class:`DetectorRecognizer` for the registered detector ``detector_id``."""
    return DetectorRecognizer(get_detector(detector_id))


def uk_recognizers() -> list[EntityRecognizer]:
    """Recognizers for the UK identifiers (and coordinates, grid references) Presidio lacks."""
    return [detector_recognizer(detector_id) for detector_id in UK_DETECTOR_IDS]


def text_recognizers() -> list[EntityRecognizer]:
    """Further detector-backed recognizers for free text (validated calendar dates)."""
    return [detector_recognizer(detector_id) for detector_id in TEXT_DETECTOR_IDS]


def span_recognizer(
    entity: str, name: str, find: Callable[[str], Iterable[tuple[int, int]]], score: float
) -> EntityRecognizer:
    """A Presidio recognizer emitting each ``(start, end)`` span of ``find(text)`` as ``entity``
    with ``score``: a text detector written as a plain function becomes a recognizer."""

    class _SpanRecognizer(LocalRecognizer):
        def load(self) -> None:
            """Nothing to load."""

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: Any = None
        ) -> list[RecognizerResult]:
            """The spans of ``find`` as ``entity``."""
            return [RecognizerResult(entity, s, e, score) for s, e in find(text)]

    return _SpanRecognizer(supported_entities=[entity], name=name)
