"""Build the facts (CEL activation) a rulebook's conditions see for one dataset."""

from __future__ import annotations

from typing import Any

from triage.models import ColumnReport, Finding, MosaicLink, Problem, RiskMetrics
from triage.vocab import ColumnRole, Destination


def build_facts(
    *,
    destination: Destination,
    stage: str,
    name: str,
    rows: int,
    person_related: bool,
    columns: dict[str, ColumnReport],
    qi_kinds: dict[str, str | None],
    sensitive_kinds: dict[str, str | None],
    metrics: RiskMetrics,
    findings: list[Finding],
    problems: list[Problem],
    mosaic: list[MosaicLink],
    params: dict[str, Any],
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The activation for one dataset, exactly in the documented facts schema."""
    roles: dict[str, list[str]] = {role.value: [] for role in ColumnRole}
    entities: set[str] = set()
    column_facts: list[dict[str, Any]] = []
    for col_name, col in columns.items():
        roles[col.role.value].append(col_name)
        entities.update(e.value for e in col.entities)
        column_facts.append(
            {
                "name": col_name,
                "role": col.role.value,
                "entities": [e.value for e in col.entities],
                "qi_kind": qi_kinds.get(col_name),
                "sensitive_kind": sensitive_kinds.get(col_name),
            }
        )
    share_below = (
        None
        if metrics.records_below_k is None or rows == 0
        else float(metrics.records_below_k) / float(rows)
    )
    return {
        "destination": destination.value,
        "stage": stage,
        "dataset": {
            "name": name,
            "rows": rows,
            "columns": len(columns),
            "person_related": person_related,
        },
        "columns": column_facts,
        "roles": roles,
        "entities": sorted(entities),
        "metrics": {
            "k_anonymity": metrics.k_anonymity,
            "unique_records": metrics.unique_records,
            "l_diversity": metrics.l_diversity,
            "records_below_k": metrics.records_below_k,
            "share_below_k": share_below,
            "quasi_identifiers": len(metrics.quasi_identifiers),
            "sensitive_attributes": len(metrics.sensitive_attributes),
        },
        "findings": [
            {
                "kind": f.kind,
                "severity": f.severity.value,
                "columns": list(f.columns),
                "count": f.count,
            }
            for f in findings
        ],
        "problems": [{"kind": p.kind} for p in problems],
        "mosaic": [
            {
                "datasets": list(m.datasets),
                "linking_columns": list(m.linking_columns),
                "k_anonymity_after_linkage": m.k_anonymity_after_linkage,
            }
            for m in mosaic
        ],
        "params": dict(params),
        "context": dict(context or {}),
    }
