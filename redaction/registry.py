"""The table of built-in transforms, imported lazily."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from triage.errors import ConfigError
from triage.redaction.base import Transform

#: transform id -> "module:Class"
REGISTRY: dict[str, str] = {
    "drop": "triage.redaction.drop:Drop",
    "mask": "triage.redaction.mask:Mask",
    "pseudonymise": "triage.redaction.pseudonymise:Pseudonymise",
    "generalise": "triage.redaction.generalise:Generalise",
    "redact_text": "triage.redaction.redact_text:RedactText",
    "redact_individuals": "triage.redaction.redact_individuals:RedactIndividuals",
    "suppress_records": "triage.redaction.suppress:SuppressRecords",
    "local_suppress": "triage.redaction.suppress:LocalSuppress",
    "anonymise_k": "triage.redaction.anonymise_k:AnonymiseK",
    "table_suppress": "triage.redaction.table_suppress:TableSuppress",
    "table_round": "triage.redaction.table_suppress:TableRound",
    "microaggregate": "triage.redaction.microaggregate:Microaggregate",
    "snap_grid": "triage.redaction.spatial:SnapGrid",
    "aggregate_areas": "triage.redaction.aggregate_areas:AggregateAreas",
    "reduce_precision": "triage.redaction.spatial:ReducePrecision",
    "aggregate_h3": "triage.redaction.spatial:AggregateH3",
    "donut_geomask": "triage.redaction.spatial:DonutGeomask",
    "drop_near_sites": "triage.redaction.spatial:DropNearSites",
    "escape_formulas": "triage.redaction.escape_formulas:EscapeFormulas",
}


def transform_ids() -> list[str]:
    """Ids of the built-in transforms, sorted."""
    return sorted(REGISTRY)


@cache
def get_transform(transform_id: str) -> Transform[Any]:
    """The transform with ``transform_id`` (one cached instance); ConfigError when unknown."""
    try:
        target = REGISTRY[transform_id]
    except KeyError:
        raise ConfigError(
            f"unknown transform {transform_id!r}; known: {', '.join(transform_ids())}"
        ) from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    instance: Transform[Any] = cls()
    return instance
