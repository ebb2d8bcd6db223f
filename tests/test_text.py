"""Tests of triage.classifiers.text (Presidio free-text analysis) and classifiers.nlp."""

from __future__ import annotations

import itertools
import re

import pytest

from triage.classifiers.nlp import DEFAULT_MODEL, load_spacy
from triage.classifiers.text import (
    TextAnalyzer,
    TextSpan,
    _chunks,
    clean_spans,
    resolve_overlaps,
)
from triage.context import NlpSettings
from triage.errors import ConfigError
from triage.vocab import Entity


def _found(spans: list[TextSpan], text: str) -> dict[Entity, list[str]]:
    out: dict[Entity, list[str]] = {}
    for s in spans:
        out.setdefault(s.entity, []).append(text[s.start : s.end])
    return out


SENTENCES = [
    ("Please call me on 020 7946 0958 tomorrow.", Entity.PHONE_NUMBER, "020 7946 0958"),
    ("Mobile 07911 123456 is switched off.", Entity.PHONE_NUMBER, "07911 123456"),
    ("Bank account sort code 12-34-56 please.", Entity.UK_SORT_CODE, "12-34-56"),
    ("Her NHS number is 943 476 5919 on the form.", Entity.UK_NHS, "943 476 5919"),
    ("The family moved to SW1A 1AA last year.", Entity.UK_POSTCODE, "SW1A 1AA"),
    ("Write to jane.doe@example.com about it.", Entity.EMAIL_ADDRESS, "jane.doe@example.com"),
    ("The request came from 192.168.10.20 overnight.", Entity.IP_ADDRESS, "192.168.10.20"),
    ("John Smith complained about the noise.", Entity.PERSON, "John Smith"),
    ("The resident moved to Leeds in spring.", Entity.LOCATION, "Leeds"),
    ("Mr Jones of 4 Elm Road, Leeds rang.", Entity.LOCATION, "4 Elm Road"),
    ("Card 4111 1111 1111 1111 was declined.", Entity.CREDIT_CARD, "4111 1111 1111 1111"),
    # Mastercard 2-series (2221-2720), which Presidio's own card pattern misses
    ("Paid on card 2223003122003222 for the permit.", Entity.CREDIT_CARD, "2223003122003222"),
    ("Card 2720 9900 0000 0007 was charged.", Entity.CREDIT_CARD, "2720 9900 0000 0007"),
]


@pytest.mark.parametrize(("sentence", "entity", "expected"), SENTENCES)
def test_sentences(analyzer: TextAnalyzer, sentence: str, entity: Entity, expected: str) -> None:
    [spans] = analyzer.analyze([sentence])
    found = _found(spans, sentence)
    assert expected in found.get(entity, []), found


# class 2 of real-data failures: organisations and company names are not people in text
NOT_PEOPLE = [
    "Purchase Smart Food for catering provisions",
    "Scheme: Funded by Councillor Butt's Mayoral Charity",
    "Scheme: Funded by (http://www.handonheart.org) Hand on Heart Charity",
    "Credit Voucher Dunsters Farm Limited for catering provisions",
]
PEOPLE_IN_TEXT = [
    ("Donated in memory of Eddie Rowley by his family and friends", "Rowley"),
    ("Complaint from Mrs Janet Whitcombe about the park.", "Whitcombe"),
    ("Spoke to Cllr Patel about the bins.", "Patel"),
    ("A bench in loving memory of Mrs Jean Platt.", "Platt"),
    ("Planted by the family of the late Tom Harris.", "Harris"),
    ("Worked the late shift with Tom Harris.", "Harris"),
]


@pytest.mark.parametrize("sentence", NOT_PEOPLE)
def test_organisations_are_not_people(analyzer: TextAnalyzer, sentence: str) -> None:
    [spans] = analyzer.analyze([sentence])
    assert Entity.PERSON not in _found(spans, sentence)


@pytest.mark.parametrize(("sentence", "surname"), PEOPLE_IN_TEXT)
def test_people_in_text_are_still_found(
    analyzer: TextAnalyzer, sentence: str, surname: str
) -> None:
    [spans] = analyzer.analyze([sentence])
    found = _found(spans, sentence)
    memorial = any(cue in sentence for cue in ("memory of", "the late Tom"))
    entity = Entity.DECEASED_PERSON if memorial else Entity.PERSON
    assert any(surname in p for p in found.get(entity, [])), found


# class 7 of real-data failures: phone-shaped numbers in phone context, live range or not
@pytest.mark.parametrize(
    ("sentence", "number"),
    [
        ("I can be reached on 07700 900123 after six.", "07700 900123"),
        ("Please ring 07700 900 461 tomorrow.", "07700 900 461"),
        ("My mobile is 0770 0900 124.", "0770 0900 124"),
        ("Call me on +44 7700 900125 please.", "+44 7700 900125"),
    ],
)
def test_phone_shaped_numbers_in_phone_context(
    analyzer: TextAnalyzer, sentence: str, number: str
) -> None:
    [spans] = analyzer.analyze([sentence])
    assert number in _found(spans, sentence).get(Entity.PHONE_NUMBER, [])


@pytest.mark.parametrize(
    "sentence",
    [
        "Invoice number 20240112 for 3 items.",  # too few digits for a phone
        "Paid 07700 900123 units of energy.",  # no phone word: invalid range stays
    ],
)
def test_numbers_outside_phone_context_are_not_phones(
    analyzer: TextAnalyzer, sentence: str
) -> None:
    [spans] = analyzer.analyze([sentence])
    assert Entity.PHONE_NUMBER not in _found(spans, sentence)


def test_uk_phone_is_not_a_date(analyzer: TextAnalyzer) -> None:
    text = "Ring 020 7946 0958 after lunch."
    [spans] = analyzer.analyze([text])
    covering = [s for s in spans if s.start <= text.index("020") < s.end]
    assert [s.entity for s in covering] == [Entity.PHONE_NUMBER]


def test_spans_do_not_overlap(analyzer: TextAnalyzer) -> None:
    text = "Call John Smith on 020 7946 0958, NHS 943 476 5919, SW1A 1AA on 3 March 2021."
    [spans] = analyzer.analyze([text])
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start


@pytest.mark.parametrize(
    ("spans", "kept"),
    [
        (
            [TextSpan(Entity.DATE_TIME, 0, 13, 0.85), TextSpan(Entity.PHONE_NUMBER, 0, 13, 0.7)],
            [Entity.PHONE_NUMBER],
        ),
        (
            [TextSpan(Entity.LOCATION, 0, 8, 0.85), TextSpan(Entity.UK_POSTCODE, 0, 8, 0.6)],
            [Entity.UK_POSTCODE],
        ),
        (
            [TextSpan(Entity.PERSON, 0, 4, 0.85), TextSpan(Entity.PERSON, 0, 10, 0.6)],
            [Entity.PERSON],
        ),
        (
            [TextSpan(Entity.EMAIL_ADDRESS, 5, 20, 1.0), TextSpan(Entity.URL, 10, 20, 0.5)],
            [Entity.EMAIL_ADDRESS],
        ),
        (
            [TextSpan(Entity.DATE_TIME, 0, 4, 0.85), TextSpan(Entity.UK_NHS, 6, 16, 1.0)],
            [Entity.DATE_TIME, Entity.UK_NHS],
        ),
    ],
)
def test_resolve_overlaps(spans: list[TextSpan], kept: list[Entity]) -> None:
    assert [s.entity for s in resolve_overlaps(spans)] == kept


def test_longest_same_tier_wins() -> None:
    spans = [TextSpan(Entity.PERSON, 0, 4, 0.9), TextSpan(Entity.PERSON, 0, 10, 0.6)]
    out = resolve_overlaps(spans)
    assert (out[0].start, out[0].end) == (0, 10)


def test_redact(analyzer: TextAnalyzer) -> None:
    texts = ["Please write to jane.doe@example.com or call 020 7946 0958.", "Nothing here.", ""]
    out = analyzer.redact(texts)
    assert out[0] == "Please write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>."
    assert out[1:] == ["Nothing here.", ""]


def test_long_text_is_chunked(pattern_only: TextAnalyzer) -> None:
    filler = "lorem ipsum dolor sit amet " * 9000  # ~243k chars
    text = filler + "contact jane.doe@example.com today"
    [spans] = pattern_only.analyze([text])
    emails = [s for s in spans if s.entity == Entity.EMAIL_ADDRESS]
    assert len(emails) == 1
    assert text[emails[0].start : emails[0].end] == "jane.doe@example.com"


def test_chunks_cover_text() -> None:
    text = "word " * 50_000
    pieces = _chunks(text, size=10_000)
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= 10_000 for _, p in pieces)
    assert all(text[o : o + len(p)] == p for o, p in pieces)


def test_model_loaded(analyzer: TextAnalyzer) -> None:
    assert analyzer.model_name == DEFAULT_MODEL
    assert analyzer.problems == []
    assert not analyzer.pattern_only


def test_pattern_only_mode(pattern_only: TextAnalyzer) -> None:
    assert pattern_only.model_name is None
    assert [p.kind for p in pattern_only.problems] == ["nlp_model_missing"]
    text = "John Smith: jane.doe@example.com, NHS 943 476 5919, call 020 7946 0958"
    [spans] = pattern_only.analyze([text])
    found = _found(spans, text)
    assert Entity.EMAIL_ADDRESS in found
    assert Entity.UK_NHS in found
    assert Entity.PHONE_NUMBER in found
    # no NER, but the forename + surname pattern still finds common names
    assert found[Entity.PERSON] == ["John Smith"]
    [spans] = pattern_only.analyze(["Zxq Blorf: case closed"])
    assert Entity.PERSON not in _found(spans, "Zxq Blorf: case closed")
    assert pattern_only.person_names(["John Smith"]) is None


def test_missing_model_falls_back_to_pattern_only() -> None:
    t = TextAnalyzer.create(NlpSettings(model="/nonexistent/model/dir"))
    assert t.model_name is None
    assert [p.kind for p in t.problems] == ["nlp_model_missing"]
    assert "/nonexistent" in t.problems[0].message


def test_load_spacy_cached_and_offline() -> None:
    assert load_spacy(DEFAULT_MODEL) is load_spacy(DEFAULT_MODEL)
    with pytest.raises(ConfigError):
        load_spacy("xx_no_such_model_installed")


@pytest.mark.parametrize(
    ("value", "is_name"),
    [
        ("John Smith", True),
        ("Priya Patel", True),
        ("Margaret Thompson", True),
        ("Leeds", False),
        ("Widget", False),
        ("42", False),
    ],
)
def test_person_names(analyzer: TextAnalyzer, value: str, is_name: bool) -> None:
    flags = analyzer.person_names([value])
    assert flags is not None
    assert bool(flags[0]) is is_name


def test_analyze_handles_missing_values(analyzer: TextAnalyzer) -> None:
    out = analyzer.analyze(["", "   ", "call 020 7946 0958"])
    assert out[0] == [] and out[1] == []
    assert [s.entity for s in out[2]] == [Entity.PHONE_NUMBER]


# --- span clean-up, name patterns, dates and grid references in prose -------------------

FREE_TEXT_NEGATIVES = [
    ("Bin not collected. Case closed.", Entity.PERSON),
    ("Graffiti removal requested.", Entity.PERSON),
    ("Vehicle XX10 NPX parked on the verge.", Entity.PERSON),
    ("Vehicle NJ19 XTL parked on the verge.", Entity.UK_GRID_REFERENCE),
    ("Fly-tipping reported at 185 Elm Grove.", Entity.DATE_TIME),
    ("Spoke to the resident regarding the complaint.", Entity.LOCATION),
    ("Fly-tipping reported at 12 Victoria Road, Bolton.", Entity.PERSON),
    ("Photo uploaded to https://www.tomlinson.info/. Customer asked for an update.", Entity.PERSON),
]


@pytest.mark.parametrize(("text", "entity"), FREE_TEXT_NEGATIVES)
@pytest.mark.parametrize("mode", ["analyzer", "pattern_only"])
def test_free_text_false_alarms(
    request: pytest.FixtureRequest, mode: str, text: str, entity: Entity
) -> None:
    ta: TextAnalyzer = request.getfixturevalue(mode)
    assert entity not in _found(ta.analyze([text])[0], text)


FREE_TEXT_POSITIVES = [
    ("Spoke to Callum Watts regarding the complaint.", Entity.PERSON, "Callum Watts"),
    ("Bin not collected. Spoke to Mr Callum Watts today.", Entity.PERSON, "Mr Callum Watts"),
    ("Letter from Dr Patel about the visit.", Entity.PERSON, "Dr Patel"),
    ("Visit booked for 3 March 2021.", Entity.DATE_TIME, "3 March 2021"),
    ("Due on 04/03/2021 at the latest.", Entity.DATE_TIME, "04/03/2021"),
    ("Tree down at NJ 191 207 by the road.", Entity.UK_GRID_REFERENCE, "NJ 191 207"),
    ("Survey point SU39151623 recorded.", Entity.UK_GRID_REFERENCE, "SU39151623"),
    ("Property at ls1 4ap needs inspection.", Entity.UK_POSTCODE, "ls1 4ap"),
    ("Fly-tipping reported at 12 Victoria Road, Bolton.", Entity.LOCATION, "12 Victoria Road"),
]


@pytest.mark.parametrize(("text", "entity", "expected"), FREE_TEXT_POSITIVES)
@pytest.mark.parametrize("mode", ["analyzer", "pattern_only"])
def test_free_text_found_with_and_without_model(
    request: pytest.FixtureRequest, mode: str, text: str, entity: Entity, expected: str
) -> None:
    ta: TextAnalyzer = request.getfixturevalue(mode)
    assert expected in _found(ta.analyze([text])[0], text).get(entity, [])


@pytest.mark.parametrize(
    ("text", "span", "entity", "kept_as"),
    [
        ("Bin not collected.", "Bin", Entity.PERSON, None),
        ("Graffiti. Spoke to Sam.", "Graffiti", Entity.PERSON, None),
        ("Callum called back.", "Callum", Entity.PERSON, Entity.PERSON),
        ("Spoke to Watts today.", "Watts", Entity.PERSON, Entity.PERSON),
        ("Met at Albert Grove.", "Albert Grove", Entity.PERSON, Entity.LOCATION),
        ("Seen at 4 Mill Lane, Bolton.", "Bolton", Entity.PERSON, Entity.LOCATION),
        ("Met Dr Henry Close.", "Dr Henry Close", Entity.PERSON, Entity.PERSON),
        (
            "5 bus stands on Lord Street with shelters",
            "Lord Street",
            Entity.PERSON,
            Entity.LOCATION,
        ),
        ("Code XC21 PLM logged.", "XC21 PLM", Entity.PERSON, None),
        ("See HSE guidance.", "HSE", Entity.PERSON, None),
        ("Spoke to Leanne Rees.", "Leanne Rees", Entity.LOCATION, Entity.PERSON),
        ("Spoke to the team.", "Spoke", Entity.LOCATION, None),
        ("Moved to Leeds last year.", "Leeds", Entity.LOCATION, Entity.LOCATION),
        ("Meets at the Town Hall.", "the Town Hall", Entity.LOCATION, None),
        ("Meets at the Civic Centre.", "Civic Centre", Entity.LOCATION, None),
        ("Open at the central library.", "the central library", Entity.LOCATION, None),
        ("Meets at Rowan House.", "Rowan House", Entity.LOCATION, Entity.LOCATION),
        ("Lives by the Town Hall Road.", "the Town Hall Road", Entity.LOCATION, Entity.LOCATION),
        ("Seen at 185 Elm Grove.", "185 Elm Grove", Entity.DATE_TIME, None),
        ("Call back next week.", "next week", Entity.DATE_TIME, None),
        ("Visit on 3 March.", "3 March", Entity.DATE_TIME, Entity.DATE_TIME),
        # the town part of an address line is a place, whatever forename it starts with
        (
            "Extension 27 Farm Lane Douglas Isle Of Man IM2 2EF",
            "Douglas Isle",
            Entity.PERSON,
            Entity.LOCATION,
        ),
        (
            "Beach House Stanley Mount East Ramsey Isle Of Man IM8 1NP",
            "Stanley Mount East",
            Entity.LOCATION,
            Entity.LOCATION,
        ),
        (
            "Holiday Camp Switzerland Road Douglas Isle Of Man  ",
            "Douglas Isle",
            Entity.PERSON,
            Entity.LOCATION,
        ),
        ("Letter from Leanne Rees to the council.", "Leanne Rees", Entity.PERSON, Entity.PERSON),
        ("Complaint by Leanne Rees", "Leanne Rees", Entity.PERSON, Entity.PERSON),
        ("Letter from Leanne Rees of Leeds LS1 1AA", "Leanne Rees", Entity.PERSON, Entity.PERSON),
        ("Met Dr Leanne Rees IM2 2EF", "Dr Leanne Rees", Entity.PERSON, Entity.PERSON),
        ("Spoke to Leanne Rees,\n4 Mill Lane IM2 2EF", "Leanne Rees", Entity.PERSON, Entity.PERSON),
        # houses and places named by their own words (class 2: names that are not people)
        (
            "Porch for Rose Cottage Main Road IM4 1AA",
            "Rose Cottage",
            Entity.PERSON,
            Entity.LOCATION,
        ),
        ("Garage (formerly Holly Tree Bungalow)", "Holly Tree", Entity.PERSON, Entity.LOCATION),
        (
            "New path through Ballamona Glen, Santon",
            "Ballamona Glen",
            Entity.PERSON,
            Entity.LOCATION,
        ),
        ("Letter from John Glen MP", "John Glen", Entity.PERSON, Entity.PERSON),
        ("Shed at Fernleigh 12 Church Road Onchan", "Fernleigh", Entity.PERSON, Entity.LOCATION),
        ("Letter to Sarah Jones 12 Church Road Leeds", "Sarah Jones", Entity.PERSON, Entity.PERSON),
        ("Bins at Lady Lane Car Park", "Lady Lane Car Park", Entity.PERSON, Entity.LOCATION),
        ("Footpath, Ballaugh Isle of Man", "Ballaugh Isle", Entity.PERSON, Entity.LOCATION),
        ("Land off Ballig Road Cronk Ruagh Lezayre", "Cronk Ruagh", Entity.PERSON, Entity.LOCATION),
        ("Ballig Road land of Sarah Jones and family", "Sarah Jones", Entity.PERSON, Entity.PERSON),
        # a person before a street or a building is a person; before a charity, part of its name
        ("Met Sarah Jones Victoria Road today", "Sarah Jones", Entity.PERSON, Entity.PERSON),
        ("Met Sarah Jones Albert House today", "Sarah Jones", Entity.PERSON, Entity.PERSON),
        ("Cllr Webb's Mayoral Charity gave", "Cllr Webb", Entity.PERSON, None),
        # listed with plurals no lexicon knows: a category, not a name
        ("Sale of Ladies, Mens and Childrens shoes", "Mens", Entity.PERSON, None),
        ("Okafor and Murphy signed it", "Murphy", Entity.PERSON, Entity.PERSON),
        ("Hughes, Jones and Murphy signed", "Murphy", Entity.PERSON, Entity.PERSON),
        # a name as the modifier of a thing, and the first words of a place's name
        ("Rear dormer with Juliet balcony", "Juliet", Entity.PERSON, None),
        ("Told Juliet about the balcony", "Juliet", Entity.PERSON, Entity.PERSON),
        ("New steps to Hatton Pier", "Hatton", Entity.PERSON, Entity.LOCATION),
        ("Works at Alexandra Palace Park", "Alexandra", Entity.PERSON, Entity.LOCATION),
        ("Lighting for Hartley Courts car park", "Hartley Courts", Entity.PERSON, Entity.LOCATION),
        ("Known as the Ada Lyle advice centre", "Ada Lyle", Entity.PERSON, Entity.LOCATION),
        ("Ada Lyle visited the community centre", "Ada Lyle", Entity.PERSON, Entity.PERSON),
    ],
)
def test_clean_spans(text: str, span: str, entity: Entity, kept_as: Entity | None) -> None:
    start = text.index(span)
    out = clean_spans(text, [TextSpan(entity, start, start + len(span), 0.85)])
    assert [s.entity for s in out] == ([] if kept_as is None else [kept_as])


def test_default_model_matches_the_pinned_hashes() -> None:
    from triage.classifiers.nlp import default_model_mismatches

    assert default_model_mismatches() == []


def test_a_tampered_default_model_is_refused(monkeypatch) -> None:
    from triage.classifiers import nlp

    monkeypatch.setitem(nlp.DEFAULT_MODEL_SHA256, "ner/model", "0" * 64)
    nlp.load_spacy.cache_clear()
    try:
        with pytest.raises(ConfigError, match="pinned weights"):
            nlp.load_spacy(nlp.DEFAULT_MODEL)
    finally:
        nlp.load_spacy.cache_clear()


@pytest.mark.parametrize(
    ("text", "span", "parts"),
    [
        (
            "The owner is Sarah Jones North Quay Ramsey.",
            "Sarah Jones North Quay Ramsey",
            [("Sarah Jones", Entity.PERSON), ("North Quay Ramsey", Entity.LOCATION)],
        ),
        # no surname before the street: one place ("Glen Mona" is two given names)
        (
            "Field at Glen Mona Loop Road",
            "Glen Mona Loop Road",
            [("Glen Mona Loop Road", Entity.LOCATION)],
        ),
    ],
)
def test_a_name_running_into_a_street_is_split(
    text: str, span: str, parts: list[tuple[str, Entity]]
) -> None:
    start = text.index(span)
    out = clean_spans(text, [TextSpan(Entity.PERSON, start, start + len(span), 0.85)])
    assert [(text[s.start : s.end], s.entity) for s in out] == parts


@pytest.mark.parametrize(
    ("text", "person", "place", "kept_as"),
    [
        (
            "Offices in Ramsey Chambers, Parliament Street, Ramsey",
            "Ramsey Chambers",
            "Ramsey",
            Entity.LOCATION,
        ),
        ("Letter from Dwain Chambers about Leeds", "Dwain Chambers", "Leeds", Entity.PERSON),
        ("Rose Hill wrote about Leeds", "Rose Hill", "Leeds", Entity.PERSON),
    ],
)
def test_a_building_of_a_place_the_text_names(
    text: str, person: str, place: str, kept_as: Entity
) -> None:
    p, q = text.index(person), text.rindex(place)
    spans = [
        TextSpan(Entity.PERSON, p, p + len(person), 0.85),
        TextSpan(Entity.LOCATION, q, q + len(place), 0.85),
    ]
    assert clean_spans(text, spans)[0].entity == kept_as


@pytest.mark.parametrize(
    ("text", "found"),
    [("Glen Hoddle spoke", "Glen Hoddle"), ("Elfin Glen And Woods", None), ("Sam Of Leeds", None)],
)
def test_the_forename_pattern_skips_small_words(text: str, found: str | None) -> None:
    from triage.classifiers.text import FORENAME_SURNAME_PATTERN

    match = re.search(FORENAME_SURNAME_PATTERN, text)
    assert (match.group() if match else None) == found


@pytest.mark.parametrize(
    ("text", "kept_as"),
    [
        # the first mention is a place by the facility after it; so is the second
        ("Hire of Rose Hill community centre; it serves Rose Hill", Entity.LOCATION),
        ("Hire of the community centre for Rose Hill; Rose Hill came", Entity.PERSON),
    ],
)
def test_a_name_the_text_names_as_a_place_elsewhere_is_that_place(
    text: str, kept_as: Entity
) -> None:
    first, last = text.index("Rose Hill"), text.rindex("Rose Hill")
    spans = [TextSpan(Entity.PERSON, p, p + len("Rose Hill"), 0.85) for p in (first, last)]
    assert clean_spans(text, spans)[-1].entity == kept_as
