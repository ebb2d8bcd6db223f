"""Shared vocabularies: decisions, destinations, severities, column roles and entity names."""

from __future__ import annotations

from enum import StrEnum


class Decision(StrEnum):
    """A release decision; ordered from least to most restrictive."""

    RELEASE = "release"
    RELEASE_WITH_CHANGES = "release_with_changes"
    REFER = "refer"
    WITHHOLD = "withhold"

    @property
    def rank(self) -> int:
        """Position in the restrictiveness order (0 = release)."""
        return list(Decision).index(self)

    @property
    def exit_code(self) -> int:
        """CLI exit code for this decision (INTERFACE.md)."""
        return {"release": 0, "release_with_changes": 10, "refer": 20, "withhold": 30}[self.value]

    @staticmethod
    def most_restrictive(decisions: list[Decision]) -> Decision:
        """The most restrictive of ``decisions``; ``refer`` when the list is empty."""
        if not decisions:
            return Decision.REFER
        return max(decisions, key=lambda d: d.rank)


class Destination(StrEnum):
    """Where a release is going."""

    OPEN_DATA = "open-data"
    THIRD_PARTY = "third-party"
    FOI = "foi"
    INTERNAL = "internal"


class Severity(StrEnum):
    """Severity of a finding, ordered."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Position in the severity order (0 = info)."""
        return list(Severity).index(self)


class ColumnRole(StrEnum):
    """The disclosure role of a column."""

    DIRECT_IDENTIFIER = "direct_identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    SENSITIVE_ATTRIBUTE = "sensitive_attribute"
    LOCATION = "location"
    FREE_TEXT = "free_text"
    NONE = "none"


class Entity(StrEnum):
    """Entity names (Presidio's where Presidio has one)."""

    PERSON = "PERSON"
    #: a person named in memorial ("in memory of", "the late"): the deceased are not data
    #: subjects (UK GDPR Recital 27; DPA 2018 s.3(2)), their relatives may be
    DECEASED_PERSON = "DECEASED_PERSON"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    UK_NHS = "UK_NHS"
    UK_NINO = "UK_NINO"
    IP_ADDRESS = "IP_ADDRESS"
    CREDIT_CARD = "CREDIT_CARD"
    IBAN_CODE = "IBAN_CODE"
    URL = "URL"
    DATE_TIME = "DATE_TIME"
    LOCATION = "LOCATION"
    UK_POSTCODE = "UK_POSTCODE"
    UK_VEHICLE_REGISTRATION = "UK_VEHICLE_REGISTRATION"
    UK_PASSPORT = "UK_PASSPORT"
    UK_DRIVING_LICENCE = "UK_DRIVING_LICENCE"
    UK_SORT_CODE = "UK_SORT_CODE"
    UK_UPRN = "UK_UPRN"
    COORDINATES = "COORDINATES"
    UK_GRID_REFERENCE = "UK_GRID_REFERENCE"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"


#: entities found only in free text, never as a column's values
TEXT_ONLY_ENTITIES: frozenset[Entity] = frozenset({Entity.DECEASED_PERSON})

#: Kinds of quasi-identifier; each has a generalisation hierarchy in ``triage.redaction``.
QI_KINDS: tuple[str, ...] = (
    "age",
    "sex",
    "date_of_birth",
    "postcode",
    "area",
    "ethnicity",
    "occupation",
    "event_date",
    "marital_status",
    "nationality",
    "amount",
)

#: Kinds of sensitive attribute (UK GDPR Art. 9 special categories, Art. 10 offences and
#: other data that harms people when disclosed).
SENSITIVE_KINDS: tuple[str, ...] = (
    "health",
    "disability",
    "offence",
    "benefit",
    "religion",
    "sexuality",
    "ethnicity",
    "political",
    "trade_union",
    "genetic_biometric",
    "safeguarding",
)

#: Marks a publisher writes in place of a count it suppressed (closed vocabulary, compared
#: case-insensitively after trimming): ONS / GSS symbols ("[c]" confidential, "[x]" not
#: available, "[low]" rounds to zero, ".." not available), DWP Stat-Xplore and NHS Digital
#: ("*"), and the plain words councils use. A cell under one of these marks is hidden: its
#: value is unknown but it is no small-cell exposure in itself (see ``triage.tables.hidden``).
#: "-" is not here: GSS tables use it for nil, so it reads as 0 (``triage.tables.model``).
SUPPRESSION_MARKS: frozenset[str] = frozenset(
    {
        "*",
        "**",
        "***",
        "c",
        "[c]",
        "x",
        "[x]",
        "..",
        "~",
        "low",
        "[low]",
        "suppressed",
        "[suppressed]",
        "redacted",
        "[redacted]",
    }
)

#: A mark that also bounds the hidden count ("< 10", "<5", "<=5", "≤ 5", "fewer than 5",
#: "less than 5"): group 1 says whether the bound is inclusive, group 2 is the bound.
SUPPRESSION_BOUND_PATTERN = r"^\s*(<=|≤|<|fewer\s+than|less\s+than)\s*(\d+)\s*$"
