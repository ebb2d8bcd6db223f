"""Turn the treatments that fired rules ask for into an ordered, conflict-free plan."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from triage.classifiers.columns import ColumnClassification
from triage.redaction.generalise import GeneraliseParams, level_for
from triage.rules.model import Rule, TreatmentSpec

#: Column-replacing transforms; at most one per column.
_REPLACING = frozenset({"drop", "mask", "redact_text", "pseudonymise"})
#: Transforms that work on a whole aggregate table, whatever columns a rule selects.
_WHOLE_TABLE = frozenset({"table_suppress", "table_round", "escape_formulas"})
#: Order in which steps run.
_ORDER = {
    "drop": 0,
    "mask": 1,
    "redact_text": 2,
    "pseudonymise": 3,
    # places: remove or coarsen points near sensitive sites before any grid moves them
    "drop_near_sites": 4,
    "snap_grid": 5,
    "reduce_precision": 5,
    "aggregate_h3": 5,
    "aggregate_areas": 5,
    "donut_geomask": 5,
    "generalise": 6,
    "local_suppress": 7,
    # continuous keys are grouped before the search over the categorical ones
    "microaggregate": 7,
    "anonymise_k": 8,
    "suppress_records": 9,
    "table_suppress": 10,
    "table_round": 11,
    # last: what is released is escaped as written
    "escape_formulas": 12,
}


@dataclass(frozen=True)
class Step:
    """One treatment step: a transform, the columns it touches, its params and why."""

    transform: str
    columns: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    rules: tuple[str, ...] = ()

    def describe(self) -> str:
        """Short human description, e.g. ``drop(name, email) [OD-01]``."""
        return f"{self.transform}({', '.join(self.columns)}) [{', '.join(self.rules)}]"


def select_columns(spec: TreatmentSpec, columns: dict[str, ColumnClassification]) -> list[str]:
    """Columns matching every selector the treatment spec gives (in frame order)."""
    chosen: list[str] = []
    for name, col in columns.items():
        if spec.columns and name not in spec.columns:
            continue
        if spec.role is not None and col.role != spec.role:
            continue
        if spec.entities and not set(spec.entities) & set(col.entities):
            continue
        if spec.qi_kinds and col.qi_kind not in spec.qi_kinds:
            continue
        chosen.append(name)
    return chosen


def plan_treatments(fired: Iterable[Rule], columns: dict[str, ColumnClassification]) -> list[Step]:
    """An ordered plan from the treatments of the fired rules, in rulebook order.

    A column gets at most one column-replacing transform (drop, mask, redact_text,
    pseudonymise): the first one, in rulebook order, that selects it, so a rulebook can
    pseudonymise linkage keys and then drop the remaining identifiers. Later steps
    (generalisation, k-targeted suppression) only touch columns that are kept, and the
    k-targeted search leaves microaggregated columns alone.
    """
    replacing: dict[str, tuple[str, str, dict[str, Any]]] = {}
    other: dict[tuple[str, str], tuple[set[str], set[str], dict[str, Any]]] = {}
    for rule in fired:
        for spec in rule.treatments:
            selected = (
                list(columns) if spec.transform in _WHOLE_TABLE else select_columns(spec, columns)
            )
            if spec.transform in _REPLACING:
                for name in selected:
                    replacing.setdefault(name, (spec.transform, rule.id, dict(spec.params)))
            elif selected:
                key = (spec.transform, repr(sorted(spec.params.items())))
                cols, rules, _params = other.setdefault(key, (set(), set(), dict(spec.params)))
                cols.update(selected)
                rules.add(rule.id)
    order = list(columns)
    grouped: dict[tuple[str, str], tuple[list[str], set[str], dict[str, Any]]] = {}
    for name in order:
        if name not in replacing:
            continue
        transform, rule_id, params = replacing[name]
        key = (transform, repr(sorted(params.items())))
        names, rule_ids, _params = grouped.setdefault(key, ([], set(), params))
        names.append(name)
        rule_ids.add(rule_id)
    steps = [
        Step(transform, tuple(names), params, tuple(sorted(rule_ids)))
        for (transform, _), (names, rule_ids, params) in grouped.items()
    ]
    for (transform, _), (cols, rule_ids, params) in other.items():
        kept = tuple(c for c in order if c in cols and c not in replacing)
        if kept:
            steps.append(Step(transform, kept, params, tuple(sorted(rule_ids))))
    steps.sort(key=_step_order)
    return _fold_generalise_into_k(_microaggregated_out_of_k(_merge_k_steps(steps)), columns)


def _microaggregated_out_of_k(steps: list[Step]) -> list[Step]:
    """Columns a rule microaggregates (exact amounts) are not also generalised or suppressed
    by the k-targeted search: their groups of k are already made."""
    grouped = {c for s in steps if s.transform == "microaggregate" for c in s.columns}
    if not grouped:
        return steps
    out: list[Step] = []
    for step in steps:
        if step.transform == "anonymise_k":
            kept = tuple(c for c in step.columns if c not in grouped)
            if not kept:
                continue
            step = dataclasses.replace(step, columns=kept)
        out.append(step)
    return out


def _step_order(step: Step) -> tuple[int, int, tuple[str, ...]]:
    """Run order: by transform; dropping records comes before coarsening them."""
    return (
        _ORDER.get(step.transform, 99),
        0 if step.params.get("action") == "drop" else 1,
        step.columns,
    )


def _fold_generalise_into_k(
    steps: list[Step], columns: dict[str, ColumnClassification]
) -> list[Step]:
    """Generalisation a rule asks for becomes a floor of the k-targeted search on the same
    columns, so values are never generalised twice (a band of a band)."""
    k_steps = [s for s in steps if s.transform == "anonymise_k"]
    if not k_steps:
        return steps
    (k_step,) = k_steps
    floors: dict[str, int] = dict(k_step.params.get("min_levels", {}))
    out: list[Step] = []
    for step in steps:
        if step.transform != "generalise":
            out.append(step)
            continue
        params = GeneraliseParams.model_validate(step.params)
        folded = [c for c in step.columns if c in k_step.columns]
        for col in folded:
            level = level_for(col, columns[col].qi_kind, params)
            floors[col] = max(floors.get(col, 0), level)
        rest = tuple(c for c in step.columns if c not in folded)
        if rest:
            out.append(dataclasses.replace(step, columns=rest))
    rules = tuple(
        sorted({*k_step.rules, *(r for s in steps if s.transform == "generalise" for r in s.rules)})
    )
    merged = dataclasses.replace(
        k_step, params={**k_step.params, "min_levels": floors}, rules=rules
    )
    return [merged if s is k_step else s for s in out]


def _merge_k_steps(steps: list[Step]) -> list[Step]:
    """Several rules asking for a k target become one step with the strictest target."""
    k_steps = [s for s in steps if s.transform == "anonymise_k"]
    if len(k_steps) <= 1:
        return steps
    cols: list[str] = []
    for s in k_steps:
        cols.extend(c for c in s.columns if c not in cols)
    params: dict[str, Any] = {}
    for s in k_steps:
        for key, value in s.params.items():
            if key == "k":
                params[key] = max(int(params.get(key, 0)), int(value))
            elif key == "max_suppression":
                params[key] = min(float(params.get(key, 1.0)), float(value))
            else:
                params.setdefault(key, value)
    rules = tuple(sorted({r for s in k_steps for r in s.rules}))
    merged = Step("anonymise_k", tuple(cols), params, rules)
    out = [s for s in steps if s.transform != "anonymise_k"]
    out.append(merged)
    out.sort(key=_step_order)
    return out
