"""Person names in free text that the NER model misses or the lexicons cannot confirm.

* **labelled**: capitalised words after a name label ("Name: Sieda Batukayev", "My name is
  Rubija", "Dear Ms Okafor", "Kind regards,\\nPriya Shah");
* **echoed by an e-mail address** in the same text: "leone mazzi" beside
  ``leonemazzi@rhyta.com``, "Erik Baader" beside ``ErikBaader@...``: the address's local part
  spells the name, in any case;
* **name-shaped** words for a span the model tagged PERSON: a surname ending of the UK's
  largest communities' languages ("-ova", "-ović", "-sson", "-escu", "-enko") or letters with
  diacritics, which English organisation and product names rarely carry
  (:func:`foreign_name_shape`, used by ``text.clean_spans``), or a given name, an initial
  and a surname (:func:`initialled`);
* **cued** by words said only of people: "X shouted at Y", "X is from <firm>", "add X as a
  beneficiary" (:func:`person_cue`, :func:`cued_names`);
* **speaking**: dialogue lines opening "Name: ..." when a speaker is a known given name;
* **related**: before a possessive kin word ("Amanda's daughter"), or speaking to another
  ("said Gladys to Logan");
* **listed**: with a known given name ("Eklund, Michael and Hodge"), as a pair before a
  plural verb, or after a plural noun for people ("our founders: A, B and C").

Organisation and place words (``names.ORG_WORDS``) veto them all.
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


#: a request to change a name, the new name after it ("the name on my account is wrong,
#: please change it to ...")
RENAME = re.compile(
    r"(?i:\bname\b[^.!?\n]{0,80}?\b(?:change|update|correct|amend)[a-z]*[ \t]+"
    r"(?:it|this|that|the[ \t]+name)[ \t]+to)[ \t]+"
)


def labelled_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of names after a name label or a request to change a name."""
    out: list[tuple[int, int]] = []
    for m in [*NAME_LABEL.finditer(text), *RENAME.finditer(text)]:
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
#: name particles between a given name and a surname ("Willemine ten Pas", "Ana de la Cruz")
_PARTICLE = (
    r"(?:van|von|de|der|den|del|della|des|du|da|di|dos|das|do|la|le|ten|ter|bin|binti|ibn|al|el|ap)"
)
_PARTICLED = re.compile(
    rf"(?<![\w@.])(?P<first>{_CAP_WORD})(?:[ \t]+{_PARTICLE}){{1,2}}[ \t]+(?P<last>{_CAP_WORD})"
    r"(?![\w@])"
)
#: a given name and a surname written in lower case ("follow up with patricia desrosiers")
_LOWER_PAIR = re.compile(
    r"(?<![\w@.'\u2019-])(?P<first>[a-z\u00df-\u00f6\u00f8-\u024f]{2,})"
    r"(?:[ \t]+[a-z]\.?)?[ \t]+(?P<last>[a-z\u00df-\u00f6\u00f8-\u024f-]{2,})(?![\w@-])"
)


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
    for m in _PARTICLED.finditer(text):
        if m.group("first").lower() in given and not names.is_organisation_name(m.group(0)):
            out.append((m.start(), m.end()))
    out.extend(_lower_case_names(text, given, surnames))
    for m in _LINE.finditer(text):
        value = m.group("name")
        words = value.lower().split()
        confirmed = words[0] in given and words[-1] in surnames and names.is_person_name(value)
        if confirmed or (
            _heads_contact_block(text, m.end()) and _block_name(value, given, surnames)
        ):
            out.append((m.start("name"), m.end("name")))
    return out


#: a line of a contact block below a name: it holds a digit (a house number, a postcode, a
#: box, a phone number) or an e-mail address
_CONTACT_LINE = re.compile(r"(?m)^[^\n]*(?:\d|@)[^\n]*$")


def _heads_contact_block(text: str, end: int) -> bool:
    """True when one of the three lines after ``end`` holds a digit or an e-mail address."""
    following = text[end:].lstrip("\n").split("\n")[:3]
    return any(_CONTACT_LINE.match(line) for line in following)


def _block_name(value: str, given: frozenset[str], surnames: frozenset[str]) -> bool:
    """A line heading a contact block that is a name: all its words capitalised (or all in
    lower case), one of them a known given name or surname, or the line name-shaped; no
    common English, organisation or place word."""
    words = value.split()
    if not (all(w[0].isupper() and not w.isupper() for w in words) or value.islower()):
        return False
    low = value.lower().split()
    return (
        not _common(value)
        and not names.is_organisation_name(value)
        and (low[0] in given or low[-1] in surnames or foreign_name_shape(value.title()))
    )


def _lower_case_names(
    text: str, given: frozenset[str], surnames: frozenset[str]
) -> list[tuple[int, int]]:
    """Lexicon pairs in a line written without capitals: both words known, neither a common
    English word nor an organisation word."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        if any(c.isupper() for c in line.group(0)):
            continue
        for m in _LOWER_PAIR.finditer(line.group(0)):
            first, last = m.group("first"), m.group("last")
            if (
                first in given
                and last in surnames
                and not _common(f"{first} {last}")
                and not names.is_organisation_name(m.group(0))
            ):
                out.append((line.start() + m.start(), line.start() + m.end()))
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


def initialled(fragment: str) -> bool:
    """True for a given name, an initial and a surname ("Faina D. Yefremova", "Mijail C
    Adomo") without common English words or organisation words; "A" or "I" without a
    full stop is a word, not an initial."""
    m = _INITIALLED.fullmatch(fragment.strip())
    return (
        m is not None
        and re.search(r"[ \t](?:A|I)[ \t]", fragment) is None  # an article: "Cass A Lergy"
        and not names.is_organisation_name(fragment)
        and not any(
            w.lower() in common_words() or w.lower() in GENERIC_ADDRESSEES
            for w in (m.group("first"), m.group("last"))
        )
    )


#: words around a name that only a person's name takes: shouting after it ("Enrico shouted
#: at"), verbs and roles before it ("shouted at Gary",
#: "add X as a beneficiary"), a person's pronoun in the next sentence ("Roxanne is very
#: reliable. You can always depend on her."); an apposition may come before a speech verb
#: ("Ana Gil, the chef, said")
_APPOSITION = r"(?:,[ \t]+(?:the|a|an|our|my|their)[ \t]+[^,.\n]{1,40},)?"
_KIN = (
    r"(?:kid|son|daughter|child|wife|husband|partner|fianc[eé]e?|boyfriend|girlfriend|mum|mom"
    r"|dad|mother|father|brother|sister|grandson|granddaughter|grandmother|grandfather|grandma"
    r"|grandpa|nephew|niece|uncle|aunt|auntie|cousin|stepson|stepdaughter|widow|widower)"
)
_CUE_AFTER = re.compile(
    rf"{_APPOSITION}[ \t]+(?:shouted|yelled|screamed|whispered"
    r"|(?:lives|lived|resides|resided|is[ \t]+living|was[ \t]+living)[ \t]+(?:at|in|on|with)"
    r"|was[ \t]+born|passed[ \t]+away"
    r"|(?:is|was)[ \t]+(?:a|an|such[ \t]+a)[ \t]+(?:[a-z]+[ \t]+){0,3}"
    r"(?:person|man|woman|lady|gentleman|girl|boy|guy|listener))\b"
)
#: a name before a possessive kin word ("Amanda's daughter"), and the speaker and the
#: listener of an inverted speech verb ("said Gladys to Logan")
_KIN_OF = re.compile(rf"(?<![\w@.'\u2019-])(?P<a>{_CAP_WORD})['\u2019]s[ \t]+{_KIN}\b")
_SAID_TO = re.compile(
    rf"\b(?:said|asked|shouted|whispered|replied|explained)[ \t]+(?P<a>{_CAP_WORD})"
    rf"[ \t]+to[ \t]+(?P<b>{_CAP_WORD})\b"
)
#: speech verbs and "is from" after a word: a person's cue for a word the lexicons know or
#: the NER model tagged ("Luiza is from Xignite"; "Wrexham said", "Parking is from 9am")
_SAYS_AFTER = re.compile(
    rf"(?:{_APPOSITION}[ \t]+(?:said|says|told|asked|replied|answered|explained|thinks"
    r"|believes|wants|agreed|mentioned|suggested|emailed|e-mailed|rang|phoned|wrote"
    r"|seems[ \t]+to|(?:has|had)[ \t]+(?:told|agreed|asked|said|called|rung|phoned))"
    r"|[ \t]+(?:works[ \t]+(?:at|for)|(?:is|was|comes)[ \t]+from))\b"
)
_CUE_BEFORE = re.compile(
    r"(?i:\b(?:shouted|yelled|screamed|whispered|smiled|waved|winked)[ \t]+at"
    r"|\b(?:told|asked|thanked|hugged|married|kissed)"
    rf"|\b(?:my|our|his|her|their)[ \t]+(?:late[ \t]+|little[ \t]+|eldest[ \t]+)?{_KIN},?"
    rf"|\b(?:{_KIN}|assistant|secretary|carer)[ \t]+(?:of|to))[ \t]+$"
)
#: verbs of getting in touch, and a speech verb before its subject ("follow up with Ana",
#: "said Gladys"): a person's cue for a word the lexicons know
_ASK_BEFORE = re.compile(
    r"(?i:\b(?:speak|talk|spoke|talked|chat|meet|met|follow[ \t]+up|catch[ \t]+up)[ \t]+"
    r"(?:to|with)|\b(?:said|asked|replied|answered|call|ring|phone|contact|ask[ \t]+for|ask"
    r"|tell|thank|thanks|remind|invite|introduce|cc|along[ \t]+to))"
    r"[ \t]+$"
)
#: a known given name addressed at the start of a sentence ("Tom, please contact Vernon")
_VOCATIVE = re.compile(
    r",[ \t]+(?i:please|can|could|would|will|thanks|thank|i|we|just|hope|hi|hello|here)\b"
)
_ROLE_AFTER = re.compile(
    r"[ \t]+as[ \t]+(?:a|an|the|my)[ \t]+(?:joint[ \t]+)?(?:beneficiary|account[ \t]+holder"
    r"|signatory|nominee|next[ \t]+of[ \t]+kin|executor|guardian|trustee"
    r"|power[ \t]+of[ \t]+attorney)"
)
_PRONOUN_NEXT = re.compile(
    r"[ \t]+(?:is|was|has|had)\b[^.!?\n]*(?:[.!?][ \t]*[^.!?\n]*)?"
    r"\b(?i:he|she|him|her|himself|herself|his|hers)\b"
)


def _strong_cue(text: str, start: int, end: int) -> bool:
    return bool(
        _CUE_AFTER.match(text, end)
        or _CUE_BEFORE.search(text[max(0, start - 30) : start])
        or _ROLE_AFTER.match(text, end)
    )


def person_cue(text: str, start: int, end: int) -> bool:
    """True when the words around ``text[start:end]`` are said only of a person (never for
    a common English word: "Customer asked")."""
    if _common(text[start:end]):
        return False
    return bool(
        _strong_cue(text, start, end)
        or _SAYS_AFTER.match(text, end)
        or _PRONOUN_NEXT.match(text[end : end + 160])
    )


def _common(fragment: str) -> bool:
    words = fragment.lower().split()
    return any(w in common_words() or w in GENERIC_ADDRESSEES for w in words)


#: words that open a sentence before a name ("Yesterday Bronagh shouted", "Then Ilse")
_OPENERS = frozenset(
    [
        "yesterday",
        "today",
        "tonight",
        "tomorrow",
        "then",
        "later",
        "meanwhile",
        "afterwards",
        "finally",
        "suddenly",
        "now",
        "also",
        "so",
        "but",
        "and",
        "when",
        "after",
        "before",
        "once",
        "since",
        "while",
        "because",
        "although",
        "still",
        "eventually",
        "apparently",
        "luckily",
        "sadly",
        "unfortunately",
        "moments",
        "earlier",
        "recently",
        "thanks",
        "hi",
        "hello",
        "hey",
        "cheers",
        "please",
        "ask",
    ]
)


def _opener(word: str) -> bool:
    """A sentence's first word that is no part of the name after it."""
    return word in _OPENERS or word in common_words() or (word.endswith("ly") and len(word) > 4)


#: the start of a sentence: its first word may be an adverb ("Yesterday Bronagh shouted")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")
#: a name-shaped word or two (letters, capitalised, no digits)
_CUED = re.compile(rf"(?<![\w@.'\u2019-])(?:{_CAP_WORD})(?:[ \t]+{_CAP_WORD})?(?![\w@'\u2019-])")


def cued_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of words that a person cue surrounds (:func:`person_cue`); after a
    speech verb only lexicon-known or name-shaped words ("Wrexham said" is a town); the
    pronoun cue only for what the NER model tagged (``text.clean_spans``)."""
    given, surnames = names.lexicons()
    out: list[tuple[int, int]] = []
    for m in _CUED.finditer(text):
        start, value = m.start(), m.group(0)
        words = value.lower().split()
        if len(words) == 2 and _opener(words[0]) and _SENTENCE_START.search(text[:start]):
            start, value, words = m.end() - len(value.split()[1]), value.split()[1], words[1:]
        if _common(value) or names.is_organisation_name(value):
            continue
        known = words[0] in given or words[-1] in surnames or foreign_name_shape(value)
        weak = (
            _SAYS_AFTER.match(text, m.end())
            or _ASK_BEFORE.search(text[max(0, start - 30) : start])
            or (_VOCATIVE.match(text, m.end()) and _SENTENCE_START.search(text[:start]))
        )
        if _strong_cue(text, start, m.end()) or (known and weak):
            out.append((start, m.end()))
    return out


def related_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of a name before a possessive kin word ("Amanda's daughter") and of
    the speaker and listener of an inverted speech verb ("said Gladys to Logan")."""
    out: list[tuple[int, int]] = []
    for m in [*_KIN_OF.finditer(text), *_SAID_TO.finditer(text)]:
        for group in m.re.groupindex:
            word = m.group(group)
            if not _common(word) and not names.is_organisation_name(word):
                out.append((m.start(group), m.end(group)))
    return out


#: a dialogue line opening with a speaker's one-word name and a colon ("Nicole: Remember me")
_SPEAKER = re.compile(rf"(?m)^[ \t>]*(?P<name>{_CAP_WORD}):(?:[ \t]+\S|[ \t]*[\"\u201c])")


def speaker_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of dialogue speakers: with two or more speaker lines, one of them a
    known given name, every speaker that is no common English word or label ("Phone:",
    "Note:") is a person."""
    given = names.lexicons()[0]
    found = [
        m
        for m in _SPEAKER.finditer(text)
        if m.group("name").lower() not in common_words()
        and m.group("name").lower() not in _LABEL_WORDS
        and not names.is_organisation_name(m.group("name"))
    ]
    if len(found) < 2 or not any(m.group("name").lower() in given for m in found):
        return []
    return [(m.start("name"), m.end("name")) for m in found]


#: field labels that open a line like a speaker ("Email: ...", "Re: ...")
_LABEL_WORDS = frozenset(
    [
        "email",
        "e-mail",
        "mail",
        "tel",
        "mobile",
        "fax",
        "address",
        "re",
        "fw",
        "fwd",
        "cc",
        "bcc",
        "date",
        "time",
        "ref",
        "reference",
        "tip",
        "warning",
        "important",
        "update",
        "status",
        "summary",
        "description",
        "comment",
        "comments",
    ]
)


def found_by_context(text: str) -> frozenset[tuple[int, int]]:
    """The labelled, speaking and listed names of ``text``: what their context makes names,
    whatever the lexicons say."""
    found = set(labelled_names(text)) | set(speaker_names(text)) | set(listed_people(text))
    return frozenset(found | set(related_names(text)))


def context_names(text: str) -> list[tuple[int, int]]:
    """Labelled, e-mail-echoed, lexicon-confirmed, cued and speaking names of ``text``, in
    order."""
    found = set(labelled_names(text)) | set(echoed_names(text)) | set(lexicon_names(text))
    found |= set(cued_names(text)) | set(speaker_names(text)) | set(listed_people(text))
    found |= set(related_names(text))
    return sorted(found)


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
_PREV = re.compile(rf"(?P<w>{_LIST_WORD})(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|[ \t]*&[ \t]*)\Z")


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


def list_members(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The members of the list ``text[start:end]`` stands in ("Eklund, Michael and Hodge"),
    in order, itself included."""
    members = [(start, end)]
    while (nxt := _NEXT.match(text, members[-1][1])) is not None:
        members.append((nxt.start("w"), nxt.end("w")))
    while True:
        base = max(0, members[0][0] - 40)
        prev = _PREV.search(text[base : members[0][0]])
        if prev is None:
            return members
        start, end = base + prev.start("w"), base + prev.end("w")
        words = text[start:end].split()
        if len(words) == 2 and _common(words[0]):  # a sentence's first word: "Later Kowal"
            start = end - len(words[1])
        members.insert(0, (start, end))


def _member(word: str) -> bool:
    """A list member that may be a name: no possessive, organisation or common word."""
    return (
        re.search(r"['\u2019][a-z]", word) is None
        and not names.is_organisation_name(word)
        and not _common(word)
    )


#: a plural verb after a pair ("Park and Mann were engineers"): the pair are people
_PLURAL_VERB = re.compile(r"[ \t]+(?:were|are|have|had)\b")


def coordinated_names(text: str, persons: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Names listed with names found. A list holding a known given name ("Eklund, Michael
    and Hodge", "Gaetane, Hannah and Derek") or a pair before a plural verb ("Park and Mann
    were") is all names; otherwise only given names and name-shaped words are taken (a list
    of surnames may be a firm's name: "Hawkins, Richardson and Santana"). A list holding an
    organisation word, and common English words, are never taken."""
    given = names.lexicons()[0]
    found = set(persons)
    out: list[tuple[int, int]] = []
    for start, end in persons:
        chain = list_members(text, start, end)
        if len(chain) < 2 or any(names.is_organisation_name(text[s:e]) for s, e in chain):
            continue
        words = [text[s:e] for s, e in chain]
        pair = len(chain) == 2 and " and " in text[chain[0][1] : chain[1][0] + 1]
        loose = any(w.split()[0].lower() in given and _member(w) for w in words) or (
            pair and _PLURAL_VERB.match(text, chain[-1][1]) is not None
        )
        for (s, e), word in zip(chain, words, strict=True):
            if (s, e) not in found and (_member(word) if loose else _listable(word)):
                found.add((s, e))
                out.append((s, e))
    return out


#: plural nouns for people before a colon and a list ("our 3 founders: Kónya, Becker and
#: Vasquez"): the listed words are names
_PEOPLE_LIST = re.compile(
    r"(?i:\b(?:founders|co-founders|children|kids|sons|daughters|brothers|sisters|siblings"
    r"|parents|grandchildren|grandparents|twins|witnesses|tenants|occupants|suspects|victims"
    r"|pupils|passengers|neighbours|neighbors|flatmates|housemates))\b[^:\n]{0,20}:[ \t]*"
)


def listed_people(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the members of a list after a plural noun for people."""
    out: list[tuple[int, int]] = []
    for m in _PEOPLE_LIST.finditer(text):
        first = re.match(_LIST_WORD, text[m.end() :])
        if first is None:
            continue
        chain = list_members(text, m.end(), m.end() + first.end())
        if any(names.is_organisation_name(text[s:e]) for s, e in chain):
            continue
        out.extend((s, e) for s, e in chain if _member(text[s:e]))
    return out
