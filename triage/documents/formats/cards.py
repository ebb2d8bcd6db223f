"""Content lines of iCalendar (RFC 5545) and vCard (RFC 6350) parts: unfold, split, write.

A calendar invitation or contact card names people in parameters (``ATTENDEE;CN=...``), in
``mailto:`` values and in structured values (``N:surname;given;;;``); read as plain text those
are partly missed. :func:`parse` gives each unfolded line its name, parameters and value;
:func:`components` splits a value on unescaped separators and unescapes each piece;
:func:`format_line` writes a line back, folded at 75 octets (:func:`fold`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: content types and file suffixes read as content lines
CARD_TYPES = frozenset(
    {"text/calendar", "text/x-vcalendar", "text/vcard", "text/x-vcard", "text/directory"}
    | {"application/ics"}
)
CARD_SUFFIXES = frozenset({".ics", ".ifb", ".vcs", ".vcf"})

_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+")
_PARAM = re.compile(r';([A-Za-z0-9-]+)(?:=((?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*))?')
_PARAM_VALUE = re.compile(r'"([^"]*)"|([^",]+)')
_NEEDS_QUOTES = re.compile(r"[,;:]")
#: parameters of a fixed vocabulary (kept); any other parameter value is read as text
KEPT_PARAMS = frozenset(
    {"ROLE", "PARTSTAT", "RSVP", "CUTYPE", "TZID", "VALUE", "TYPE", "PREF", "FBTYPE"}
    | {"RELTYPE", "RANGE", "RELATED", "LANGUAGE", "FMTTYPE", "CHARSET", "CALSCALE"}
)
#: properties of a fixed syntax (dates, rules, versions, states): their values are kept
KEPT_VALUES = frozenset(
    {"BEGIN", "END", "VERSION", "PRODID", "METHOD", "CALSCALE", "DTSTART", "DTEND", "DTSTAMP"}
    | {"DUE", "DURATION", "CREATED", "LAST-MODIFIED", "RECURRENCE-ID", "RRULE", "EXRULE"}
    | {"EXDATE", "RDATE", "SEQUENCE", "STATUS", "TRANSP", "CLASS", "PRIORITY", "TZID"}
    | {"TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "TRIGGER", "ACTION", "REPEAT", "REV", "KIND"}
    | {"PERCENT-COMPLETE", "COMPLETED", "FREEBUSY"}
)
#: properties about a person: each value piece is one value of this block kind
PERSONAL = {
    "FN": "email_name",
    "N": "email_name",
    "NICKNAME": "email_name",
    "EMAIL": "email_address",
    "TEL": "contact_phone",
    "ADR": "contact_place",
    "LABEL": "contact_place",
    "GEO": "contact_place",
    "BDAY": "contact_date",
}
#: properties holding binary data or files (never read: removed)
BINARY = frozenset({"PHOTO", "LOGO", "SOUND", "KEY", "ATTACH"})
_UNESCAPE = {"n": "\n", "N": "\n"}
MAX_OCTETS = 75


@dataclass
class Line:
    """One content line: ``params`` hold unquoted values (None for a bare vCard 2.1 type)."""

    name: str
    params: list[tuple[str, list[str] | None]]
    value: str

    @property
    def prop(self) -> str:
        """The property name in upper case, without a vCard group (``item1.EMAIL``)."""
        return self.name.rsplit(".", 1)[-1].upper()

    @property
    def binary(self) -> bool:
        """A binary or transfer-encoded value (a photo, a file, quoted-printable text)."""
        coded = {k.upper(): v for k, v in self.params}
        value = [v.upper() for v in coded.get("VALUE") or []]
        return self.prop in BINARY or "ENCODING" in coded or "BINARY" in value


def is_card(content_type: str, filename: str | None) -> bool:
    """Whether a part is an iCalendar or vCard part, by its type or file name."""
    return content_type in CARD_TYPES or Path(filename or "").suffix.lower() in CARD_SUFFIXES


def unfold(text: str) -> list[str]:
    """The logical lines of ``text`` (a line break followed by a space or tab continues)."""
    joined = re.sub(r"\r?\n[ \t]", "", text.replace("\r\n", "\n"))
    return [line for line in joined.split("\n") if line]


def parse(line: str) -> Line | None:
    """``line`` split into name, parameters and value; None when it is no content line."""
    m = _NAME.match(line)
    if m is None:
        return None
    pos, params = m.end(), []
    while line.startswith(";", pos):
        p = _PARAM.match(line, pos)
        if p is None:
            return None
        raw = p.group(2)
        values = None if raw is None else [a or b for a, b in _PARAM_VALUE.findall(raw)]
        params.append((p.group(1), values))
        pos = p.end()
    if not line.startswith(":", pos):
        return None
    return Line(m.group(), params, line[pos + 1 :])


def components(value: str) -> list[str]:
    """``value`` split on unescaped ``;``, each piece unescaped."""
    pieces, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append(_UNESCAPE.get(ch, ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return pieces


def escape(text: str) -> str:
    """A piece of text as a value component (backslash, separators and line breaks escaped)."""
    out = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return out.replace("\r\n", "\\n").replace("\n", "\\n")


def format_line(line: Line) -> str:
    """``line`` written back, parameters quoted where needed, folded at 75 octets, CRLF."""
    parts = [line.name]
    for key, values in line.params:
        if values is None:
            parts.append(f";{key}")
            continue
        quoted = [
            f'"{v}"' if _NEEDS_QUOTES.search(v) else v for v in (x.replace('"', "") for x in values)
        ]
        parts.append(f";{key}={','.join(quoted)}")
    return fold("".join(parts) + ":" + line.value)


def fold(text: str) -> str:
    """``text`` as one content line: folded at 75 octets, ending in CRLF."""
    chunks: list[str] = []
    current, size = "", 0
    for ch in text.replace("\r", "").replace("\n", " "):
        octets = len(ch.encode("utf-8"))
        if size + octets > MAX_OCTETS - (1 if chunks else 0):
            chunks.append(current)
            current, size = "", 0
        current += ch
        size += octets
    chunks.append(current)
    return "\r\n ".join(chunks) + "\r\n"
