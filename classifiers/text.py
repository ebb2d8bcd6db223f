"""Free-text analysis: Presidio's AnalyzerEngine with our UK recognizers, strictly offline.

``TextAnalyzer.create`` builds the engine from an installed spaCy model (see
``triage.classifiers.nlp``) or, when there is none, a pattern-only engine (``NoOpNlpEngine``)
plus a ``nlp_model_missing`` problem. Overlapping detections are resolved here, not by the
anonymizer, so that validated identifiers (phone numbers, NHS numbers, sort codes) win over
the spaCy DATE/LOCATION labels that often cover them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from triage.classifiers import names, text_names
from triage.classifiers import vocabularies as voc
from triage.classifiers.detectors import all_same_digit
from triage.classifiers.nlp import load_spacy
from triage.classifiers.text_address import UK_POSTCODE, find_addresses
from triage.classifiers.text_phone import find_phones
from triage.context import NlpSettings
from triage.errors import ConfigError
from triage.models import Problem
from triage.vocab import Decision, Entity

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
    from spacy.language import Language

logger = logging.getLogger(__name__)

#: spaCy labels mapped to Presidio entities; everything else spaCy emits is ignored
SPACY_ENTITY_MAPPING: dict[str, str] = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
SPACY_LABELS_TO_IGNORE: tuple[str, ...] = (
    "ORG",
    "ORGANIZATION",
    "NORP",
    "CARDINAL",
    "ORDINAL",
    "QUANTITY",
    "MONEY",
    "PERCENT",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
)

#: spaCy components whose output Presidio never reads (entities, lemmas and token flags come
#: from the NER, tagger, attribute ruler and lemmatizer); skipping the parser saves about a
#: third of the model's time
UNUSED_PIPES: tuple[str, ...] = ("parser",)

#: carrier sentence for judging a short value as a person name
NAME_TEMPLATE = "My name is {}."
#: longest text handed to spaCy in one piece (spaCy refuses more than 1,000,000 chars)
CHUNK_CHARS = 100_000
#: NER-derived, unvalidated entities: they lose overlaps against pattern-validated ones
_WEAK_ENTITIES = frozenset({Entity.DATE_TIME, Entity.LOCATION})
_MEDIUM_ENTITIES = frozenset({Entity.PERSON, Entity.DECEASED_PERSON, Entity.URL})
_ENTITY_BY_NAME: dict[str, Entity] = {e.value: e for e in Entity}


@dataclass(frozen=True)
class TextSpan:
    """One entity found in a text: character offsets ``[start, end)`` and a score."""

    entity: Entity
    start: int
    end: int
    score: float


def _tier(entity: Entity) -> int:
    if entity in _WEAK_ENTITIES:
        return 2
    if entity in _MEDIUM_ENTITIES:
        return 1
    return 0


def resolve_overlaps(spans: Sequence[TextSpan], text: str | None = None) -> list[TextSpan]:
    """Keep a non-overlapping subset of ``spans``, sorted by start.

    Validated identifiers beat PERSON/URL, which beat DATE_TIME/LOCATION; within a tier the
    longest span wins, then the highest score. Given ``text``, a LOCATION holding a digit (a
    street address) ranks with PERSON, so that a name-like word inside an address ("Słowicza
    10") does not cut the address short.
    """

    def tier(s: TextSpan) -> int:
        if (
            text is not None
            and s.entity == Entity.LOCATION
            and re.search(r"\d", text[s.start : s.end])
        ):
            return 1
        return _tier(s.entity)

    ordered = sorted(spans, key=lambda s: (tier(s), -(s.end - s.start), -s.score, s.start))
    kept: list[TextSpan] = []
    for span in ordered:
        if span.end <= span.start:
            continue
        clashes = [k for k in kept if not (span.end <= k.start or span.start >= k.end)]
        if not clashes:
            kept.append(span)
        elif tier(span) == 1 and span.entity == Entity.LOCATION and text is not None:
            kept.extend(_around(text, span, clashes, kept))
    return sorted(kept, key=lambda s: (s.start, s.end))


def _around(
    text: str, span: TextSpan, clashes: list[TextSpan], kept: list[TextSpan]
) -> list[TextSpan]:
    """The parts of an address ``span`` outside identifiers inside it ("12 High Street, Leeds"
    around the postcode "LS1 4AB"); nothing when a clash reaches outside the address."""
    if any(k.start < span.start or k.end > span.end for k in clashes):
        return []
    pieces: list[TextSpan] = []
    pos = span.start
    for k in sorted(clashes, key=lambda k: k.start):
        pieces.append(TextSpan(span.entity, pos, k.start, span.score))
        pos = k.end
    pieces.append(TextSpan(span.entity, pos, span.end, span.score))
    out: list[TextSpan] = []
    for p in pieces:
        start, end = p.start, p.end
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if end > start and all(end <= k.start or start >= k.end for k in kept):
            out.append(TextSpan(span.entity, start, end, span.score))
    return out


_SENTENCE_END = re.compile(r"(?:^|[.!?;:]\s*|\n\s*)$")
_NOT_A_NAME = re.compile(r"[\d/@:_\\<>=]")
_DATE_WORD = re.compile(
    r"(?i)\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
)
_AFTER_STREET = re.compile(r"\b([A-Za-z]+),\s*$")
#: the rest of an address line after a span: capitalised place words ("Isle Of Man") up to a
#: UK postcode on the same line ("Douglas Isle Of Man IM2 2QY": "Douglas Isle" is a town)
_TO_POSTCODE = re.compile(rf"(?:[ \t]+[A-Z][\w'\u2019-]*)*[ \t]+{UK_POSTCODE}\b")
#: capitalised place words to the end of the text
_TO_END = re.compile(r"(?:[ \t]+[A-Z][\w'\u2019-]*)*[ \t,.]*$")


def _address_tail(text: str, span: TextSpan) -> bool:
    """True when ``span`` is the town part of an address line: place words and a postcode
    follow it, or a street word comes just before it and only place words follow to the end
    ("... Cooil Road Douglas Isle Of Man")."""
    if _TO_POSTCODE.match(text, span.end):
        return True
    line = text[: span.start].rsplit("\n", 1)[-1]
    street = any(w.lower() in voc.STREET_SUFFIXES for w in _words(line)[-3:])
    return street and _TO_END.match(text, span.end) is not None


def _words(text: str) -> list[str]:
    """The words of ``text``: letters of any script, inner apostrophes and hyphens."""
    return re.findall(r"[^\W\d_](?:[^\W\d_]|['\u2019-])*", text)


def _sentence_initial_word(text: str, span: TextSpan) -> bool:
    """A one-word span opening a sentence and not followed by a capitalised word ("Bin not")."""
    if " " in text[span.start : span.end].strip():
        return False
    if not _SENTENCE_END.search(text[: span.start]):
        return False
    return re.match(r"\s*[A-Z][a-z]", text[span.end : span.end + 4]) is None


def clean_spans(text: str, spans: Sequence[TextSpan]) -> list[TextSpan]:
    """Drop or relabel implausible NER spans before overlaps are resolved.

    * PERSON: dropped when it holds digits, slashes, ``@`` or ``:`` (codes, URLs) or no
      lower-case letter (acronyms); relabelled LOCATION when its last word is a street suffix
      ("Albert Grove"), it follows a street address and a comma ("12 High Street, Bolton") or
      place words and a postcode follow it on its line ("Douglas Isle Of Man IM2 2QY"), it
      runs into an "Isle of" place, or it names a house or place by its own words
      (``_place_name``: "Rose Cottage", "Sulby Glen", "Creg Malin 4 Queens Drive"); a span
      running from a person name into a street ("Mary Jones North Quay") is split in two;
      a one-word span opening a sentence is dropped unless it is a common forename (the small
      spaCy model tags sentence-opening nouns such as "Bin not collected." as names); any other
      span needs the name lexicons' support (``names.is_name_mention``: "Smart Food" and
      "Hand on Heart Charity" are not people), a name shape or words said only of people
      (``text_names``: "X shouted at Y", a dialogue speaker, a list after "founders:"); a
      possessive or an address's unit word at its end is cut ("Yudina Apt. 675").
    * LOCATION: a one-word sentence opener and a generic public building ("the Town Hall",
      ``PUBLIC_BUILDINGS``) are dropped; a span starting with a common forename (or a name
      the lexicons support), not ending in a street suffix and not the town part of an
      address line (``_address_tail``) is relabelled PERSON ("Leanne Rees").
    * DATE_TIME: kept only with a digit or a month/day name and no street suffix.
    * EMAIL_ADDRESS: a role mailbox (``names.email_kind``: "foi@", "enquiries@") is dropped.
    """
    confirmed = _confirmed_name_words(text, spans)
    found = text_names.found_by_context(text) if spans else frozenset()
    out: list[TextSpan] = []
    for span in spans:
        if span.entity == Entity.PERSON and "\n" in text[span.start : span.end].strip():
            span = _first_line(text, span)  # a name does not run over a line break
        if span.entity == Entity.PERSON:
            span = _without_tail(text, span)
            split = _name_then_place(text, span)
            if split:
                out.extend(split)
                continue
        fragment = text[span.start : span.end]
        words = _words(fragment)
        entity: Entity | None = span.entity
        if span.entity == Entity.PERSON:
            entity = _person_entity(text, span, fragment, words, confirmed, found)
        elif span.entity == Entity.LOCATION:
            entity = _location_entity(text, span, fragment, words)
        elif span.entity == Entity.EMAIL_ADDRESS and names.email_kind(fragment) == "role":
            entity = None  # a shared mailbox (foi@, enquiries@) is not personal data
        elif span.entity == Entity.DATE_TIME and (
            not _DATE_WORD.search(fragment) or any(w.lower() in voc.STREET_SUFFIXES for w in words)
        ):
            entity = None
        if entity is None:
            continue
        if entity == Entity.PERSON and _MEMORIAL_BEFORE.search(text[: span.start][-40:]):
            entity = Entity.DECEASED_PERSON
        out.append(
            span if entity == span.entity else TextSpan(entity, span.start, span.end, span.score)
        )
    return _places_named_in_text(text, out)


def _places_named_in_text(text: str, spans: list[TextSpan]) -> list[TextSpan]:
    """PERSON spans relabelled LOCATION where the same text names them as a place: the same
    words as a place elsewhere in it ("Rose Hill community centre ... located in Rose Hill"),
    or two words ending in a building word that is also a surname, the first a place of the
    text ("Douglas Chambers, North Quay, Douglas Isle of Man")."""
    located = [text[s.start : s.end] for s in spans if s.entity == Entity.LOCATION]
    places = {w.lower() for fragment in located for w in _words(fragment)}
    out: list[TextSpan] = []
    for s in spans:
        fragment = text[s.start : s.end]
        words = [w.lower() for w in _words(fragment)]
        if s.entity == Entity.PERSON and (
            fragment in located
            or (len(words) == 2 and words[1] in voc.BUILDING_WORDS and words[0] in places)
        ):
            s = TextSpan(Entity.LOCATION, s.start, s.end, s.score)
        out.append(s)
    return out


def _name_then_place(text: str, span: TextSpan) -> list[TextSpan]:
    """A PERSON span that runs from a lexicon person name into a street ("Mary Jones North
    Quay Douglas") as the name (PERSON) and the rest (LOCATION); nothing otherwise."""
    found = list(re.finditer(r"[A-Za-z][A-Za-z'\u2019-]*", text[span.start : span.end]))
    lowered = [m.group().lower() for m in found]
    street = next((i for i, w in enumerate(lowered) if i >= 2 and w in voc.STREET_SUFFIXES), None)
    if street is None:
        return []
    surnames = names.lexicons()[1]
    for cut in range(2, street):
        name = text[span.start : span.start + found[cut - 1].end()]
        if lowered[cut - 1] in surnames and names.is_person_name(name):
            rest = span.start + found[cut].start()
            return [
                TextSpan(Entity.PERSON, span.start, span.start + found[cut - 1].end(), span.score),
                TextSpan(Entity.LOCATION, rest, span.end, span.score),
            ]
    return []


def _confirmed_name_words(text: str, spans: Sequence[TextSpan]) -> frozenset[str]:
    """Words of the multi-word PERSON spans that the lexicons or the name shape confirm: the
    same word alone elsewhere ("Alvir spent a year ... as the assistant to Alvir D. Pušaver")
    is that person."""
    words: set[str] = set()
    for s in spans:
        fragment = text[s.start : s.end].split("\n")[0]
        parts = _words(fragment)
        if (
            s.entity == Entity.PERSON
            and len(parts) >= 2
            and (names.is_person_name(fragment) or text_names.foreign_name_shape(fragment))
        ):
            words |= {w.lower() for w in parts if len(w) > 2}
    return frozenset(words)


#: what a PERSON span may run into after the name: a possessive ("Yefremova's") or the unit
#: word opening an address ("Barbara Yudina Apt. 675")
_PERSON_TAIL = re.compile(r"(?:['\u2019]s|[ \t]+(?i:apt|apartment|flat|suite|unit|studio)\.?)$")


def _without_tail(text: str, span: TextSpan) -> TextSpan:
    """``span`` without a possessive or an address's unit word at its end."""
    m = _PERSON_TAIL.search(text, span.start, span.end)
    if m is None or m.start() == span.start:
        return span
    return TextSpan(span.entity, span.start, m.start(), span.score)


def _first_line(text: str, span: TextSpan) -> TextSpan:
    """``span`` cut at its first line break."""
    fragment = text[span.start : span.end]
    lead = len(fragment) - len(fragment.lstrip())
    cut = fragment.index("\n", lead)
    return TextSpan(span.entity, span.start, span.start + cut, span.score)


#: words that name the deceased: "in memory of", "in loving memory of", "the late (Mr)"
_MEMORIAL_BEFORE = re.compile(
    rf"(?i:\bin\s+(?:loving\s+|fond\s+)?memory\s+of|\bin\s+memoriam|\bthe\s+late)"
    rf"(?:\s+{voc.TITLES}\.?)?\s+$"
)
_TITLE_BEFORE = re.compile(rf"(?i:\b{voc.TITLES})\.?\s+$")


def _given_name(word: str) -> bool:
    """A given name of the lexicons that is not also a common English word."""
    return word in voc.FORENAMES or (
        word in names.lexicons()[0] and word not in text_names.common_words()
    )


#: words of organisations' names that are not also places: a person before a street or a
#: building ("John Smith Victoria Road") is still a person
_ORGANISATION_ONLY = names.ORG_WORDS - voc.PLACE_WORDS
#: one to three capitalised words after a span ("'s Mayoral Charity", " Limited")
_FOLLOWING = re.compile(r"(?:['\u2019]s)?((?:[ \t]+[A-Z&][\w&'\u2019-]*){1,3})")


def _person_entity(
    text: str,
    span: TextSpan,
    fragment: str,
    words: list[str],
    confirmed: frozenset[str] = frozenset(),
    found: frozenset[tuple[int, int]] = frozenset(),
) -> Entity | None:
    """PERSON, LOCATION (a street) or None (not a name) for a PERSON span."""
    if _NOT_A_NAME.search(fragment) or not re.search(r"[a-z]", fragment):
        return None
    last = words[-1].lower() if words else ""
    first = words[0].lower() if words else ""
    before = _AFTER_STREET.search(text[: span.start])
    titled = (
        re.match(voc.TITLES + r"\b", fragment) is not None
        or _TITLE_BEFORE.search(text[max(0, span.start - 8) : span.start]) is not None
    )
    after_street = before is not None and before.group(1).lower() in voc.STREET_SUFFIXES
    if not titled and (last in voc.STREET_SUFFIXES or after_street or _address_tail(text, span)):
        return Entity.LOCATION
    if _isle_of(text, span, words) or _welsh_shire(text, span, words):
        return Entity.LOCATION
    if not titled and (_place_name(text, span, words) or _names_a_council(text, fragment)):
        return Entity.LOCATION
    if titled and len(words) >= 2 and words[1].lower() in voc.STREET_SUFFIXES:
        return Entity.LOCATION  # a title and a street word is a street: "Lord Street (Car Park)"
    if (
        not titled
        and not _given_name(first)
        and first not in confirmed
        and _sentence_initial_word(text, span)
        and not _cued(text, span, found)
    ):
        return None
    single = len(words) == 1 and not titled and first not in confirmed
    if single and (
        _listed_with_things(text, span)
        or _EPONYM_NEXT.match(text, span.end)
        or _TRADE_NEXT.match(text, span.end)
    ):
        return None
    following = _FOLLOWING.match(text, span.end)
    if following and any(w.lower() in _ORGANISATION_ONLY for w in _words(following.group(1))):
        return None  # part of an organisation's name: "Councillor Butt's Mayoral Charity"
    if (
        not titled
        and not names.is_name_mention(fragment)
        and not _cued(text, span, found)
        and not text_names.foreign_name_shape(fragment)
        and not text_names.initialled(fragment)
        and not text_names.echoed(text, span.start, span.end)
        and not (len(words) == 1 and first in confirmed)
    ):
        return None
    return Entity.PERSON


def _cued(text: str, span: TextSpan, found: frozenset[tuple[int, int]]) -> bool:
    """A name label before ``span``, words around it said only of a person, or ``span`` among
    the names ``text_names.found_by_context`` gave (a dialogue speaker, a list of people)."""
    return (
        text_names.name_context(text, span.start)
        or text_names.person_cue(text, span.start, span.end)
        or (span.start, span.end) in found
    )


#: a house number and one to four capitalised words after a span ("4 Queens Drive")
_NUMBERED_STREET = re.compile(r"[ \t,]+\d+[A-Za-z]?((?:[ \t]+[A-Z][\w'\u2019-]*){1,4})")


#: a facility named by what stands before it, written in lower case ("Alexandra Courts car
#: park", "the Agnes Smith advice centre"): a modifier, then a place word
_FACILITY_NEXT = re.compile(
    r"[ \t]+(?:car|community|advice|day|health|leisure|sports|youth|family|village|parish"
    r"|shopping|business|bus|visitor|play|skate|country|industrial|trading|arts?)[ \t]+"
    r"(?:park|parks|centre|centres|center|hall|halls|estate|station|ground|club|garden|gardens)\b"
)
#: a trade's premises named by a word or two before it, in lower case ("Bean and Brush
#: café", "Hazel bakery")
_TRADE_NEXT = re.compile(
    r"(?:[ \t]+(?:and|&)[ \t]+[A-Z][\w'\u2019-]*)?[ \t]+(?:café|cafe|bakery|bistro|restaurant"
    r"|shop|pub|salon|deli|bar|kitchen|bookshop|florist|boutique|brewery|tearoom|tea[ \t]+room)\b"
)
#: things named after a person, the name a modifier: "Juliet balcony", "Belisha beacon"
_EPONYM_NEXT = re.compile(r"[ \t]+(?:balcony|balconies|beacons?|boots|sponge)\b")


def _listed_with_things(text: str, span: TextSpan) -> bool:
    """True when a one-word span is listed only with capitalised plurals that no name lexicon
    knows ("Ladies, Mens and Childrens clothing"; not "Marrero and Murphy")."""
    members = text_names.list_members(text, span.start, span.end)
    mates = [text[s:e].lower() for s, e in members if (s, e) != (span.start, span.end)]
    given, surnames = names.lexicons()
    return bool(mates) and all(
        len(m) > 3 and m.endswith("s") and m not in given and m not in surnames for m in mates
    )


def _isle_of(text: str, span: TextSpan, words: list[str]) -> bool:
    """True when ``span`` holds or runs into a place named "Isle of ..." ("Douglas Isle" of
    "Douglas Isle Of Man")."""
    lowered = [w.lower() for w in words]
    if "isle" in lowered[:-1]:
        return lowered[lowered.index("isle") + 1] == "of"
    return lowered[-1:] == ["isle"] and re.match(r"[ \t]+of\b", text[span.end :], re.I) is not None


def _welsh_shire(text: str, span: TextSpan, words: list[str]) -> bool:
    """True for a Welsh county name: "Sir" and a county word ("Sir Gaerfyrddin"), or the
    county word after "Sir"."""
    if len(words) >= 2 and words[0].lower() == "sir":
        return words[1].lower() in voc.WELSH_SHIRES
    return (
        bool(words)
        and words[0].lower() in voc.WELSH_SHIRES
        and re.search(r"(?i)\bsir[ \t]+\Z", text[: span.start]) is not None
    )


#: what follows a place's name when it names a local authority
_COUNCIL_AFTER = (
    r"(?:county[ \t]+|borough[ \t]+|district[ \t]+|city[ \t]+|metropolitan[ \t]+)*"
    r"(?:council|county|borough|district|ua|unitary[ \t]+authority)\b"
)


def _names_a_council(text: str, fragment: str) -> bool:
    """True when the same text names a council, county or borough by ``fragment``'s words
    ("Milton Keynes ... milton keynes council", "Devon ... devon county"): a place."""
    if re.search(rf"(?i)[ \t]{_COUNCIL_AFTER}\Z", fragment):
        return True  # "Milton Keynes UA"
    pattern = rf"(?i)(?<!\w){re.escape(fragment)}[ \t]+{_COUNCIL_AFTER}"
    return re.search(pattern, text) is not None


def _place_name(text: str, span: TextSpan, words: list[str]) -> bool:
    """True when a PERSON span names a house or a place by its own words: a house word last or
    next ("Rose Cottage", "Glen Mona Bungalow"), a land feature after a word that is no given
    name ("Sulby Glen"), a name the text gives as a locality after a street ("Loop Road Glen
    Mona"), or a name that is no lexicon person name before a house number and a street
    ("Creg Malin 4 Queens Drive")."""
    lowered = [w.lower() for w in words]
    if not lowered:
        return False
    following = re.match(r"[ \t]+([A-Za-z]+)", text[span.end :])
    next_word = following.group(1) if following is not None else ""
    if lowered[-1] in voc.HOUSE_WORDS or next_word.lower() in voc.HOUSE_WORDS:
        return True
    if next_word[:1].isupper() and next_word.lower() in voc.PLACE_WORDS - voc.BUILDING_WORDS:
        return True  # the first words of a place's name: "Lambeth Pier", "Crystal Palace"
    if _FACILITY_NEXT.match(text, span.end):
        return True  # a name before a facility in lower case: "Rose Hill community centre"
    fragment = re.escape(text[span.start : span.end].strip())
    if re.search(rf"(?i:\b(?:{_SUFFIX_ALT}))[ \t,]+{fragment}\b", text):
        return True  # the text names it as a locality after a street ("Loop Road Glen Mona")
    if _given_name(lowered[0]):
        return False
    if any(w in voc.FEATURE_WORDS for w in lowered[1:]):
        return True
    street = _NUMBERED_STREET.match(text, span.end)
    return (
        street is not None
        and any(w.lower() in voc.STREET_SUFFIXES for w in _words(street.group(1))[1:])
        and not names.is_person_name(text[span.start : span.end])
    )


def _location_entity(text: str, span: TextSpan, fragment: str, words: list[str]) -> Entity | None:
    """LOCATION, PERSON ("Leanne Rees") or None (a generic public building) for a LOCATION
    span."""
    lowered = [w.lower() for w in words]
    first = lowered[0] if lowered else ""
    last = lowered[-1] if lowered else ""
    if _sentence_initial_word(text, span) and first not in voc.FORENAMES:
        return None
    if _public_building(fragment):
        return None
    digit = re.search(r"\d", fragment) is not None
    if (
        not digit
        and re.search(r"[a-z]", fragment) is not None  # an acronym ("US", "TfL" aside) is no name
        and last not in voc.STREET_SUFFIXES
        and not _address_tail(text, span)
        and len(words) <= 3
        and (
            first in voc.FORENAMES
            or names.is_person_name(fragment)
            or (
                len(words) >= 2
                and first in names.lexicons()[0]
                and words[-1][0].isupper()
                and not names.is_organisation_name(fragment)
            )
            or text_names.foreign_name_shape(fragment)
        )
    ):
        return Entity.PERSON
    return Entity.LOCATION


def _public_building(fragment: str) -> bool:
    """True for a generic public building or civic place, with or without "the"."""
    words = " ".join(re.sub(r"[^\w\s]", " ", fragment).lower().split())
    return words.removeprefix("the ") in voc.PUBLIC_BUILDINGS


def _with_listed_names(text: str, spans: list[TextSpan]) -> list[TextSpan]:
    """``spans`` plus the names listed with a found name (``text_names.coordinated_names``)
    and the other mentions of a found name's words (``_mentions``), never over a place found
    ("Milton Keynes" named as a council)."""
    persons = [(s.start, s.end) for s in spans if s.entity == Entity.PERSON]
    if not persons:
        return spans
    places = [(s.start, s.end) for s in spans if s.entity == Entity.LOCATION]
    listed = text_names.coordinated_names(text, persons)
    extra = [
        TextSpan(Entity.PERSON, s, e, 0.6)
        for s, e in listed + _mentions(text, persons + listed)
        if not any(ps < e and s < pe for ps, pe in places)
    ]
    return resolve_overlaps(spans + extra, text) if extra else spans


def _mentions(text: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Other mentions of the words of found names ("Yefremova" after "Faina D. Yefremova's",
    "Nicole" of a dialogue elsewhere), as a whole word or a possessive; titles, street words,
    organisation words and common English words are never taken."""
    wanted = {
        w
        for s, e in persons
        for w in _words(text[s:e])
        if len(w) > 2
        and w[0].isupper()
        and not re.fullmatch(rf"{voc.TITLES}|Councillor|Cllr", w)
        and not names.is_organisation_name(w)
        and w.lower() not in text_names.common_words()
    }
    if not wanted:
        return []
    alt = "|".join(re.escape(w) for w in sorted(wanted, key=len, reverse=True))
    return [
        (m.start(), m.end())
        for m in re.finditer(rf"(?<![\w'\u2019-])(?:{alt})(?![\w-])", text)
        if not any(s <= m.start() < e for s, e in persons)
    ]


def _chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Split ``text`` into pieces of at most ``size`` chars, at whitespace when possible."""
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        end = min(pos + size, len(text))
        if end < len(text):
            cut = max(text.rfind(" ", pos + size // 2, end), text.rfind("\n", pos + size // 2, end))
            if cut > pos:
                end = cut
        out.append((pos, text[pos:end]))
        pos = end
    return out


def _phone_recognizer() -> EntityRecognizer:
    """Presidio's phone recognizer for GB numbers, scored as a validated identifier.

    ``phonenumbers`` only matches numbers valid for the region, which is stronger evidence
    than Presidio's default 0.4 (below our threshold without context words).
    """
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class _GbPhoneRecognizer(PhoneRecognizer):
        SCORE = 0.7

    return _GbPhoneRecognizer(supported_regions=("GB",), name="GbPhoneRecognizer")


#: a UK-shaped phone number a few words after a phone word ("can be reached on 07700 900123"):
#: redacted even when it is not a live range (Ofcom's drama numbers, a mistyped digit)
PHONE_IN_CONTEXT = re.compile(
    r"(?i)\b(?:phone|telephone|tel|mobile|mob|call|ring|text|whatsapp|reached|number|contact)"
    r"\b[^\d\n]{0,25}(?P<num>(?:\+44\s?\(?0?\)?\s?|\(?0)\d[\d\s()-]{7,14}\d)"
)


def _phones_in_context(text: str) -> list[tuple[int, int]]:
    """UK-shaped numbers (10 or 11 digits with the 0, or +44 and 10) after a phone word."""
    out: list[tuple[int, int]] = []
    for m in PHONE_IN_CONTEXT.finditer(text):
        digits = re.sub(r"\D", "", m.group("num"))
        national = digits[2:] if digits.startswith("44") else digits.lstrip("0")
        if len(national) == 10 and not all_same_digit(national):
            out.append((m.start("num"), m.end("num")))
    return out


#: house number + capitalised street name + common suffix (a street address in prose)
STREET_ADDRESS_PATTERN = (
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'\-]+\s+){1,3}(?:Road|Rd|Street|St|Avenue|Ave"
    r"|Lane|Close|Drive|Way|Court|Crescent|Place|Gardens|Terrace|Grove|Hill|Row|Walk|Square"
    r"|Mews|Park|Parade|Rise|View|Green|Vale)\b"
)


def _street_address_recognizer() -> EntityRecognizer:
    """Street addresses in prose as LOCATION (spaCy's small model rarely tags them)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(
        supported_entity="LOCATION",
        name="TriageStreetAddressRecognizer",
        patterns=[Pattern("street address", STREET_ADDRESS_PATTERN, 0.6)],
        global_regex_flags=re.MULTILINE,
    )


_NAME_WORD = r"[A-Z][a-z]+(?:['\u2019-][A-Z]?[a-z]+)?"
_FORENAME_ALT = "|".join(sorted((n.capitalize() for n in voc.FORENAMES), key=len, reverse=True))
_SMALL_ALT = "|".join(sorted(w.capitalize() for w in voc.SMALL_WORDS))
_SUFFIX_ALT = "|".join(sorted((w.capitalize() for w in voc.STREET_SUFFIXES), key=len, reverse=True))
#: an honorific and one to three capitalised words ("Mr Callum Watts", "Dr. Patel")
TITLED_NAME_PATTERN = rf"\b{voc.TITLES}\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}\b"
#: a common forename and a capitalised surname, not a street ("Callum Watts", not "Victoria Road")
FORENAME_SURNAME_PATTERN = (
    rf"\b(?:{_FORENAME_ALT})\s+(?!(?:{_SUFFIX_ALT}|{_SMALL_ALT})\b){_NAME_WORD}"
    rf"(?:-{_NAME_WORD})?\b(?!\s+(?:{_SUFFIX_ALT})\b)"
)


def _person_name_recognizer() -> EntityRecognizer:
    """Person names in prose by pattern: a title or a common forename before a surname.

    Works without an NER model (pattern-only engines) and backs spaCy up when it has one.
    """
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(
        supported_entity="PERSON",
        name="TriagePersonNameRecognizer",
        patterns=[
            Pattern("titled name", TITLED_NAME_PATTERN, 0.6),
            Pattern("forename surname", FORENAME_SURNAME_PATTERN, 0.55),
        ],
        global_regex_flags=re.MULTILINE,
    )


def _fallback_uk_recognizers() -> list[EntityRecognizer]:
    """Presidio's own UK recognizers plus a sort-code pattern (used until the bridge exists)."""
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import (
        NhsRecognizer,
        UkDrivingLicenceRecognizer,
        UkNinoRecognizer,
        UkPassportRecognizer,
        UkVehicleRegistrationRecognizer,
    )

    postcode = PatternRecognizer(
        supported_entity="UK_POSTCODE",
        name="TriageFallbackPostcodeRecognizer",
        patterns=[
            Pattern(
                "postcode",
                r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b",
                0.6,
            )
        ],
        global_regex_flags=re.MULTILINE,
    )
    sort_code = PatternRecognizer(
        supported_entity="UK_SORT_CODE",
        name="TriageFallbackSortCodeRecognizer",
        patterns=[Pattern("sort code", r"\b\d{2}-\d{2}-\d{2}\b", 0.6)],
        context=["sort", "code", "bank", "account"],
    )
    return [
        NhsRecognizer(),
        UkNinoRecognizer(),
        postcode,
        UkVehicleRegistrationRecognizer(),
        UkPassportRecognizer(),
        UkDrivingLicenceRecognizer(),
        sort_code,
    ]


def _uk_recognizers() -> list[EntityRecognizer]:
    try:
        from triage.classifiers.presidio_bridge import uk_recognizers
    except ImportError:
        logger.warning("triage.classifiers.presidio_bridge unavailable; using fallback recognizers")
        return _fallback_uk_recognizers()
    return list(uk_recognizers())


def _date_recognizers() -> list[EntityRecognizer]:
    """Validated calendar dates by pattern (spaCy's DATE needs the model)."""
    try:
        from triage.classifiers.presidio_bridge import text_recognizers
    except ImportError:
        return []
    return list(text_recognizers())


def _card_recognizer(presidio_default: Callable[[], EntityRecognizer]) -> EntityRecognizer:
    """Payment cards through our detector (Luhn, issuer prefixes and lengths, including the
    Mastercard 2-series 2221-2720 that Presidio's pattern misses); Presidio's own without the
    bridge."""
    try:
        from triage.classifiers.presidio_bridge import detector_recognizer
    except ImportError:
        return presidio_default()
    return detector_recognizer("credit_card")


def _build_registry(uk: list[EntityRecognizer]) -> Any:
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        NhsRecognizer,
        UrlRecognizer,
    )

    from triage.classifiers.presidio_bridge import span_recognizer

    covered = {ent for rec in uk for ent in rec.supported_entities}
    recognizers: list[EntityRecognizer] = [
        EmailRecognizer(),
        _phone_recognizer(),
        span_recognizer("PHONE_NUMBER", "TriagePhoneInContextRecognizer", _phones_in_context, 0.6),
        IpRecognizer(),
        _card_recognizer(CreditCardRecognizer),
        IbanRecognizer(),
        UrlRecognizer(),
        _street_address_recognizer(),
        span_recognizer("LOCATION", "TriageAddressRecognizer", find_addresses, 0.6),
        span_recognizer("PHONE_NUMBER", "TriageTextPhoneRecognizer", find_phones, 0.6),
        _person_name_recognizer(),
        span_recognizer("PERSON", "TriageContextNameRecognizer", text_names.context_names, 0.7),
    ]
    if "UK_NHS" not in covered:
        recognizers.append(NhsRecognizer())
    if "DATE_TIME" not in covered:
        recognizers.extend(_date_recognizers())
    recognizers.extend(uk)
    return RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])


@dataclass
class TextAnalyzer:
    """Presidio analysis of free text mapped onto triage entities.

    Build with :meth:`create`. ``model_name`` is None in pattern-only mode; ``problems``
    then holds a ``nlp_model_missing`` problem that forces at least a referral.
    """

    engine: AnalyzerEngine
    nlp: Language | None
    model_name: str | None
    problems: list[Problem] = field(default_factory=list)
    score_threshold: float = 0.5
    batch_size: int = 32

    @classmethod
    def create(
        cls,
        nlp: NlpSettings,
        score_threshold: float = 0.5,
        recognizers: list[EntityRecognizer] | None = None,
    ) -> TextAnalyzer:
        """Build an analyzer offline.

        Parameters
        ----------
        nlp
            Which spaCy model to use; ``model=None`` means pattern-only.
        score_threshold
            Minimum Presidio score kept.
        recognizers
            UK recognizers to register (default: ``presidio_bridge.uk_recognizers()``).
        """
        logging.getLogger("tldextract").setLevel(logging.CRITICAL)
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import (
            NerModelConfiguration,
            NlpEngine,
            NoOpNlpEngine,
            SpacyNlpEngine,
        )

        problems: list[Problem] = []
        language_model: Language | None = None
        if nlp.model is None:
            problems.append(
                Problem(
                    kind="nlp_model_missing",
                    message="no spaCy model configured: pattern-only text analysis "
                    "(names, places and dates in free text are found by patterns only)",
                    forces=Decision.REFER,
                )
            )
        else:
            try:
                language_model = load_spacy(nlp.model, disable=UNUSED_PIPES)
            except ConfigError as exc:
                problems.append(
                    Problem(
                        kind="nlp_model_missing",
                        message=f"{exc}; pattern-only text analysis "
                        "(names, places and dates in free text are found by patterns only)",
                        forces=Decision.REFER,
                    )
                )

        engine: NlpEngine
        if language_model is not None:
            assert nlp.model is not None
            ner_config = NerModelConfiguration(
                labels_to_ignore=list(SPACY_LABELS_TO_IGNORE),
                model_to_presidio_entity_mapping=dict(SPACY_ENTITY_MAPPING),
            )
            spacy_engine = SpacyNlpEngine(
                models=[{"lang_code": "en", "model_name": nlp.model}],
                ner_model_configuration=ner_config,
            )
            # Hand over the already loaded (cached) pipeline; SpacyNlpEngine.load() would
            # try to download a model it cannot find.
            spacy_engine.nlp = {"en": language_model}  # type: ignore[assignment]
            engine = spacy_engine
        else:
            noop = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
            noop.load()
            engine = noop

        registry = _build_registry(
            list(recognizers) if recognizers is not None else _uk_recognizers()
        )
        if language_model is not None:
            registry.add_nlp_recognizer(engine)
        analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=engine,
            supported_languages=["en"],
            default_score_threshold=score_threshold,
        )
        return cls(
            engine=analyzer,
            nlp=language_model,
            model_name=nlp.model if language_model is not None else None,
            problems=problems,
            score_threshold=score_threshold,
        )

    @property
    def pattern_only(self) -> bool:
        """True when no NER model is loaded."""
        return self.nlp is None

    def _entities(self) -> list[str]:
        supported = set(self.engine.get_supported_entities("en"))
        return sorted(name for name in supported if name in _ENTITY_BY_NAME)

    def _to_spans(self, results: list[RecognizerResult], offset: int) -> list[TextSpan]:
        spans: list[TextSpan] = []
        for res in results:
            entity = _ENTITY_BY_NAME.get(res.entity_type)
            if entity is None or res.score < self.score_threshold:
                continue
            spans.append(TextSpan(entity, res.start + offset, res.end + offset, float(res.score)))
        return spans

    def analyze(self, texts: list[str]) -> list[list[TextSpan]]:
        """Entities in each text, overlaps resolved, sorted by position.

        Texts over ``CHUNK_CHARS`` are split into chunks; missing values give no spans.
        """
        from presidio_analyzer import BatchAnalyzerEngine

        pieces: list[tuple[int, int, str]] = []  # (text index, offset, chunk)
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                continue
            for offset, chunk in _chunks(text):
                pieces.append((i, offset, chunk))
        out: list[list[TextSpan]] = [[] for _ in texts]
        if not pieces:
            return out
        batch = BatchAnalyzerEngine(analyzer_engine=self.engine)
        results = batch.analyze_iterator(
            [p[2] for p in pieces],
            language="en",
            batch_size=self.batch_size,
            entities=self._entities(),
            score_threshold=self.score_threshold,
        )
        raw: list[list[TextSpan]] = [[] for _ in texts]
        for (i, offset, _), res in zip(pieces, results, strict=True):
            raw[i].extend(self._to_spans(res, offset))
        return [
            _with_listed_names(texts[i], resolve_overlaps(clean_spans(texts[i], spans), texts[i]))
            for i, spans in enumerate(raw)
        ]

    def redact(self, texts: list[str]) -> list[str]:
        """``texts`` with each detected span replaced by ``<ENTITY_NAME>``."""
        out: list[str] = []
        for text, spans in zip(texts, self.analyze(texts), strict=True):
            if not spans:
                out.append(text)
                continue
            parts: list[str] = []
            pos = 0
            for span in spans:
                parts.append(text[pos : span.start])
                parts.append(f"<{span.entity.value}>")
                pos = span.end
            parts.append(text[pos:])
            out.append("".join(parts))
        return out

    def person_names(self, values: list[str]) -> np.ndarray | None:
        """Which short ``values`` are person names according to spaCy NER.

        Each value is read inside the carrier sentence ``NAME_TEMPLATE`` (the small model tags
        bare phrases poorly); it counts when PERSON entities cover at least 60 % of it.
        Returns None in pattern-only mode (the caller reports the missing model).
        """
        if self.nlp is None:
            return None
        prefix = NAME_TEMPLATE.index("{}")
        texts = [NAME_TEMPLATE.format(str(v).strip()) for v in values]
        flags = np.zeros(len(values), dtype=bool)
        for i, doc in enumerate(self.nlp.pipe(texts, batch_size=64)):
            length = len(str(values[i]).strip())
            if not length:
                continue
            start, end = prefix, prefix + length
            covered = sum(
                max(0, min(end, e.end_char) - max(start, e.start_char))
                for e in doc.ents
                if e.label_ == "PERSON"
            )
            flags[i] = covered >= 0.6 * length
        return flags
