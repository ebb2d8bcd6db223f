"""Classify: what each dataset of a submission is, before anything is measured.

Columns are classified (direct identifiers, quasi-identifiers, sensitive attributes...); an
aggregate table is recognised, protected by the rulebook's primary and secondary suppression
and its value columns judged by their cells; coordinates found by the geospatial detector
become locations; overlapping tables are compared for differencing.
"""

from __future__ import annotations

import dataclasses

from triage.classifiers.columns import DatasetClassification, classify_dataset
from triage.classifiers.geo import find_coordinate_columns
from triage.dataset import Dataset
from triage.pipeline.state import Setup, SubmissionState, TableCheck
from triage.redaction.table_suppress import TableSuppressParams, primary_rules
from triage.tables.differencing import submission_differencing
from triage.tables.model import Table, recognise_table
from triage.tables.suppression import Protection, suppress_table
from triage.vocab import ColumnRole, Entity


def classify_submission(setup: Setup, datasets: list[Dataset]) -> SubmissionState:
    """A new state holding every dataset's format, CRS, table and classification, and the
    differencing between the submission's tables."""
    state = SubmissionState()
    for d in datasets:
        setup.progress(f"{d.name}: classifying columns")
        state.formats[d.name], state.crs[d.name] = d.format, d.crs
        table = recognise_table(d.frame, d.name)
        if table is not None:
            state.tables[d.name] = protect_table(setup, table)
        found = classify_dataset(d.frame, setup.ctx, setup.text)
        if table is not None:
            found = _counts_of_table(found, table)
        state.classifications[d.name] = _with_coordinates(d, found)
    state.differencing = _differencing(setup, state)
    return state


def protect_table(setup: Setup, table: Table) -> TableCheck:
    """Primary and secondary suppression of a recognised table, as the rulebook asks."""
    params = table_params(setup)
    result = suppress_table(
        table, primary_rules(params), Protection(to_threshold=params.protect_to_threshold)
    )
    return TableCheck(table, result, params.marker)


def table_params(setup: Setup) -> TableSuppressParams:
    p = setup.rulebook.engine
    return TableSuppressParams(
        threshold=p.table_threshold,
        dominance_n=p.dominance_n,
        dominance_k=p.dominance_k,
        p_percent=p.p_percent,
        min_contributors=p.min_contributors,
    )


def _differencing(setup: Setup, state: SubmissionState) -> dict[str, int]:
    """Overlapping tables of the submission whose difference reveals a small count: how many
    such risks each table is part of."""
    tables = [c.table for c in state.tables.values()]
    counts: dict[str, int] = {}
    if len(tables) < 2:
        return counts
    for risk in submission_differencing(tables, table_params(setup).threshold):
        for table_name in (risk.table_a, risk.table_b):
            counts[table_name] = counts.get(table_name, 0) + 1
    return counts


def _counts_of_table(classification: DatasetClassification, table: Table) -> DatasetClassification:
    """The columns of an aggregate table are its cells' values (counts or magnitudes) and its
    dimensions, with their codes and labels, never a person's attribute: "Benefit claimants
    over 65" by area, or counts by disability and age band, are protected by small-cell
    suppression, not k-anonymity."""
    columns = dict(classification.columns)
    for name in columns:
        col = columns.get(name)
        if col is None or col.role not in (
            ColumnRole.SENSITIVE_ATTRIBUTE,
            ColumnRole.QUASI_IDENTIFIER,
        ):
            continue
        columns[name] = dataclasses.replace(
            col,
            role=ColumnRole.NONE,
            qi_kind=None,
            sensitive_kind=None,
            evidence=(
                *col.evidence,
                f"values of the {table.kind} table over "
                f"{', '.join(d.name for d in table.dimensions)}: judged by their cells",
            ),
        )
    return dataclasses.replace(classification, columns=columns)


def _with_coordinates(
    dataset: Dataset, classification: DatasetClassification
) -> DatasetClassification:
    """Coordinate columns found by the geospatial detector get the role ``location`` (so
    rules can treat them), with COORDINATES or UK_GRID_REFERENCE as their entity."""
    columns = dict(classification.columns)
    for pair in find_coordinate_columns(dataset.frame, crs_hint=dataset.crs, sample=500):
        entity = Entity.COORDINATES if pair.crs == 4326 else Entity.UK_GRID_REFERENCE
        for name in (pair.x, pair.y):
            col = columns.get(name) if name else None
            if col is None or col.role not in (ColumnRole.NONE, ColumnRole.LOCATION):
                continue
            entities = tuple(sorted({*col.entities, entity}))
            columns[col.name] = dataclasses.replace(
                col,
                role=ColumnRole.LOCATION,
                entities=entities,
                evidence=(*col.evidence, f"coordinates ({pair.kind}) found by the geo detector"),
            )
    return dataclasses.replace(classification, columns=columns)
