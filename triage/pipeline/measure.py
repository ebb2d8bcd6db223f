"""Measure: the risk of one dataset as it is at one stage (before or after treatment).

Microdata measures (k-anonymity, l-diversity, uniques, SUDA... and what drives them), where the
data puts people and assets (precision, sensitive sites, weaknesses, a police street-level
file), a recognised table's cells, and for a treated form its utility. Each returns values and
findings; the rules decide in :mod:`triage.pipeline.decide`.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from triage.classifiers.columns import DatasetClassification
from triage.classifiers.geo import GeoAssessment, assess_geo
from triage.classifiers.police import assess_street_level
from triage.classifiers.weakness import WeaknessAssessment, detect_weaknesses
from triage.models import Finding, Problem, RiskMetrics
from triage.pipeline.state import Setup, SubmissionState
from triage.report.map_svg import render_map
from triage.risk.measures import microdata_metrics, risk_drivers
from triage.risk.utility import utility_report
from triage.sites import Proximity, proximity
from triage.tables.suppression import table_findings, table_metrics
from triage.vocab import ColumnRole, Entity, Severity

log = logging.getLogger(__name__)

_GEO_FILE_FORMATS = frozenset({"gpkg", "shapefile"})


@dataclass
class Place:
    """Geospatial facts, findings and problems of one stage of one dataset."""

    facts: dict[str, Any]
    findings: list[Finding]
    problems: list[Problem]
    points_bng: np.ndarray | None
    #: what decided whose locations these are, in one sentence
    subject_evidence: str = ""


def _as_int(value: float | None) -> int | None:
    return None if value is None else int(value)


def microdata_risk(
    setup: Setup, frame: pd.DataFrame, qis: list[str], sensitive: list[str], *, drivers: bool
) -> RiskMetrics:
    """Every microdata measure (the report's headline metrics are read from them) and,
    before treatment, what drives the risk (SUDA off for very large frames, where it would
    dominate the run time)."""
    params = setup.rulebook.engine
    suda = 0 if len(frame) > 200_000 else None
    measures = microdata_metrics(
        frame,
        qis,
        sensitive,
        k=setup.k_target,
        l=setup.l_target,
        c=params.c,
        t_ordered=params.t_ordered,
        weights=params.weights_column,
        missing=params.missing,
        suda_max_size=suda,
    )
    metrics = RiskMetrics(
        k_anonymity=_as_int(measures["k_anonymity"]),
        unique_records=_as_int(measures["sample_uniques"]),
        l_diversity=_as_int(measures["l_diversity_distinct"]),
        records_below_k=_as_int(measures["records_below_k"]),
        quasi_identifiers=list(qis),
        sensitive_attributes=list(sensitive),
        measures=measures,
    )
    if drivers and qis and metrics.unique_records:
        found = risk_drivers(
            frame,
            qis,
            k=setup.k_target,
            weights=params.weights_column,
            missing=params.missing,
            top_n=10,
            suda_max_size=suda,
        )
        metrics = metrics.model_copy(
            update={
                "drivers": [dataclasses.asdict(c) for c in found.contributions],
                "riskiest_rows": [int(r) for r in found.top_rows],
            }
        )
    return metrics


def place(
    setup: Setup,
    state: SubmissionState,
    name: str,
    frame: pd.DataFrame,
    classification: DatasetClassification,
) -> Place:
    """Where the data puts people and assets: precision, sensitive sites, weaknesses."""
    geo = assess_geo(
        frame,
        name=name,
        crs_hint=state.crs.get(name),
        geo_file=state.formats.get(name) in _GEO_FILE_FORMATS,
        k=setup.k_target,
        density=setup.density,
        person_related=classification.person_related,
        declared_subject=setup.context.get("record_subject"),
    )
    weakness = detect_weaknesses(frame)
    near = (
        proximity(geo.points_bng, setup.sites)
        if setup.sites is not None and geo.points_bng is not None
        else None
    )
    sites_facts: dict[str, Any] = (
        {"checked": True, **near.facts()}
        if near is not None
        else {"checked": False, "within": 0, "by_category": {}, "min_distance_m": {}}
    )
    facts = {"geo": geo.facts(), "sites": sites_facts, "weakness": weakness.facts()}
    return Place(
        facts=facts,
        findings=_place_findings(name, geo, near, weakness)
        + _street_level_findings(name, frame, classification),
        problems=[p.model_copy(update={"dataset": name}) for p in geo.problems],
        points_bng=geo.points_bng,
        subject_evidence=geo.subject_evidence,
    )


def table_stage(
    state: SubmissionState, name: str, stage: str, frame: pd.DataFrame
) -> tuple[dict[str, Any], list[Finding]]:
    """Table metrics and findings; after treatment, each sensitive cell of the written
    table is checked to carry the suppression marker."""
    check = state.tables.get(name)
    if check is None:
        return {}, []
    differencing = state.differencing.get(name, 0)
    metrics = dict(table_metrics(check.table, check.result))
    metrics["table_differencing_risks"] = differencing
    if stage == "before":
        found = table_findings(name, check.table, check.result)
        if differencing:
            found.append(
                Finding(
                    kind="table_differencing",
                    severity=Severity.HIGH,
                    dataset=name,
                    message=f"{differencing} differences between overlapping "
                    "tables of this submission reveal counts below the threshold.",
                    count=differencing,
                )
            )
        return metrics, found
    # after: count sensitive cells that were not marked in the treated frame
    exposed = sum(
        1
        for cell, (row, col) in check.table.cell_map.items()
        if bool(check.result.suppressed[cell])
        and (col not in frame.columns or str(frame.at[row, col]) != check.marker)
    )
    metrics["table_small_cells"] = exposed
    metrics["table_dominance_cells"] = 0 if not exposed else metrics["table_dominance_cells"]
    metrics["table_unprotected_cells"] = exposed + len(check.result.unprotected)
    found = []
    if exposed:
        found.append(
            Finding(
                kind="table_cells_exposed",
                severity=Severity.CRITICAL,
                dataset=name,
                message=f"After treatment {exposed} cells that must be suppressed are "
                "still published.",
                count=exposed,
            )
        )
    return metrics, found


def utility(
    setup: Setup, original: pd.DataFrame, treated: pd.DataFrame | None, qis: list[str]
) -> dict[str, Any] | None:
    """Utility of the released data on the quasi-identifiers it kept (None if not treated)."""
    kept = [q for q in qis if treated is not None and q in treated.columns]
    if treated is None or not kept:
        return None
    try:
        return utility_report(original, treated, kept, k=setup.k_target)
    except Exception:  # a measure that cannot be computed must not block the report
        log.debug("utility measures failed", exc_info=True)
        return None


def points_map(setup: Setup, before: np.ndarray | None, after: np.ndarray | None) -> str | None:
    """An inline SVG of the points (before, after) and the sensitive-site buffers."""
    if before is None or not np.isfinite(before).all(axis=1).any():
        return None
    buffers = setup.sites.buffers() if setup.sites is not None else []
    return render_map(before, after, buffers)


def _place_findings(
    name: str, geo: GeoAssessment, near: Proximity | None, weakness: WeaknessAssessment
) -> list[Finding]:
    """Findings about precise points, sensitive sites and asset weaknesses (no values)."""
    found: list[Finding] = []
    columns = [c for p in geo.pairs for c in (p.x, p.y) if c]
    if geo.has_points and geo.precision_m is not None:
        people = geo.subject == "people"
        found.append(
            Finding(
                kind="precise_location_of_people" if people else "point_locations",
                severity=Severity.HIGH if people and geo.precision_m < 100 else Severity.LOW,
                dataset=name,
                columns=columns,
                message=f"{geo.n_points} points of {geo.subject} at about "
                f"{geo.precision_m:.0f} m precision"
                + (
                    f"; fewest records in a {geo.cell_m:.0f} m cell: {geo.k_min}"
                    if geo.cell_m and geo.k_min is not None
                    else ""
                )
                + f"; {geo.subject_evidence}.",
                count=geo.n_points,
            )
        )
    if near is not None and near.records_within:
        cats = ", ".join(
            f"{cat} ({n}, nearest {near.min_distance_m.get(cat, 0):.0f} m)"
            for cat, n in sorted(near.counts.items())
        )
        found.append(
            Finding(
                kind="near_sensitive_site",
                severity=Severity.HIGH
                if geo.precision_m is None or geo.precision_m < 1000
                else Severity.LOW,
                dataset=name,
                columns=columns,
                message=f"{near.records_within} records lie inside sensitive-site buffers: {cats}.",
                count=near.records_within,
            )
        )
    if weakness.found:
        rows = weakness.facts()["rows"]
        assert isinstance(rows, dict)
        kinds = ", ".join(f"{k} ({n} rows)" for k, n in sorted(rows.items()))
        found.append(
            Finding(
                kind="asset_weakness",
                severity=Severity.HIGH if geo.has_points else Severity.MEDIUM,
                dataset=name,
                columns=list(weakness.columns),
                message=f"Details of asset weaknesses: {kinds}"
                + ("; combined with locations they help an attacker." if geo.has_points else "."),
                count=sum(int(n) for n in rows.values()),
            )
        )
    return found


#: entities that put a person in a record (a police street-level file never holds them)
_PERSON_ENTITIES = frozenset(
    {
        Entity.PERSON,
        Entity.EMAIL_ADDRESS,
        Entity.PHONE_NUMBER,
        Entity.UK_NHS,
        Entity.UK_NINO,
        Entity.DATE_OF_BIRTH,
        Entity.UK_PASSPORT,
        Entity.UK_DRIVING_LICENCE,
        Entity.UK_VEHICLE_REGISTRATION,
        Entity.CREDIT_CARD,
        Entity.IBAN_CODE,
        Entity.UK_POSTCODE,
    }
)


def _street_level_findings(
    name: str, frame: pd.DataFrame, classification: DatasetClassification
) -> list[Finding]:
    """A data.police.uk street-level file as published (``police_street_level``, info), or
    one that claims the schema but differs (``police_street_level_changed``, medium)."""
    people = tuple(
        c.name
        for c in classification.columns.values()
        if c.role is ColumnRole.DIRECT_IDENTIFIER or set(c.entities) & _PERSON_ENTITIES
    )
    street = assess_street_level(frame, people)
    if street is None:
        return []
    return [
        Finding(
            kind="police_street_level" if street.recognised else "police_street_level_changed",
            severity=Severity.INFO if street.recognised else Severity.MEDIUM,
            dataset=name,
            columns=[str(c) for c in frame.columns],
            message=street.message(),
            count=street.rows,
        )
    ]
