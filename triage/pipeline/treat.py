"""Treat: the changes the rules asked for, applied in their planned order.

Each step runs one transform plug-in (:mod:`triage.redaction.registry`); a failing plug-in
stops the treatment and becomes a problem, so no half-treated data can leave. Also here: what a
treatment kept (for the report) and when it keeps too little to be worth releasing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from triage.classifiers.columns import DatasetClassification
from triage.models import Problem
from triage.pipeline.state import Setup
from triage.planning import Step
from triage.redaction.base import TransformContext
from triage.redaction.redact_text import name_terms
from triage.redaction.registry import get_transform
from triage.vocab import ColumnRole, Decision, Entity

log = logging.getLogger(__name__)


@dataclass
class Treated:
    """A treatment's result: the treated frame (None when a step failed, with the failure),
    and a note per changed column (``(records)`` for removed records)."""

    frame: pd.DataFrame | None
    notes: dict[str, str] = field(default_factory=dict)
    failure: Problem | None = None


def apply(
    setup: Setup,
    name: str,
    frame: pd.DataFrame,
    steps: list[Step],
    classification: DatasetClassification,
    deny_terms: frozenset[str],
) -> Treated:
    """Run ``steps`` over ``frame`` in order."""
    tctx = TransformContext(
        run=setup.ctx,
        qi_kinds={c.name: c.qi_kind for c in classification.columns.values()},
        text=setup.text,
        deny_terms=deny_terms,
        sites=setup.sites,
    )
    notes: dict[str, str] = {}
    current = frame
    for step in steps:
        try:
            transform = get_transform(step.transform)
            result = transform.run(current, list(step.columns), step.params, tctx)
        except Exception as exc:  # a failing plug-in must never let data out
            log.debug("transform %s failed", step.transform, exc_info=True)
            return Treated(None, notes, _treatment_problem(step, exc, name))
        current = result.frame
        for col, note in result.column_notes.items():
            notes[col] = f"{notes[col]}; {note}" if col in notes else note
        if result.rows_removed:
            notes["(records)"] = result.description
    return Treated(current, notes)


def known_names(frame: pd.DataFrame, classification: DatasetClassification) -> frozenset[str]:
    """Name words from the dataset's own person-name columns."""
    terms: set[str] = set()
    for col in classification.columns.values():
        if col.role is ColumnRole.DIRECT_IDENTIFIER and Entity.PERSON in col.entities:
            terms |= name_terms(frame[col.name])
    return frozenset(terms)


def useless_treatment(
    name: str, rows: int, treated: pd.DataFrame, notes: dict[str, str], qis: list[str]
) -> Problem | None:
    """A ``treatment_keeps_little`` problem (forces refer) when the changes k-anonymity needs
    would remove every record or more records than the suppression budget allows: such a
    release keeps little of use, and a person should choose another form (coarser groups,
    fewer columns, aggregate tables). The treated data stays a proposal."""
    why = None
    if rows and treated.empty:
        why = f"the changes would remove all {rows} records"
    elif any("suppression budget exceeded" in notes.get(q, "") for q in qis):
        why = f"the changes would remove {rows - len(treated)} of {rows} records, over the budget"
    if why is None:
        return None
    return Problem(
        kind="treatment_keeps_little",
        message=f"{name}: {why}; a person should choose a coarser release or another form",
        dataset=name,
        forces=Decision.REFER,
    )


def _treatment_problem(step: Step, exc: BaseException, dataset: str) -> Problem:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Problem(
        kind="treatment_failed",
        message=f"treatment {step.transform} on {', '.join(step.columns)} failed: {message}",
        dataset=dataset,
    )


def kept(
    original: pd.DataFrame,
    treated: pd.DataFrame | None,
    notes: dict[str, str],
    verb: str = "released",
) -> list[str]:
    """What a treated form keeps of the original, in sentences for the report."""
    if treated is None:
        return []
    unchanged = [c for c in treated.columns if notes.get(c, "kept as is").endswith("kept as is")]
    lines = [
        f"{len(unchanged)} of {len(original.columns)} columns {verb} unchanged"
        + (f": {', '.join(unchanged)}" if unchanged else ""),
        f"{len(treated)} of {len(original)} records {verb}",
    ]
    changed = [c for c in treated.columns if c not in unchanged]
    if changed:
        lines.append(f"{len(changed)} columns {verb} in changed form: {', '.join(changed)}")
    dropped = [c for c in original.columns if c not in treated.columns]
    if dropped:
        lines.append(f"{len(dropped)} columns withheld: {', '.join(dropped)}")
    return lines
