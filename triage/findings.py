"""Turn column classifications and risk metrics into findings (data, not exceptions)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from triage.classifiers.columns import DatasetClassification
from triage.facts import personal_text
from triage.formulas import formula_cells
from triage.models import Finding, RiskMetrics
from triage.vocab import ColumnRole, Entity, Severity

_CRIMINAL_KINDS = {"offence"}


def _entity_summary(counts: dict[str, int], sampled: int, unit: str) -> str:
    parts = [f"{entity} in {n} of {sampled} sampled {unit}" for entity, n in sorted(counts.items())]
    return "; ".join(parts)


def _place_text_message(column: str, summary: str, kept: set[str], why: str) -> str:
    """Why the free text of a dataset about places keeps what it names."""
    parts = []
    if kept - {Entity.DECEASED_PERSON}:
        parts.append("places: the addresses of the places the records are about, not of people")
    if Entity.DECEASED_PERSON in kept:
        parts.append(
            "people the places commemorate ('in memory of'), who are not data subjects "
            "(UK GDPR Recital 27)"
        )
    return f"Free-text column '{column}' names {'; and '.join(parts)} ({summary}){why}."


def classification_findings(
    name: str,
    classification: DatasetClassification,
    *,
    text_entities: frozenset[str] = frozenset(),
    place_text: frozenset[str] = frozenset(),
    subject: str = "",
    subject_evidence: str = "",
) -> list[Finding]:
    """Findings about what the columns of one dataset hold.

    ``place_text`` (the rulebook's ``place_entities``) are those of ``text_entities`` (the
    entities that make free text personal) that are the places' own addresses in the free
    text of a dataset about places (``subject`` ``assets``, nothing personal elsewhere): a
    free-text column holding only those is a low finding, explained by ``subject_evidence``;
    one holding none of ``text_entities`` (dates, web links) is no finding.
    """
    findings: list[Finding] = []
    for col in classification.columns.values():
        counts = {str(e): n for e, n in col.entity_counts.items()}
        if col.role is ColumnRole.DIRECT_IDENTIFIER:
            entities = ", ".join(str(e) for e in col.entities) or "an identifier"
            findings.append(
                Finding(
                    kind="direct_identifier",
                    severity=Severity.HIGH,
                    dataset=name,
                    columns=[col.name],
                    message=f"Column '{col.name}' directly identifies people or households "
                    f"({entities}; {_entity_summary(counts, col.sampled, 'distinct values')}).",
                    count=max(counts.values(), default=None),
                )
            )
        elif col.role is ColumnRole.FREE_TEXT and col.entities:
            summary = _entity_summary(counts, col.sampled, "rows")
            personal = {str(e) for e in col.entities} & text_entities
            if text_entities and not personal:
                continue  # only what the rulebook does not call personal: dates, web links
            still = personal_text(
                col.role,
                sorted(personal),
                text_entities=text_entities,
                place_entities=place_text,
                subject=subject,
                person_related=classification.person_related,
            )
            of_places = bool(personal) and not still
            why = f" ({subject_evidence})" if subject_evidence else ""
            findings.append(
                Finding(
                    kind="free_text_place_details" if of_places else "free_text_personal_data",
                    severity=Severity.LOW if of_places else Severity.HIGH,
                    dataset=name,
                    columns=[col.name],
                    message=_place_text_message(col.name, summary, personal, why)
                    if of_places
                    else f"Free-text column '{col.name}' mentions personal data: {summary}.",
                    count=max(counts.values(), default=None),
                )
            )
        elif col.role is ColumnRole.SENSITIVE_ATTRIBUTE:
            criminal = col.sensitive_kind in _CRIMINAL_KINDS
            findings.append(
                Finding(
                    kind="criminal_offence_data" if criminal else "special_category_data",
                    severity=Severity.HIGH,
                    dataset=name,
                    columns=[col.name],
                    message=f"Column '{col.name}' holds "
                    + (
                        "criminal offence data (UK GDPR Art. 10)."
                        if criminal
                        else f"special category data ({col.sensitive_kind or 'sensitive'}; "
                        "UK GDPR Art. 9)."
                    ),
                )
            )
        elif col.role is ColumnRole.LOCATION:
            entities = ", ".join(str(e) for e in col.entities) or "location"
            findings.append(
                Finding(
                    kind="precise_location",
                    severity=Severity.MEDIUM if classification.person_related else Severity.LOW,
                    dataset=name,
                    columns=[col.name],
                    message=f"Column '{col.name}' gives locations ({entities}).",
                )
            )
        if col.role is ColumnRole.QUASI_IDENTIFIER and col.sensitive_kind:
            findings.append(
                Finding(
                    kind="special_category_data",
                    severity=Severity.MEDIUM,
                    dataset=name,
                    columns=[col.name],
                    message=f"Quasi-identifier '{col.name}' is also special category data "
                    f"({col.sensitive_kind}; UK GDPR Art. 9).",
                )
            )
    return findings


def formula_findings(name: str, frame: pd.DataFrame) -> list[Finding]:
    """One finding naming the columns with cells a spreadsheet would run as formulas."""
    counts = {str(c): int(formula_cells(frame[c]).sum()) for c in frame.columns}
    columns = [c for c, n in counts.items() if n]
    if not columns:
        return []
    total = sum(counts.values())
    return [
        Finding(
            kind="formula_cells",
            severity=Severity.MEDIUM,
            dataset=name,
            columns=columns,
            message=f"{total} cell(s) in {len(columns)} column(s) start with = + - @ and would "
            "run as formulas in a spreadsheet (CSV injection).",
            count=total,
        )
    ]


def risk_findings(
    name: str, metrics: RiskMetrics, rows: int, k_target: int, l_target: int | None
) -> list[Finding]:
    """Findings from the risk metrics of one dataset against the rulebook's targets."""
    findings: list[Finding] = []
    qis = metrics.quasi_identifiers
    if metrics.k_anonymity is not None and metrics.k_anonymity < k_target:
        below = metrics.records_below_k or 0
        findings.append(
            Finding(
                kind="low_k_anonymity",
                severity=Severity.HIGH if metrics.k_anonymity <= 2 else Severity.MEDIUM,
                dataset=name,
                columns=list(qis),
                message=f"k-anonymity is {metrics.k_anonymity} over {len(qis)} quasi-identifiers "
                f"(target {k_target}); {below} of {rows} records are in groups smaller "
                f"than {k_target}.",
                count=below,
            )
        )
    if metrics.unique_records:
        findings.append(
            Finding(
                kind="unique_records",
                severity=Severity.HIGH,
                dataset=name,
                columns=list(qis),
                message=f"{metrics.unique_records} records are unique on "
                f"{', '.join(qis)} and could be singled out.",
                count=metrics.unique_records,
            )
        )
    if l_target is not None and metrics.l_diversity is not None and metrics.l_diversity < l_target:
        findings.append(
            Finding(
                kind="low_l_diversity",
                severity=Severity.HIGH,
                dataset=name,
                columns=list(metrics.sensitive_attributes),
                message=f"l-diversity is {metrics.l_diversity} (target {l_target}): some groups "
                "share one sensitive value, which is disclosed for all of them.",
            )
        )
    return findings


_NOT_A_QI = {
    ColumnRole.DIRECT_IDENTIFIER: "a direct identifier: removed or replaced, never released "
    "to be grouped",
    ColumnRole.SENSITIVE_ATTRIBUTE: "a sensitive attribute: measured by l-diversity within the "
    "groups, not a grouping column",
    ColumnRole.FREE_TEXT: "free text: checked for identifiers in its text",
    ColumnRole.LOCATION: "a location of a place, not of a person: judged by the spatial checks",
}


def qi_review(classification: DatasetClassification, table: bool) -> list[dict[str, Any]]:
    """Per column: whether k-anonymity counts it as a quasi-identifier, and why (not), in
    the classifier's words: what a reviewer needs to see that no plausible QI was left out."""
    out: list[dict[str, Any]] = []
    for name, col in classification.columns.items():
        is_qi = col.role is ColumnRole.QUASI_IDENTIFIER and not table
        if is_qi:
            why = f"quasi-identifier ({col.qi_kind}): {col.evidence[-1] if col.evidence else ''}"
        elif col.role is ColumnRole.QUASI_IDENTIFIER:
            why = "a dimension of an aggregate table: its cells are checked, not k-anonymity"
        elif col.role in _NOT_A_QI:
            why = _NOT_A_QI[col.role]
        elif not classification.person_related:
            why = "the dataset is not about people: " + (col.evidence[-1] if col.evidence else "")
        else:
            why = "no quasi-identifier found in its header or values: " + (
                col.evidence[-1] if col.evidence else ""
            )
        out.append({"column": name, "quasi_identifier": is_qi, "why": why.rstrip(": ")})
    return out
