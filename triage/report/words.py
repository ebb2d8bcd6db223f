"""The words and plain formatting every rendering of a report shares: what a decision and a
column role are called, the headline risk rows, and findings, rules and problems grouped by
dataset."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from triage.models import Finding, Problem, Report, RiskMetrics, RuleFiring
from triage.vocab import ColumnRole, Decision

NA = "n/a"


NONE_TEXT = "none"


DECISION_WORDS: dict[Decision, str] = {
    Decision.RELEASE: "Release",
    Decision.RELEASE_WITH_CHANGES: "Release with changes",
    Decision.REFER: "Refer for review",
    Decision.WITHHOLD: "Withhold",
}


DECISION_MEANING: dict[Decision, str] = {
    Decision.RELEASE: "The data can be released as submitted.",
    Decision.RELEASE_WITH_CHANGES: (
        "The data can be released only in the changed form written by triage."
    ),
    Decision.REFER: "A person must review this submission before anything is released.",
    Decision.WITHHOLD: "Do not release this data.",
}


ROLE_WORDS: dict[ColumnRole, str] = {
    ColumnRole.DIRECT_IDENTIFIER: "direct identifier",
    ColumnRole.QUASI_IDENTIFIER: "quasi-identifier",
    ColumnRole.SENSITIVE_ATTRIBUTE: "sensitive attribute",
    ColumnRole.LOCATION: "location",
    ColumnRole.FREE_TEXT: "free text",
    ColumnRole.NONE: "none",
}


# Rows of the risk table: label, how to read the value from a RiskMetrics.
RISK_ROWS: tuple[tuple[str, Callable[[RiskMetrics], object]], ...] = (
    ("k-anonymity", lambda m: m.k_anonymity),
    ("Unique records", lambda m: m.unique_records),
    ("l-diversity", lambda m: m.l_diversity),
    ("Records below k", lambda m: m.records_below_k),
    ("QIs used", lambda m: m.quasi_identifiers),
    ("Sensitive attributes", lambda m: m.sensitive_attributes),
)


PROPOSAL_NOTE = (
    "Proposed changes wait for a reviewer: nothing is released unless a reviewer approves "
    "them. The decision stays refer."
)


DRIVER_HEADERS = [
    "Quasi-identifier",
    "Unique records removed without it",
    "Records below k removed without it",
    "Share of minimal sample uniques",
]


READING = {
    "open": "open: may be published to anyone",
    "shared": "shared: only to the named recipient under the stated conditions",
    "closed": "closed: not to leave until a person decides otherwise",
}


def num(value: object) -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def as_text(value: object) -> str:
    """Plain text for a value: ``n/a`` for None, comma list for sequences, ``none`` if empty."""
    if value is None:
        return NA
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else NONE_TEXT
    return str(value)


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Findings by severity, critical first; ties keep their report order."""
    indexed = list(enumerate(findings))
    indexed.sort(key=lambda item: (-item[1].severity.rank, item[0]))
    return [f for _, f in indexed]


class Split:
    """Findings, rules and problems grouped by dataset; unknown or None goes to submission."""

    def __init__(self, report: Report) -> None:
        names = {d.name for d in report.datasets}
        self.findings: dict[str | None, list[Finding]] = {}
        self.rules: dict[str | None, list[RuleFiring]] = {}
        self.problems: dict[str | None, list[Problem]] = {}
        for f in report.findings:
            self.findings.setdefault(f.dataset if f.dataset in names else None, []).append(f)
        for r in report.rules_fired:
            self.rules.setdefault(r.dataset if r.dataset in names else None, []).append(r)
        for p in report.problems:
            self.problems.setdefault(p.dataset if p.dataset in names else None, []).append(p)
