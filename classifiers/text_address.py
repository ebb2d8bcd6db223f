"""Street addresses in free text, UK and other countries' forms, as LOCATION spans.

An address is a *core* plus what follows it in the same address block:

* a house number before a street ("12 High Street", "185-187 OXFORD STREET", "1 W 47th St"),
  the street ending in a street word (English and the USPS/Royal Mail suffixes Faker ships,
  "Road", "Blvd", "Close") or opening with one ("62 Rue Gafsa", "10 Via Roma");
* a street before its number ("Villacher Strasse 89", "Puruntie 82", "Calle Mayor 5"), the
  street word a separate word or the end of a compound ("-strasse", "-gatan", "-vej", "-katu");
* a number, one capitalised word and a number closing an address line ("20789 Allika 46,");
* a flat or unit ("Flat 2C", "Apt. 864", "Suite 501") or a PO box, military ones too
  ("PSC 0413, Box 8144").

The span then runs on over units, postcodes, ZIP codes and up to four short capitalised
segments (town, region, country) separated by commas or line breaks. A street name without a
house number is not matched: a street alone is not personal data. Lower-case words inside a
street are accepted only when a unit, a postcode or a ZIP code follows ("5 miles down the
road" is prose).
"""

from __future__ import annotations

import importlib
import re
from functools import cache

from triage.classifiers import names
from triage.classifiers import vocabularies as voc
from triage.classifiers.text_names import common_words

#: Faker address locales whose street suffixes are read (English-speaking: USPS and Royal Mail
#: street designators)
SUFFIX_LOCALES = ("en_US", "en_GB", "en_AU", "en_CA", "en_IE", "en_NZ")
#: street words of other languages, as separate words ("Rue", "Strasse") or compound endings
FOREIGN_WORDS: frozenset[str] = frozenset(
    [
        "rue",
        "avenue",
        "avenida",
        "boulevard",
        "blvd",
        "chemin",
        "allée",
        "allee",
        "impasse",
        "quai",
        "place",
        "via",
        "viale",
        "piazza",
        "corso",
        "vicolo",
        "calle",
        "carrer",
        "camino",
        "paseo",
        "plaza",
        "rua",
        "travessa",
        "largo",
        "praça",
        "strasse",
        "straße",
        "gasse",
        "weg",
        "platz",
        "allee",
        "ring",
        "damm",
        "ufer",
        "chaussee",
        "steig",
        "pfad",
        "laan",
        "straat",
        "weg",
        "plein",
        "gracht",
        "kade",
        "singel",
        "dreef",
        "gatan",
        "vägen",
        "gata",
        "vei",
        "veien",
        "vej",
        "gade",
        "allé",
        "stræde",
        "tie",
        "katu",
        "kuja",
        "polku",
        "raitti",
        "tanhua",
        "utca",
        "út",
        "tér",
        "körút",
        "ulica",
        "aleja",
        "náměstí",
        "třída",
        "ulice",
        "cesta",
        "trg",
        "ulitsa",
        "odos",
        "οδός",
        "λεωφόρος",
        "caddesi",
        "sokak",
        "bulvarı",
    ]
)
#: compound endings that mark a street in one word ("Bahnhofstrasse", "Storgatan")
COMPOUND_ENDINGS: tuple[str, ...] = (
    "strasse",
    "straße",
    "gasse",
    "weg",
    "platz",
    "allee",
    "straat",
    "laan",
    "gracht",
    "gatan",
    "vägen",
    "gata",
    "veien",
    "vegen",
    "vej",
    "gade",
    "stræde",
    "vænget",
    "tie",
    "katu",
    "kuja",
    "polku",
    "utca",
    "ulica",
    "straede",
)
#: words that end a segment of prose, never a street's own word before the number
_NOT_STREET = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "page",
        "pages",
        "chapter",
        "section",
        "item",
        "items",
        "figure",
        "table",
        "year",
        "years",
        "week",
        "weeks",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
        "floor",
        "room",
        "part",
        "no",
        "number",
        "version",
        "and",
        "or",
        "the",
        "of",
    ]
)
#: street words written before the street's name ("Rue Gafsa", "ul. Słowicza", "Via Roma")
PREFIXES = (
    "rue|via|viale|calle|carrer|rua|avenida|avenue|boulevard|chemin|allée|piazza|corso|paseo"
    "|ul|al|aleja|ulica|trg|plac|λεωφόρος|οδός|odos|rúa"
)
_WORD = r"[^\W\d_][\w'\u2019.&-]*"
_NUM = r"\d{1,5}[A-Za-z]?(?:\s?[-\u2013/]\s?\d{1,5}[A-Za-z]?)?"
UNIT = (
    r"\b(?i:flat|apartment|apt|suite|ste|unit|studio|room|rm|block|bldg|building|floor"
    r"|no|num)(?:\.[ \t]?|[ \t]+|[ \t]?#[ \t]?)[A-Za-z]?\d{1,5}[A-Za-z]?\b"
)
PO_BOX = (
    r"(?i:(?:p\.?\s?o\.?\s?box|(?:psc|unit)\s\d{3,5},?\s?box|usns\s" + _WORD + r")[ \t]?\d{0,6})"
)
#: a UK postcode as written at the end of an address
UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_ZIP = r"\d{4,6}(?:-\d{3,4})?"
#: a numbered street's name ("30th Ave", "W 47th St", "2nd Avenue")
_ORDINAL = r"\d{1,3}(?i:st|nd|rd|th)"
_PURE = re.compile(rf"{UNIT}|{PO_BOX}|{UK_POSTCODE}|{_ZIP}")
_LETTERS = r"(?:[^\W\d]|['\u2019.()-])*"
_CAP = "[A-Z\u00c0-\u00de\u0391-\u03a9]"
#: one segment after the core: a unit, a box, a postcode, or a short capitalised place
_SEGMENT = re.compile(
    rf"(?:{UNIT}|{PO_BOX}|{UK_POSTCODE}|{_ZIP}|(?:(?:APO|FPO|DPO)\s+[A-Z]{{2}}\s+\d{{4,6}})"
    rf"|{_CAP}{_LETTERS}(?:[ \t]+(?:{_CAP}|\(){_LETTERS}){{0,3}}"
    rf"(?:[ \t]+(?:{_ZIP}|{UK_POSTCODE}))?)(?![\w@:])"
)
_SEPARATOR = re.compile(
    r"[ \t]*(?:\n[ \t>]*){0,2},[ \t]*(?:\n[ \t>]*)?|[ \t]*(?:\n[ \t>]*){1,2}"
    r"|[ \t]+(?=\d|(?i:flat|apt|suite|unit))"
)
_SPACE = re.compile(r"[ \t]+")
_LOWER_LINE = re.compile(
    r"[^\W\d_][\w'\u2019.-]*(?:[ \t]+[^\W\d_][\w'\u2019.-]*){0,4}[ \t]*(?=\n|$)"
)
_UNIT_END = re.compile(rf"{UNIT}$")
_STRONG_UNIT = re.compile(r"(?i:flat|apartment|apt|suite|ste|unit|studio)\b")
#: a postcode or building number (four to six digits, not a year) just before a one-word
#: street written name first ("at 07576 Magasinsgatan 7")
_NUMBER_BEFORE = re.compile(r"(?<![\w.,/:-])(?!(?:19|20)\d\d\b)\d{4,6}[ \t]+\Z")
_LOWER_TAIL = re.compile(rf"\s*,?\s*(?:{UNIT}|{UK_POSTCODE}|{_ZIP}\b)")


@cache
def street_words() -> frozenset[str]:
    """Lower-case street designators: ours, Faker's English-locale suffixes and
    :data:`FOREIGN_WORDS`."""
    words: set[str] = set(voc.STREET_SUFFIXES) | set(FOREIGN_WORDS)
    words |= {"boulevard", "blvd", "highway", "hwy", "parkway", "pkwy", "expressway", "route"}
    for locale in SUFFIX_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("street_suffixes", "street_suffixes_long", "street_suffixes_short"):
            values = getattr(provider, attr, ())
            if isinstance(values, list | tuple | dict):
                words |= {str(v).lower().rstrip(".") for v in values if str(v).strip()}
    return frozenset(w for w in words if w and w not in _NOT_STREET)


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    alt = "|".join(sorted((re.escape(w) for w in street_words()), key=len, reverse=True))
    ends = "|".join(COMPOUND_ENDINGS)
    street = rf"(?i:{alt})\.?"
    number_first = re.compile(
        rf"(?<![\w.,/-])(?:\d{{1,5}}\s+)?{_NUM},?\s+(?P<words>(?:(?:{_WORD}|{_ORDINAL})\s+){{1,3}})"
        rf"{street}(?![\w'])"
    )
    prefix_first = re.compile(
        rf"(?<![\w.,/-])(?P<num>{_NUM},?\s+)?(?i:{PREFIXES})\.?\s+"
        rf"(?P<words>(?:{_WORD})(?:\s+{_WORD}){{0,2}})(?P<after>\s+\d{{1,4}}[A-Za-z]?\b)?"
    )
    name_first = re.compile(
        rf"(?<![\w'])(?P<words>(?:[^\W\d_][\w'\u2019.-]*\s+){{0,2}})"
        rf"(?P<last>[^\W\d_][\w'\u2019-]*?(?i:{ends})|(?i:{'|'.join(FOREIGN_WORDS)}))\.?"
        rf"\s+\d{{1,4}}[A-Za-z]?\b(?![.,:]\d|\s?%|\s?(?i:am|pm)\b)"
    )
    number_word_number = re.compile(
        rf"(?<![\w.,/-])\d{{1,5}}\s+(?P<words>[A-Z\u00c0-\u00de][\w'\u2019-]+(?:\s+[A-Z\u00c0-\u00de][\w'\u2019-]+)?)"
        rf"\s+\d{{1,4}}[A-Za-z]?"
        rf"(?=\s*(?:\n|,|{UNIT}))"
    )
    unit = re.compile(rf"(?<![\w-]){UNIT}|(?<![\w-]){PO_BOX}\b")
    return number_first, prefix_first, name_first, number_word_number, unit


def _capitalised(words: str) -> bool:
    return all(w[0].isupper() or w[0].isdigit() for w in words.split())


def _extend(text: str, end: int) -> int:
    """The end of the address block that starts before ``end``.

    After a comma in prose only units, postcodes and ZIP codes are taken, and a town only
    before a postcode ("4 Elm Road, Leeds" keeps "Leeds": a place name is not personal data;
    "4 Elm Road, Leeds LS1 4AB" is one address); the lines of an address block and the words
    after a flat or suite number are taken.
    """
    segments = 0
    pos = last = end
    in_block = _UNIT_END.search(text, max(0, end - 12), end) is not None
    while segments < 5:
        sep = _SEPARATOR.match(text, pos) or (_SPACE.match(text, pos) if in_block else None)
        if sep is None:
            break
        seg = _SEGMENT.match(text, sep.end())
        if (seg is None or seg.end() == seg.start()) and in_block:
            seg = _LOWER_LINE.match(text, sep.end())
        if seg is None or seg.end() == seg.start():
            break
        words = seg.group(0).lower().split()
        if words and words[0] in _NOT_STREET:
            break
        if not (
            in_block
            or "\n" in sep.group(0)
            or _PURE.fullmatch(seg.group(0))
            or _before_postcode(text, seg.start(), seg.end())
        ):
            break  # a town in prose stays: "4 Elm Road, Leeds" keeps "Leeds"
        strong = True
        in_block = in_block or _UNIT_END.search(seg.group(0)) is not None
        pos = seg.end()
        if strong:
            last = pos
        segments += 1
    return last


#: the rest of an address after a town: up to two more places ("Lancashire"), then a UK
#: postcode
_POSTCODE_NEXT = re.compile(
    rf"(?:[ \t]*,[ \t]*{_CAP}{_LETTERS}(?:[ \t]+{_CAP}{_LETTERS}){{0,2}}){{0,2}}"
    rf"[ \t]*,?[ \t]*{UK_POSTCODE}\b"
)
_ENDS_IN_POSTCODE = re.compile(rf"[ \t]{UK_POSTCODE}\Z")


def _before_postcode(text: str, start: int, end: int) -> bool:
    """True when the place ``text[start:end]`` ends in a UK postcode or comes before one: the
    towns between a street and its postcode are part of the address ("12 Henry Route,
    Clementsborough, W2 5DQ", "112 Station Road, Burnley, Lancashire, BB11 3HQ")."""
    return (
        _ENDS_IN_POSTCODE.search(text[start:end]) is not None
        or _POSTCODE_NEXT.match(text, end) is not None
    )


_PLACE_SEGMENT = rf"{_CAP}{_LETTERS}(?:[ \t]+{_CAP}{_LETTERS}){{0,3}}"
#: two to four places, one a street or a house, before a postcode ("Rose Cottage, Lower Lane,
#: Little Snoring, Norfolk NR21 0AA")
_SEGMENTS_POSTCODE = re.compile(
    rf"(?<![\w,])(?P<places>{_PLACE_SEGMENT}(?:[ \t]*(?:,|\n)[ \t]*{_PLACE_SEGMENT}){{1,3}})"
    rf"[ \t]*(?:,|\n)?[ \t]*{UK_POSTCODE}\b"
)


def _unnumbered_before_postcode(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of an address without a house number that ends in a UK postcode:
    from its first segment ending in a street or house word to the postcode."""
    out: list[tuple[int, int]] = []
    for m in _SEGMENTS_POSTCODE.finditer(text):
        for part in re.finditer(r"[^,\n]+", m.group("places")):
            words = part.group(0).lower().split()
            if words and (words[-1] in street_words() or words[-1] in voc.HOUSE_WORDS):
                out.append((m.start("places") + part.start() + _lead(part.group(0)), m.end()))
                break
    return out


def _lead(part: str) -> int:
    return len(part) - len(part.lstrip())


def _corner(text: str, end: int) -> int:
    """The end of a second street after "and" ("the corner of 5 X Street and Y Road")."""
    m = re.match(rf"[ \t]+and[ \t]+((?:{_WORD}[ \t]+){{0,3}}{_WORD})", text[end : end + 80])
    if m is None or m.group(1).split()[-1].lower().rstrip(".") not in street_words():
        return end
    return end + m.end()


#: "the corner of A and B": two streets, a house number on one of them
_CORNER = re.compile(
    r"(?i:\b(?:the[ \t]+)?corner[ \t]+of)[ \t]+(?P<a>[^\n,;:!?]{3,60}?)[ \t]+and[ \t]+"
    r"(?P<b>[^\W\d_][\w'\u2019.-]*(?:[ \t]+[\w'\u2019.-]+){0,3})"
)


def _street_word(word: str) -> bool:
    """A street designator, alone ("Road", "str.") or ending a compound ("Storgatan")."""
    low = word.lower().rstrip(".")
    return low in street_words() or any(
        low.endswith(e) and len(low) > len(e) + 2 for e in COMPOUND_ENDINGS
    )


def corners(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of street corners given as an address ("the corner of Dalbraut 99
    and Frederikke Coves"), the phrase included: a house number on one street and a street
    word ending the other; a corner without a number is a place, not an address."""
    out: list[tuple[int, int]] = []
    for m in _CORNER.finditer(text):
        second = list(re.finditer(r"[^ \t.]+", m.group("b")))
        cut = next((w for w in second if _street_word(w.group())), None)
        if cut is not None and any(
            w.group().lower() in common_words() for w in second if w.start() < cut.start()
        ):
            cut = None  # prose after "and": "5 Elm Road and then turn left"
        if cut is not None:
            end = m.start("b") + cut.end()
        elif _street_word(m.group("a").split()[-1]):
            end = m.end("a")
        else:
            continue
        if re.search(r"\d", text[m.start("a") : end]):
            out.append((m.start(), end))
    return out


def find_addresses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of street addresses in ``text``, not overlapping, sorted."""
    number_first, prefix_first, name_first, nwn, unit = _patterns()
    spans: list[tuple[int, int]] = []
    given, _ = names.lexicons()
    for m in prefix_first.finditer(text):
        if not (m.group("num") or m.group("after")):
            continue
        end = m.end()
        if not m.group("after"):  # trim lower-case words after the street's name
            lead = m.group("words").split()
            while lead and not lead[-1][0].isupper():
                lead.pop()
            if not lead:
                continue
            end = m.start("words") + len(" ".join(lead))
        spans.append((m.start(), end))
    for rx in (number_first, nwn):
        for m in rx.finditer(text):
            words = m.group("words")
            named = words.split()[1:] if words.startswith("The ") else words.split()
            if any(w.lower() in _NOT_STREET for w in named):  # "5 The Crescent" is a street
                continue
            if not _capitalised(words) and not _LOWER_TAIL.match(text, m.end()):
                continue
            spans.append((m.start(), m.end()))
    for m in name_first.finditer(text):
        last = m.group("last")
        words = m.group("words")
        if last.lower() in given or last.lower() in _NOT_STREET:
            continue
        if not (last[0].isupper() or _LOWER_TAIL.match(text, m.end())):
            continue
        # keep only the capitalised words just before the street word
        lead = words.split()
        while lead and not lead[0][0].isupper():
            lead.pop(0)
        start = max(m.start("last") - (len(" ".join(lead)) + 1 if lead else 0), m.start())
        number = None if lead else _NUMBER_BEFORE.search(text, max(0, start - 8), start)
        spans.append((number.start() if number else start, m.end()))
    for m in unit.finditer(text):
        spans.append((m.start(), m.end()))
    spans.extend(_unnumbered_before_postcode(text))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        end = _extend(text, end)
        if re.search(r"(?i)\bcorner\s+of\s*$", text[max(0, start - 14) : start]):
            end = _corner(text, end)
        if merged and start <= merged[-1][1] + 2:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[tuple[int, int]] = []
    for start, end in merged:
        end = max(end, _labelled_line_end(text, start))
        while end > start and text[end - 1] in " \t\n,.":
            end -= 1
        if (re.search(r"\d", text[start:end]) and not _only_unit(text[start:end])) or (
            _STRONG_UNIT.match(text, start) and _near_address(text, start, end, out)
        ):
            out.append((start, end))
    return _union(out, corners(text))


#: an address label just before an address ("address:\n106 Rua Olmos 44, Belfast")
_ADDRESS_LABEL = re.compile(r"(?i)\baddress[ \t]*:[ \t]*(?:\n[ \t]*)?\Z")


def _labelled_line_end(text: str, start: int) -> int:
    """The end of the line of an address that an address label opens (its town and country
    are the address the label gives, not a place named in prose); ``start`` otherwise."""
    if not _ADDRESS_LABEL.search(text, max(0, start - 40), start):
        return start
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return end if end - start <= 80 else start


def _union(spans: list[tuple[int, int]], more: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` and ``more`` with overlapping ones joined, sorted."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans + more):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _only_unit(fragment: str) -> bool:
    return re.fullmatch(rf"\s*(?:{UNIT})\s*", fragment) is not None


def _near_address(text: str, start: int, end: int, found: list[tuple[int, int]]) -> bool:
    """A bare unit ("Suite 501") counts when it stands in an address block or after a street
    word: its own line, or next to an address already found."""
    if found and start - found[-1][1] <= 3:
        return True
    before = text[max(0, start - 2) : start]
    return "\n" in before or text[end : end + 1] in ("\n", ",")
