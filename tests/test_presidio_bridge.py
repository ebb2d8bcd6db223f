"""The Presidio bridge: our detectors as PatternRecognizers in a pattern-only AnalyzerEngine."""

from __future__ import annotations

from typing import Any

import pytest
from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from triage.classifiers.presidio_bridge import (
    UK_DETECTOR_IDS,
    DetectorRecognizer,
    detector_recognizer,
    text_recognizers,
    uk_recognizers,
)
from triage.classifiers.registry import DETECTORS, get_detector

UK_ENTITIES = {
    "UK_NHS",
    "UK_NINO",
    "UK_POSTCODE",
    "UK_VEHICLE_REGISTRATION",
    "UK_SORT_CODE",
    "UK_UPRN",
    "UK_PASSPORT",
    "UK_DRIVING_LICENCE",
    "COORDINATES",
    "UK_GRID_REFERENCE",
}


@pytest.fixture(scope="module")
def engine() -> AnalyzerEngine:
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in uk_recognizers():
        registry.add_recognizer(recognizer)
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "noop"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def _name(recognizer: Any) -> str:
    return str(recognizer.name)


def _found(engine: AnalyzerEngine, text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for result in engine.analyze(text, language="en"):
        found.setdefault(result.entity_type, set()).add(text[result.start : result.end])
    return found


def _score(engine: AnalyzerEngine, text: str, entity: str, span: str) -> float:
    scores = [
        r.score
        for r in engine.analyze(text, language="en", entities=[entity])
        if text[r.start : r.end] == span
    ]
    assert scores, f"{entity} not found"
    return max(scores)


def test_uk_recognizers_cover_the_uk_entities() -> None:
    recognizers = uk_recognizers()
    assert all(isinstance(r, PatternRecognizer) for r in recognizers)
    entities = {e for r in recognizers for e in r.supported_entities}
    assert entities == UK_ENTITIES
    names: set[str] = {_name(r) for r in recognizers}
    assert len(names) == len(recognizers) == len(UK_DETECTOR_IDS)


def test_recognizers_register_in_a_registry() -> None:
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in uk_recognizers():
        registry.add_recognizer(recognizer)
    names = {_name(r) for r in registry.recognizers}
    assert {f"triage_{i}" for i in UK_DETECTOR_IDS} <= names
    assert set(registry.get_supported_entities(["en"])) >= UK_ENTITIES


@pytest.mark.parametrize(
    ("text", "entity", "span"),
    [
        ("Patient NHS number 943 476 5919 was seen.", "UK_NHS", "943 476 5919"),
        ("Ref 9434765919.", "UK_NHS", "9434765919"),
        ("Her NI number is AB 12 34 56 C, thanks.", "UK_NINO", "AB 12 34 56 C"),
        ("She lives at 10 Downing St, London SW1A 2AA now.", "UK_POSTCODE", "SW1A 2AA"),
        ("Seen in M1 1AE (Manchester).", "UK_POSTCODE", "M1 1AE"),
        ("The car AB12 CDE was parked.", "UK_VEHICLE_REGISTRATION", "AB12 CDE"),
        ("Pay sort code 12-34-56 today.", "UK_SORT_CODE", "12-34-56"),
        ("UPRN 100023336956 refers to the house.", "UK_UPRN", "100023336956"),
        ("His passport 925076473 expired.", "UK_PASSPORT", "925076473"),
        ("Passport no GB7654321 seen.", "UK_PASSPORT", "GB7654321"),
        ("Licence MORGA753116SM9IJ was checked.", "UK_DRIVING_LICENCE", "MORGA753116SM9IJ"),
        ("Found at 51.5074, -0.1278 yesterday.", "COORDINATES", "51.5074, -0.1278"),
        ("Geometry POINT (-0.1278 51.5074) stored.", "COORDINATES", "POINT (-0.1278 51.5074)"),
        ("The site is at SU 3915 1623.", "UK_GRID_REFERENCE", "SU 3915 1623"),
        ("Grid ref TQ3080 is central.", "UK_GRID_REFERENCE", "TQ3080"),
    ],
)
def test_engine_finds_entities_in_sentences(
    engine: AnalyzerEngine, text: str, entity: str, span: str
) -> None:
    assert span in _found(engine, text).get(entity, set())


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Ref 9434765918 is wrong.", "UK_NHS"),  # bad check digit
        ("Counted 4444444444 items.", "UK_NHS"),  # repeated digit
        ("Code GB 12 34 56 A is invalid.", "UK_NINO"),  # never-issued prefix
        ("Product AB12 3CD5 and SKU-1234 in stock.", "UK_POSTCODE"),
        ("Plate AB01 CDE never issued.", "UK_VEHICLE_REGISTRATION"),
        ("On 31/02/2021 nothing.", "UK_SORT_CODE"),
        ("Licence SMITH802305JA9AB bad date.", "UK_DRIVING_LICENCE"),
        ("Ratio 1.5, 2.5 only.", "COORDINATES"),
        ("Out at 91.1234, 0.1278 of range.", "COORDINATES"),
        ("Square SI 3915 1623 does not exist.", "UK_GRID_REFERENCE"),
        ("Version 1.2.3 and 12345 and 3.14159.", "UK_UPRN"),
    ],
)
def test_engine_rejects_look_alikes(engine: AnalyzerEngine, text: str, entity: str) -> None:
    assert entity not in _found(engine, text)


def test_no_sort_code_inside_a_nino(engine: AnalyzerEngine) -> None:
    found = _found(engine, "NINO AB 12 34 56 C on file.")
    assert "UK_SORT_CODE" not in found
    assert "UK_NINO" in found


def test_scores_come_from_the_detector_and_context_raises_them(engine: AnalyzerEngine) -> None:
    uprn = get_detector("uprn")
    bare = "The number 100023336956 appears."
    with_context = "The property UPRN: 100023336956 appears."
    assert _score(engine, bare, "UK_UPRN", "100023336956") == pytest.approx(uprn.text_score)
    assert uprn.text_score == pytest.approx(0.3)
    assert _score(engine, with_context, "UK_UPRN", "100023336956") > 0.6
    nhs = get_detector("nhs")
    assert _score(engine, "Ref 943 476 5919.", "UK_NHS", "943 476 5919") == nhs.text_score


def test_passport_digits_need_context_to_score(engine: AnalyzerEngine) -> None:
    low = _score(engine, "Number 925076473 here.", "UK_PASSPORT", "925076473")
    high = _score(engine, "Passport 925076473 here.", "UK_PASSPORT", "925076473")
    assert low < 0.4 < high


@pytest.mark.parametrize("detector_id", list(DETECTORS))
def test_every_detector_can_become_a_recognizer(detector_id: str) -> None:
    recognizer = detector_recognizer(detector_id)
    assert isinstance(recognizer, DetectorRecognizer)
    detector = get_detector(detector_id)
    assert recognizer.supported_entities == [str(detector.entity)]
    assert set(detector.context) <= set(recognizer.context)


@pytest.mark.parametrize(
    ("detector_id", "text", "span"),
    [
        ("email", "Write to jane.smith@example.co.uk.", "jane.smith@example.co.uk"),
        ("url", "See https://example.org/a?b=1.", "https://example.org/a?b=1"),
        ("url", "Visit www.gov.uk, then leave.", "www.gov.uk"),
        ("ip_address", "Host 192.168.1.10 replied.", "192.168.1.10"),
        ("credit_card", "Card 4111 1111 1111 1111 used.", "4111 1111 1111 1111"),
        ("iban", "IBAN GB82 WEST 1234 5698 7654 32 ok.", "GB82 WEST 1234 5698 7654 32"),
        ("phone", "Call 020 7946 0018 now.", "020 7946 0018"),
        ("date_time", "Seen on 3 March 2021 at noon.", "3 March 2021"),
        ("date_time", "Logged 2021-03-04T10:15:00Z ok.", "2021-03-04T10:15:00Z"),
    ],
)
def test_other_detectors_work_in_text(detector_id: str, text: str, span: str) -> None:
    recognizer = detector_recognizer(detector_id)
    results = recognizer.analyze(text, recognizer.supported_entities)
    assert span in {text[r.start : r.end] for r in results}


def test_validation_drops_invalid_text_hits() -> None:
    recognizer = detector_recognizer("date_time")
    assert recognizer.analyze("Due 31/02/2021 then.", ["DATE_TIME"]) == []
    recognizer = detector_recognizer("credit_card")
    assert recognizer.analyze("Card 4111 1111 1111 1112 used.", ["CREDIT_CARD"]) == []


# --- grid references vs vehicle registrations, sort-code context, lower-case postcodes ----


@pytest.mark.parametrize(
    ("text", "span", "min_score"),
    [
        ("Tree down at NJ 191 207 today.", "NJ 191 207", 0.6),
        ("Survey point NJ191207 logged.", "NJ191207", 0.6),
        ("Site SU 3915 1623 checked.", "SU 3915 1623", 0.6),
        ("Square TQ 30 80 checked.", "TQ 30 80", 0.6),
        ("Grid ref TQ3080 is central.", "TQ3080", 0.6),  # 4-figure joined: context needed
    ],
)
def test_grid_references_in_prose(
    engine: AnalyzerEngine, text: str, span: str, min_score: float
) -> None:
    assert _score(engine, text, "UK_GRID_REFERENCE", span) >= min_score


@pytest.mark.parametrize(
    ("text", "max_score"),
    [
        ("Vehicle NJ19 XTL parked on the verge.", 0.0),  # registration, 2 digits
        ("Vehicle NJ19XTL parked on the verge.", 0.0),
        ("Vehicle TB10 XTL parked on the verge.", 0.0),  # not a DVLA region, still no ref
        ("Code TQ3080 in the list.", 0.3),  # 4-figure joined ref without context: below 0.5
        ("Code TQ30 only.", 0.0),
    ],
)
def test_short_grid_references_in_prose_are_weak(
    engine: AnalyzerEngine, text: str, max_score: float
) -> None:
    scores = [r.score for r in engine.analyze(text, language="en", entities=["UK_GRID_REFERENCE"])]
    assert max(scores, default=0.0) <= max_score


@pytest.mark.parametrize(
    ("text", "boosted"),
    [
        ("Sort 12 34 56 please.", True),
        ("sort: 12 34 56", True),
        ("Bank sort is 12 34 56.", True),
        ("Bank 12 34 56 please.", True),
        ("Room 12 34 56 please.", False),
    ],
)
def test_sort_code_single_context_words(engine: AnalyzerEngine, text: str, boosted: bool) -> None:
    assert "sort" in detector_recognizer("sort_code").context
    score = _score(engine, text, "UK_SORT_CODE", "12 34 56")
    assert (score >= 0.5) is boosted


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Property at ls1 4ap needs inspection.", "ls1 4ap"),
        ("Moved to sw1a 1aa last year.", "sw1a 1aa"),
        ("Moved to Sw1A 1Aa last year.", "Sw1A 1Aa"),
        ("Moved to m11ae last year.", "m11ae"),
    ],
)
def test_postcodes_in_prose_are_case_insensitive(
    engine: AnalyzerEngine, text: str, span: str
) -> None:
    assert span in _found(engine, text).get("UK_POSTCODE", set())


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Visit booked for 3 March 2021.", "3 March 2021"),
        ("Due 04/03/2021 then.", "04/03/2021"),
        ("Logged 2021-03-04T10:15:00Z ok.", "2021-03-04T10:15:00Z"),
    ],
)
def test_text_recognizers_find_dates(text: str, span: str) -> None:
    [recognizer] = text_recognizers()
    assert recognizer.supported_entities == ["DATE_TIME"]
    results = recognizer.analyze(text, ["DATE_TIME"])
    assert span in {text[r.start : r.end] for r in results}
