"""Person names in free text that the NER model misses or the lexicons cannot confirm.

* **labelled**: capitalised words after a name label ("Name: Sieda Batukayev", "My name is
  Rubija", "Dear Ms Okafor", "Kind regards,\\nPriya Shah");
* **echoed by an e-mail address** in the same text: "leone mazzi" beside
  ``leonemazzi@rhyta.com``, "Erik Baader" beside ``ErikBaader@...``: the address's local part
  spells the name, in any case;
* **name-shaped** words for a span the model tagged PERSON: a surname ending of the UK's
  largest communities' languages ("-ova", "-ović", "-sson", "-escu", "-enko") or letters with
  diacritics, which English organisation and product names rarely carry
  (:func:`foreign_name_shape`, used by ``text.clean_spans``).

Organisation and place words (``names.ORG_WORDS``) veto all three.
"""

from __future__ import annotations

import re
from functools import cache

from triage.classifiers import names

#: labels after which capitalised words are a person's name (case-insensitive)
NAME_LABEL = re.compile(
    r"(?i:\b(?:my\s+name\s+is|name\s+is|(?:full\s+|first\s+|last\s+|given\s+|sur)?name\s*[:?]"
    r"|(?:mr|mrs|ms|miss|mx|dr|prof)\.(?=[ \t]+[A-Z])"
    r"|dear|directed\s+by\s*:?|written\s+by\s*:?|signed\s*:?|attn\s*:?|kind\s+regards,?"
    r"|best\s+regards,?|yours\s+sincerely,?|many\s+thanks,?|contact\s+name\s*:?))"
    r"[ \t]*\n?[ \t]*"
)
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_CAP_WORD = rf"[{_UPPER}][\w'\u2019-]*[^\W\d_]"
_NAME_AFTER = re.compile(
    rf"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?[ \t]+)?{_CAP_WORD}"
    rf"(?:[ \t]+(?:[{_UPPER}]\.?[ \t]+)?{_CAP_WORD}){{0,2}}"
)
#: surname endings (Slavic, Baltic, Nordic, Romanian, Ukrainian, Armenian, Georgian, Turkish)
SURNAME_ENDINGS = (
    "ova",
    "ová",
    "eva",
    "ovich",
    "ovic",
    "ović",
    "evic",
    "ević",
    "ić",
    "sson",
    "ssen",
    "sen",
    "escu",
    "enko",
    "chuk",
    "czuk",
    "ski",
    "ska",
    "sky",
    "ská",
    "ayev",
    "iyev",
    "ov",
    "ev",
    "yan",
    "ian",
    "shvili",
    "dze",
    "oğlu",
    "gil",
    "aitis",
    "auskas",
    "iene",
)
_DIACRITIC = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


#: salutations that are not names ("Dear Sir", "Dear Colleagues")
GENERIC_ADDRESSEES = frozenset(
    [
        "sir",
        "sirs",
        "madam",
        "madame",
        "all",
        "team",
        "colleague",
        "colleagues",
        "customer",
        "customers",
        "resident",
        "residents",
        "friend",
        "friends",
        "member",
        "members",
        "parent",
        "parents",
        "applicant",
        "requester",
        "requestor",
        "everyone",
        "partner",
        "partners",
        "neighbour",
        "neighbours",
        "manager",
        "editor",
    ]
)


def labelled_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of names after a name label."""
    out: list[tuple[int, int]] = []
    for m in NAME_LABEL.finditer(text):
        name = _NAME_AFTER.match(text, m.end())
        if name is None or names.is_organisation_name(name.group(0)):
            continue
        first = name.group(0).split()[0].lower().rstrip(".")
        if first in GENERIC_ADDRESSEES:
            continue
        if "\n" in text[m.start() : name.start()] and not re.search(
            r"(?i)regards|sincerely|thanks", m.group(0)
        ):
            continue
        out.append((name.start(), name.end()))
    return out


_PAIR = re.compile(
    rf"(?<![\w@.])(?P<first>{_CAP_WORD})(?:[ \t]+[{_UPPER}]\.?)?[ \t]+(?P<last>{_CAP_WORD})"
    rf"(?![\w@]|[ \t]+(?:{_CAP_WORD}))"
)
_INITIALLED = re.compile(
    rf"(?<![\w@.])(?P<first>{_CAP_WORD})[ \t]+[{_UPPER}]\.?[ \t]+(?P<last>{_CAP_WORD})(?![\w@])"
)
_LINE = re.compile(r"(?m)^[ \t>]*(?P<name>[^\W\d_]+(?:[ \t]+[^\W\d_]+){1,2})[ \t]*$")


def lexicon_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of a known given name and a surname-like word ("Ana Dias",
    "Lina Artemova"), and of whole lines that are a lexicon-confirmed name in any case
    ("naomi ryan" above an address)."""
    given, surnames = names.lexicons()
    out: list[tuple[int, int]] = []
    for m in _PAIR.finditer(text):
        first, last = m.group("first").lower(), m.group("last").lower()
        if first not in given or names.is_organisation_name(m.group(0)):
            continue
        if last in surnames or foreign_name_shape(m.group(0)):
            out.append((m.start(), m.end()))
    for m in _INITIALLED.finditer(text):  # "Faina D. Yefremova", "Mijail C Adomo"
        words = [m.group("first").lower(), m.group("last").lower()]
        if not names.is_organisation_name(m.group(0)) and not any(
            w in common_words() or w in GENERIC_ADDRESSEES for w in words
        ):
            out.append((m.start(), m.end()))
    for m in _LINE.finditer(text):
        value = m.group("name")
        words = value.lower().split()
        if words[0] in given and words[-1] in surnames and names.is_person_name(value):
            out.append((m.start("name"), m.end("name")))
    return out


def _local_parts(text: str) -> list[str]:
    return [
        m.group(1).lower()
        for m in re.finditer(r"([A-Za-z][A-Za-z._-]{3,40})@[\w-]+(?:\.[\w-]+)+", text)
    ]


_WORD_PAIR = re.compile(r"(?<![\w@.])([^\W\d_]+)[ \t]+(?:[^\W\d_]\.?[ \t]+)?([^\W\d_]+)")


def echoed_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of two words that an e-mail local part in ``text`` spells."""
    wanted = set()
    for local in _local_parts(text):
        letters = re.sub(r"[^a-z]", "", local)
        if len(letters) >= 5 and names.email_kind(local + "@x") != "role":
            wanted.add(letters)
    if not wanted:
        return []
    out: list[tuple[int, int]] = []
    pos = 0
    while True:  # overlapping pairs: "Dr Erik Baader" holds "Dr Erik" and "Erik Baader"
        m = _WORD_PAIR.search(text, pos)
        if m is None:
            break
        joined = (m.group(1) + m.group(2)).lower()
        if joined in wanted and not names.is_organisation_name(m.group(0)):
            out.append((m.start(), m.end()))
        pos = m.start(2) if m.start(2) > m.start() else m.end()
    return out


def foreign_name_shape(fragment: str) -> bool:
    """True when a two- or three-word span looks like a name: every word capitalised and one
    ending in a surname ending or carrying a diacritic ("Rubija Liberšar", "Ushurma
    Dratchev"); never with an organisation or place word."""
    words = [w.strip(".,'\u2019") for w in fragment.split()]
    words = [w for w in words if len(w) > 1]
    if not 2 <= len(words) <= 3 or names.is_organisation_name(fragment):
        return False
    if not all(w[0].isupper() and not w.isupper() for w in words if len(w) > 1):
        return False
    last = words[-1].lower()
    return any(last.endswith(e) and len(last) > len(e) + 2 for e in SURNAME_ENDINGS) or any(
        _DIACRITIC.search(w) for w in words
    )


def name_context(text: str, start: int) -> bool:
    """True when a name label ends right before ``start``."""
    before = text[max(0, start - 40) : start]
    return any(m.end() == len(before) for m in NAME_LABEL.finditer(before))


def echoed(text: str, start: int, end: int) -> bool:
    """True when an e-mail local part in ``text`` spells the words ``text[start:end]``."""
    return any(s <= start and end <= e for s, e in echoed_names(text))


def context_names(text: str) -> list[tuple[int, int]]:
    """Labelled, e-mail-echoed and lexicon-confirmed names of ``text``, in order."""
    return sorted(set(labelled_names(text)) | set(echoed_names(text)) | set(lexicon_names(text)))


@cache
def common_words() -> frozenset[str]:
    """Common English words (Faker's en_US lorem list): a sentence-opening word among them is
    not taken for a given name ("Will", "Bill")."""
    try:
        from faker.providers.lorem.en_US import Provider
    except ImportError:
        return frozenset()
    return frozenset(str(w).lower() for w in Provider.word_list)


_LIST_WORD = rf"{_CAP_WORD}(?:[ \t]+{_CAP_WORD})?"
_NEXT = re.compile(rf"(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|[ \t]*&[ \t]*)(?P<w>{_LIST_WORD})")
_PREV = re.compile(rf"(?P<w>{_LIST_WORD})(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|[ \t]*&[ \t]*)$")


def _listable(word: str) -> bool:
    """A listed word taken for a name: a given name or a name-shaped pair (a list of
    surnames may be a firm's name: "Hawkins, Richardson and Santana")."""
    low = word.lower()
    given = names.lexicons()[0]
    return (
        re.search(r"['\u2019][a-z]", word) is None
        and (low.split()[0] in given or foreign_name_shape(word))
        and not names.is_organisation_name(word)
        and low.split()[0] not in common_words()
        and low.split()[0] not in GENERIC_ADDRESSEES
    )


def coordinated_names(text: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Given names listed with names found ("Gaetane, Hannah and Derek"); organisation words
    and common English words are never taken."""
    found = set(persons)
    queue = list(persons)
    out: list[tuple[int, int]] = []
    while queue:
        start, end = queue.pop()
        candidates = []
        nxt = _NEXT.match(text, end)
        if nxt:
            candidates.append((nxt.start("w"), nxt.end("w")))
        prev = _PREV.search(text[max(0, start - 40) : start])
        if prev:
            base = max(0, start - 40)
            candidates.append((base + prev.start("w"), base + prev.end("w")))
        for s, e in candidates:
            if (s, e) in found or not _listable(text[s:e]):
                continue
            found.add((s, e))
            queue.append((s, e))
            out.append((s, e))
    return out
