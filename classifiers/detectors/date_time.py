"""Calendar dates and date-times; the date must exist (no 31/02/2021)."""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_TIME_RE = (
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?: ?Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)

_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ISO_SLASH = re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2})")
_NUMERIC = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})")
_DAY_MONTH = re.compile(rf"([0-9]{{1,2}})(?:st|nd|rd|th)? ({_MONTH_RE})\.?,? ([0-9]{{4}})", re.I)
_MONTH_DAY = re.compile(rf"({_MONTH_RE})\.? ([0-9]{{1,2}})(?:st|nd|rd|th)?,? ([0-9]{{4}})", re.I)
_TIME = re.compile(r"[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(.*)")
_SPLIT = re.compile(r"(?:[T ](?=[0-9]{2}:))")

MIN_YEAR = 1800
MAX_YEAR = 2199


def _real(year: int, month: int, day: int) -> bool:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _valid_date(text: str) -> bool:
    """True when ``text`` is a date in one of the accepted layouts and exists."""
    if m := _ISO.fullmatch(text) or _ISO_SLASH.fullmatch(text):
        return _real(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC.fullmatch(text):
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        # UK day-first; accept US month-first when day-first is impossible
        return _real(year, second, first) or _real(year, first, second)
    if m := _DAY_MONTH.fullmatch(text):
        return _real(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    if m := _MONTH_DAY.fullmatch(text):
        return _real(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    return False


def _valid_time(text: str) -> bool:
    """True for ``[T ]hh:mm[:ss[.fff]][Z|+hh:mm]`` with hours < 24, minutes and seconds < 60."""
    m = _TIME.fullmatch(text)
    if m is None:
        return False
    hours, minutes = int(m.group(1)), int(m.group(2))
    seconds = int(m.group(3)) if m.group(3) else 0
    return hours < 24 and minutes < 60 and seconds < 61


class DateTimeDetector(BaseDetector):
    """ISO dates and date-times (``2021-03-04``, ``2021-03-04T10:15:00Z``), ``04/03/2021``,
    ``4-3-2021``, ``04.03.2021``, ``3 March 2021``, ``3rd Mar 2021``, ``March 3, 2021``, each
    optionally followed by a time. Four-digit years 1800-2199 only (``01/02/21`` is too
    ambiguous); bare years and times are not dates."""

    id: ClassVar[str] = "date_time"
    entity: ClassVar[Entity] = Entity.DATE_TIME
    pattern: ClassVar[str] = (
        r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}/[0-9]{2}/[0-9]{2}"
        r"|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}"
        r"|[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"
        rf"|(?i:[0-9]{{1,2}}(?:st|nd|rd|th)? {_MONTH_RE}\.?,? [0-9]{{4}})"
        rf"|(?i:{_MONTH_RE}\.? [0-9]{{1,2}}(?:st|nd|rd|th)?,? [0-9]{{4}}))" + _TIME_RE
    )
    header_hints: ClassVar[tuple[str, ...]] = (
        r"date",
        r"time",
        r"(^|_)dob(_|$)",
        r"_at$",
        r"(^|_)dt(_|$)",
        r"_on$",
        r"birth",
        r"day",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"(^|_)n_",
        r"days_",
        r"duration",
    )
    text_score: ClassVar[float] = 0.6
    context: ClassVar[tuple[str, ...]] = ("date", "born", "on", "dated", "time")

    def validate(self, value: str) -> bool:
        """The date exists (calendar check) and the time, when present, is a real clock time."""
        parts = _SPLIT.split(value, maxsplit=1)
        if not _valid_date(parts[0].strip()):
            return False
        if len(parts) == 1:
            return True
        return _valid_time(value[len(parts[0]) :])
