"""Decide: the rulebook's judgement of one dataset at one stage, and the dataset's decision.

:func:`evaluate` measures the data (:mod:`triage.pipeline.measure`), gathers the findings and
problems, builds the rule facts (:func:`triage.facts.build_facts`) and runs the rulebook; the
before stage gives the first decision (:func:`first_decision`), the re-check's stage the
decision after treatment (:func:`after_decision`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from triage.classifiers.columns import DatasetClassification
from triage.facts import build_facts
from triage.findings import classification_findings, formula_findings, risk_findings
from triage.models import ColumnReport, Finding, Problem, RiskMetrics, RuleFiring
from triage.pipeline import measure
from triage.pipeline.state import Setup, SubmissionState
from triage.rules import Rule, evaluate_rules
from triage.vocab import Decision


@dataclass
class Stage:
    """One evaluation (before or after treatment) of one dataset."""

    columns: dict[str, ColumnReport]
    metrics: RiskMetrics
    findings: list[Finding]
    problems: list[Problem]
    fired: list[Rule]
    firings: list[RuleFiring]
    outcome: Decision | None
    points_bng: np.ndarray | None = None


@dataclass
class Verdict:
    """A dataset's decision as it stands, with everything found on the way to it."""

    decision: Decision
    reason: str
    findings: list[Finding]
    firings: list[RuleFiring]
    problems: list[Problem]

    def overrule(self, decision: Decision, reason: str, *, proposing: bool) -> None:
        """Take ``decision`` unless the treated form is only a proposal to the reviewer (a
        proposal never changes the decision)."""
        if not proposing:
            self.decision, self.reason = decision, reason

    def add(self, stage: Stage) -> None:
        """Take in what the re-check ``stage`` found (its problems once each)."""
        self.findings += stage.findings
        self.firings += stage.firings
        self.problems += [p for p in stage.problems if p not in self.problems]


def evaluate(
    setup: Setup,
    state: SubmissionState,
    name: str,
    stage: str,
    frame: pd.DataFrame,
    classification: DatasetClassification,
    columns: dict[str, ColumnReport],
    qis: list[str],
    sensitive: list[str],
    extra_problems: list[Problem],
    mosaic: list[dict[str, Any]],
    extra_findings: list[Finding],
) -> Stage:
    """Measure ``frame`` at ``stage`` and run the rulebook over the facts."""
    metrics = measure.microdata_risk(setup, frame, qis, sensitive, drivers=stage == "before")
    place = measure.place(setup, state, name, frame, classification)
    findings = list(extra_findings)
    if stage == "before":
        findings += classification_findings(
            name,
            classification,
            text_entities=frozenset(setup.rulebook.params.get("text_entities", ())),
            place_text=frozenset(setup.rulebook.params.get("place_entities", ())),
            subject=str(place.facts["geo"]["subject"]),
            subject_evidence=place.subject_evidence,
        )
    findings += formula_findings(name, frame)
    findings += risk_findings(name, metrics, len(frame), setup.k_target, setup.l_target)
    problems = [
        p
        if p.dataset is not None or p.kind == "context_missing"
        else p.model_copy(update={"dataset": name})
        for p in classification.problems
    ] + extra_problems
    findings += place.findings
    table_metrics_, table_findings_ = measure.table_stage(state, name, stage, frame)
    findings += table_findings_
    problems += [p for p in place.problems if p not in problems]
    facts = build_facts(
        destination=setup.destination,
        stage=stage,
        name=name,
        rows=len(frame),
        person_related=classification.person_related,
        columns=columns,
        qi_kinds={
            c: classification.columns[c].qi_kind for c in columns if c in classification.columns
        },
        sensitive_kinds={
            c: classification.columns[c].sensitive_kind
            for c in columns
            if c in classification.columns
        },
        metrics=metrics,
        findings=findings,
        problems=problems,
        mosaic=mosaic,
        params=setup.rulebook.params,
        context=setup.context,
        place=place.facts,
        table=table_metrics_,
        table_kind=state.tables[name].table.kind if name in state.tables else None,
    )
    return _judge(setup, name, stage, facts, columns, metrics, findings, problems, place)


def _judge(
    setup: Setup,
    name: str,
    stage: str,
    facts: dict[str, Any],
    columns: dict[str, ColumnReport],
    metrics: RiskMetrics,
    findings: list[Finding],
    problems: list[Problem],
    place: measure.Place,
) -> Stage:
    """The rulebook's rules over ``facts``: what fired, and the most restrictive outcome."""
    evaluation = evaluate_rules(setup.rulebook, facts)
    for rule_id, message in evaluation.errors:
        problems.append(
            Problem(
                kind="rule_error",
                message=f"rule {rule_id} could not be evaluated: {message}",
                dataset=name,
            )
        )
    firings = [
        RuleFiring(
            rule=r.id,
            outcome=r.outcome,
            rationale=r.rationale,
            legal_basis=r.legal_basis,
            dataset=name,
            description=r.description,
            treatments=[t.transform for t in r.treatments],
            stage="before" if stage == "before" else "after",
            conditions=[_fill(c, setup.context) for c in r.conditions],
        )
        for r in evaluation.fired
    ]
    outcomes = [r.outcome for r in evaluation.fired] + [p.forces for p in problems]
    outcome = Decision.most_restrictive(outcomes) if evaluation.fired else None
    return Stage(
        columns,
        metrics,
        findings,
        problems,
        evaluation.fired,
        firings,
        outcome,
        place.points_bng,
    )


def first_decision(before: Stage) -> Verdict:
    """The decision the rules give the submitted data (refer when none decided)."""
    decision = before.outcome or Decision.most_restrictive(
        [Decision.REFER, *(p.forces for p in before.problems)]
    )
    reason = _reason(before) if before.outcome is not None else "no rule decided, so a person must"
    return Verdict(decision, reason, list(before.findings), list(before.firings), before.problems)


def after_decision(after: Stage) -> tuple[Decision, str]:
    """The decision the re-check of the treated data gives, and why."""
    if after.outcome is None:
        forced = Decision.most_restrictive([Decision.REFER, *(p.forces for p in after.problems)])
        return forced, "the treated data was re-checked and no rule cleared it"
    if after.outcome is Decision.RELEASE:
        return Decision.RELEASE_WITH_CHANGES, "changes applied and the re-check passed"
    if after.outcome is Decision.RELEASE_WITH_CHANGES:
        rules = [f.rule for f in after.firings if f.outcome is Decision.RELEASE_WITH_CHANGES]
        return Decision.REFER, f"after treatment rule {', '.join(rules)} still asks for changes"
    return after.outcome, f"re-check of the treated data: {_reason(after)}"


def _reason(stage: Stage) -> str:
    decisive = [f.rule for f in stage.firings if f.outcome is stage.outcome]
    if decisive:
        return f"rule {', '.join(decisive)} decided {stage.outcome}"
    kinds = sorted({p.kind for p in stage.problems})
    return f"problems ({', '.join(kinds)}) force {stage.outcome}"


_CONTEXT_REF = re.compile(r"\{context\.([a-z][a-z0-9_]*)\}")


def _fill(template: str, context: dict[str, Any]) -> str:
    """A rule's condition text with ``{context.<id>}`` replaced by the answer."""

    def answer(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if value is None or value == []:
            return "<not answered>"
        return ", ".join(value) if isinstance(value, list) else str(value)

    return _CONTEXT_REF.sub(answer, template)
