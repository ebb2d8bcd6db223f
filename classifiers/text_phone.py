"""Phone numbers in free text beyond the GB numbers ``phonenumbers`` validates.

Three cases, each where the context or the format leaves no doubt:

* **in phone context**: a phone word or label shortly before ("Phone:", "mob", "can be
  reached on", "call me at", "messages to") or a line label right after ("... office",
  "-Fax"), and a phone-shaped number of 7 to 15 digits: redacted whatever the range, so a
  UK mobile in Ofcom's drama range (07700 900123), a mistyped or missing digit, or another
  country's national format ("0490 75 40 81", "(99) 645-791") is found;
* **international format**: ``+`` and a country code, then groups of 8 to 15 digits in all,
  ``(0)`` trunk prefixes allowed ("+41 (0)85 806 98 67", "+447700 921 916");
* **North American format**: ``(415) 555-0132``, ``415-555-0132``, ``415.555.0132`` with an
  optional ``+1``/``001`` prefix and ``x123`` extension.

Dates, times, money and reference-like digit runs are not phone-shaped here (no ``:``, ``/``
or ``,`` inside; a ``dd-mm-yyyy`` or ``yyyy-mm-dd`` shape is a date).
"""

from __future__ import annotations

import re

#: words and labels after which a number is a phone number (case-insensitive)
CONTEXT_WORDS = (
    r"phone|phones|telephone|tel|tele|mobile|mob|mobi|cell|cellphone|landline|fax|desk|"
    r"whatsapp|sms|text(?:ed)?|call(?:ed|ing)?|ring|rang|dial(?:led)?|reached|reach\s+me|"
    r"extension|ext"
)
#: weaker context: the number must also be written in groups or start with 0 or +
#: ("registered 024 971 50 30", not "registered charity 1129876")
WEAK_CONTEXT_WORDS = (
    r"contact(?:ed)?|answering|messages?|registered|(?:my|your|his|her|their|our)\s+"
    r"(?:\w+\s+)?(?:number|no)"
)
#: labels that follow a number on its line ("416 60 039 office", "082 490 1693-Fax")
AFTER_LABELS = r"office|fax|mobile|mob|home|work|cell|desk|tel|phone|direct|switchboard"
_NUMBER = r"(?:\+|00)?\(?\d[\d \t().-]{4,22}\d(?:[ \t]?(?:x|ext\.?|extension)[ \t]?\d{1,6})?"
_IN_CONTEXT = re.compile(
    rf"(?i)\b(?:(?P<strong>{CONTEXT_WORDS})|{WEAK_CONTEXT_WORDS})\b(?:(?![.!?]\s)[^\d\n+]){{0,28}}?"
    rf"[:\s]*\n?[ \t]*(?<![\w/-])(?P<num>{_NUMBER})"
)
_GROUPED = re.compile(r"^(?:\+|0|\(0)|\d+[ .-]+\d")
_STRONG = re.compile(rf"(?i)\b(?:{CONTEXT_WORDS})\b")
_LABEL_AFTER = re.compile(
    rf"(?im)(?<![\w+])(?P<num>{_NUMBER})(?=[ \t]*[-\u2013]?[ \t]*(?:{AFTER_LABELS})\b)"
)
_INTERNATIONAL = re.compile(
    r"(?<![\w+])(?P<num>\+\d{1,3}(?:[ \t.-]?\(0\))?(?:[ \t.-]?\(?\d{1,5}\)?){1,6})"
    r"(?![\w.]?\d)"
)
_NANP = re.compile(
    r"(?<![\w+.-])(?P<num>(?:\+1[ .-]?|001[ .-]?|1-)?(?:\(\d{3}\)[ ]?|\d{3}[-.])\d{3}[-.]\d{4}"
    r"(?:[ ]?x\d{1,6})?)(?![\w-]|\.\d)"
)
_DATE_SHAPE = re.compile(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2})(?!\d)"
)


_IP_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _digits(number: str) -> str:
    return re.sub(r"(?i)(?:x|ext\.?|extension)\s?\d+$", "", number)


def _phone_shaped(number: str, low: int = 7, high: int = 15) -> bool:
    """7 to 15 digits, not one digit repeated, not a date."""
    core = re.sub(r"\D", "", _digits(number))
    if not low <= len(core) <= high or len(set(core)) <= 1:
        return False
    return _DATE_SHAPE.fullmatch(number.strip()) is None and not _IP_SHAPE.fullmatch(number.strip())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip separators and an unbalanced bracket from the ends of a match."""
    while end > start and text[end - 1] in " \t.-(":
        end -= 1
    while start < end and text[start] in " \t.-)":
        start += 1
    fragment = text[start:end]
    if fragment.endswith(")") and fragment.count("(") < fragment.count(")"):
        end -= 1
    return start, end


def find_phones(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of phone numbers in ``text`` (the three cases of the module)."""
    found: list[tuple[int, int]] = []
    for m in _IN_CONTEXT.finditer(text):
        start, end = _trim(text, m.start("num"), m.end("num"))
        number = text[start:end]
        strong = _STRONG.search(text, m.start(), m.start("num")) is not None
        if _phone_shaped(number) and (strong or _GROUPED.match(number)):
            found.append((start, end))
    for m in _LABEL_AFTER.finditer(text):
        start, end = _trim(text, m.start("num"), m.end("num"))
        if _phone_shaped(text[start:end]):
            found.append((start, end))
    for m in _INTERNATIONAL.finditer(text):
        start, end = _trim(text, m.start("num"), m.end("num"))
        if _phone_shaped(text[start:end], low=8):
            found.append((start, end))
    for m in _NANP.finditer(text):
        start, end = _trim(text, m.start("num"), m.end("num"))
        if _phone_shaped(text[start:end], low=10):
            found.append((start, end))
    out: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
