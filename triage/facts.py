"""Build the facts (CEL activation) a rulebook's conditions see for one dataset."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from triage.models import ColumnReport, Finding, Problem, RiskMetrics
from triage.risk.measures import FLOAT_METRICS, MICRODATA_METRICS
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
    mosaic: list[dict[str, Any]],
    params: dict[str, Any],
    context: dict[str, Any] | None = None,
    place: dict[str, Any] | None = None,
    table: dict[str, Any] | None = None,
    table_kind: str | None = None,
) -> dict[str, Any]:
    """The activation for one dataset, exactly in the documented facts schema."""
    roles: dict[str, list[str]] = {role.value: [] for role in ColumnRole}
    entities: set[str] = set()
    column_facts: list[dict[str, Any]] = []
    subject = str(((place or NO_PLACE_FACTS).get("geo") or {}).get("subject", "unknown"))
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
                "personal_text": personal_text(
                    col.role,
                    [e.value for e in col.entities],
                    text_entities=params.get("text_entities") or (),
                    place_entities=params.get("place_entities") or (),
                    subject=subject,
                    person_related=person_related,
                ),
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
            "is_table": table_kind is not None,
            "table_kind": table_kind,
        },
        "columns": column_facts,
        "roles": roles,
        "entities": sorted(entities),
        "metrics": {
            **{name: _typed(name, metrics.measures.get(name)) for name in MICRODATA_METRICS},
            **{name: _table_typed(name, (table or {}).get(name)) for name in TABLE_METRICS},
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
        "mosaic": [dict(m) for m in mosaic],
        "params": dict(params),
        "context": dict(context or {}),
        **(place or NO_PLACE_FACTS),
    }


def personal_text(
    role: ColumnRole,
    entities: list[str],
    *,
    text_entities: Collection[str],
    place_entities: Collection[str],
    subject: str,
    person_related: bool,
) -> list[str]:
    """The entities that make a free-text column personal (the column fact
    ``personal_text``): those of ``text_entities`` it holds, less ``place_entities`` where the
    dataset is about places (``subject`` ``assets``) and nothing personal was found elsewhere.
    Empty for any other role."""
    if role is not ColumnRole.FREE_TEXT:
        return []
    of_places = subject == "assets" and not person_related
    return [e for e in entities if e in text_entities and not (of_places and e in place_entities)]


#: geospatial facts when nothing was assessed
NO_PLACE_FACTS: dict[str, Any] = {
    "geo": {
        "has_points": False,
        "columns": [],
        "crs": None,
        "points": 0,
        "swapped": 0,
        "out_of_uk": 0,
        "precision_m": None,
        "subject": "unknown",
        "cell_m": None,
        "k_min": None,
        "share_cells_below_k": None,
        "density_min": None,
    },
    "sites": {"checked": False, "within": 0, "by_category": {}, "min_distance_m": {}},
    "weakness": {"kinds": [], "columns": [], "rows": {}},
}


#: Aggregate-table measures (null for microdata), see ``triage.tables.suppression``.
TABLE_METRICS: dict[str, str] = {
    "table_cells": "cells of the table, totals included",
    "table_dimensions": "number of dimensions",
    "table_small_cells": "cells below the threshold (after treatment: still published)",
    "table_dominance_cells": "cells failing the dominance or p% rule",
    "table_primary_suppressed": "cells the primary rules suppress",
    "table_secondary_suppressed": "complementary cells suppressed so margins reveal nothing",
    "table_unprotected_cells": "sensitive cells an attacker can narrow below the protection",
    "table_min_protection": "smallest protection interval achieved",
    "table_differencing_risks": "differences between overlapping tables revealing small counts",
}


def _table_typed(name: str, value: Any) -> float | int | None:
    if value is None:
        return None
    return float(value) if name == "table_min_protection" else int(value)


def _typed(name: str, value: float | None) -> float | int | None:
    """Measures keep one CEL type: doubles for real-valued ones, ints otherwise."""
    if value is None:
        return None
    return float(value) if name in FLOAT_METRICS else int(value)


#: the facts of one FOI document (``triage.documents``), what its ``subject: document`` rules see
DOCUMENT_FIELDS: dict[str, str] = {
    "name": "file name",
    "format": "txt, md, docx, pdf or eml",
    "blocks": "content blocks (paragraphs, pages)",
    "redactions": "accepted redactions",
    "low_confidence": "accepted redactions scoring below refer_below",
    "refer_below": "the score below which a redaction is low-confidence",
    "mostly_exempt_share": "share of content blocks the redactions mostly cover",
    "withhold_share": "the share of mostly exempt content above which to withhold",
    "exemptions": "exemption codes of the accepted redactions, sorted",
    "entities": "entities of the accepted redactions, sorted",
}


def build_document_facts(
    *, destination: str, document: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The activation of a document's rules: ``document`` holds exactly
    :data:`DOCUMENT_FIELDS`."""
    if set(document) != set(DOCUMENT_FIELDS):
        raise ValueError(f"document facts must be {sorted(DOCUMENT_FIELDS)}")
    return {
        "destination": destination,
        "stage": "before",
        "document": dict(document),
        "params": dict(params),
    }


#: ``{document.<field>}`` or ``{document.<field>:<format spec>}`` in a document rule's rationale
DOCUMENT_REF = re.compile(r"\{document\.(\w+)(?::([^{}]*))?\}")


def fill_document_facts(text: str, document: Mapping[str, Any]) -> str:
    """``text`` with each ``{document.<field>[:spec]}`` replaced by that fact, formatted.

    Raises
    ------
    KeyError, ValueError
        A field that is no document fact, or a format spec that does not fit its value.
    """
    return DOCUMENT_REF.sub(lambda m: format(document[m[1]], m[2] or ""), text)
