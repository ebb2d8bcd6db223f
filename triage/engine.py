"""The pure engine: datasets + rulebook + run context in, report and treated data out.

Nothing here reads files, the environment, the clock or the network.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from triage import __version__
from triage.classifiers.columns import ColumnClassification, DatasetClassification, classify_dataset
from triage.classifiers.text import TextAnalyzer
from triage.context import RunContext
from triage.dataset import Dataset
from triage.facts import build_facts
from triage.findings import classification_findings, risk_findings
from triage.metrics import risk_metrics
from triage.models import (
    ColumnReport,
    DatasetReport,
    DatasetRisk,
    Finding,
    MosaicLink,
    Problem,
    Report,
    RiskMetrics,
    RuleFiring,
    RunInfo,
    TriageContext,
)
from triage.planning import Step, plan_treatments
from triage.questionnaire import Answers, builtin_questionnaire
from triage.redaction.base import TransformContext
from triage.redaction.redact_text import deny_pattern, name_terms
from triage.redaction.registry import get_transform
from triage.rules import Rule, Rulebook, evaluate_rules
from triage.vocab import ColumnRole, Decision, Destination, Entity, Severity

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class CheckResult:
    """The report, plus the treated frames to release (by dataset name) when changes apply."""

    report: Report
    released: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class _Stage:
    """One evaluation (before or after treatment) of one dataset."""

    columns: dict[str, ColumnReport]
    metrics: RiskMetrics
    findings: list[Finding]
    problems: list[Problem]
    fired: list[Rule]
    firings: list[RuleFiring]
    outcome: Decision | None


@dataclass
class _Outcome:
    report: DatasetReport
    decision: Decision
    reason: str
    findings: list[Finding]
    firings: list[RuleFiring]
    problems: list[Problem]
    treated: pd.DataFrame | None


def _int_param(params: dict[str, Any], key: str, default: int | None) -> int | None:
    value = params.get(key, default)
    return None if value is None else int(value)


class Engine:
    """Checks the datasets of one submission against one rulebook."""

    def __init__(
        self,
        rulebook: Rulebook,
        ctx: RunContext,
        text: TextAnalyzer | None,
        progress: Progress | None = None,
        answers: Answers | None = None,
    ) -> None:
        self.rulebook = rulebook
        self.answers = answers
        self.context: dict[str, Any] = (
            dict(answers.values)
            if answers is not None
            else {q.id: None for q in builtin_questionnaire().questions}
        )
        self.context_problems: list[Problem] = []
        if answers is not None:
            self.context_problems = answers.problems()
        elif rulebook.params.get("require_context"):
            self.context_problems = [
                Problem(
                    kind="context_missing",
                    message=f"the {rulebook.name} rulebook requires triage answers "
                    "(--context FILE; see 'triage context template')",
                )
            ]
        self.ctx = ctx
        self.text = text
        self.progress = progress or (lambda _msg: None)
        self.destination = Destination(rulebook.destination)
        self.k_target = _int_param(rulebook.params, "k", 5) or 1
        self.l_target = _int_param(rulebook.params, "l", None)

    # -- one stage -------------------------------------------------------------------------
    def _evaluate(
        self,
        name: str,
        stage: str,
        frame: pd.DataFrame,
        classification: DatasetClassification,
        columns: dict[str, ColumnReport],
        qis: list[str],
        sensitive: list[str],
        extra_problems: list[Problem],
        mosaic: list[MosaicLink],
    ) -> _Stage:
        metrics = risk_metrics(frame, qis, sensitive, self.k_target)
        findings = classification_findings(name, classification) if stage == "before" else []
        findings += risk_findings(name, metrics, len(frame), self.k_target, self.l_target)
        problems = list(classification.problems) + extra_problems
        facts = build_facts(
            destination=self.destination,
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
            params=self.rulebook.params,
            context=self.context,
        )
        evaluation = evaluate_rules(self.rulebook, facts)
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
                conditions=[_fill(c, self.context) for c in r.conditions],
            )
            for r in evaluation.fired
        ]
        outcomes = [r.outcome for r in evaluation.fired] + [p.forces for p in problems]
        outcome = Decision.most_restrictive(outcomes) if evaluation.fired else None
        return _Stage(columns, metrics, findings, problems, evaluation.fired, firings, outcome)

    # -- one dataset -----------------------------------------------------------------------
    def check_dataset(self, dataset: Dataset, mosaic: list[MosaicLink]) -> _Outcome:
        """Classify, measure, decide and (where the rules ask) treat and re-check one dataset."""
        name = dataset.name
        self.progress(f"{name}: classifying columns")
        classification = classify_dataset(dataset.frame, self.ctx, self.text)
        columns = {
            c.name: ColumnReport(role=c.role, entities=list(c.entities), evidence=list(c.evidence))
            for c in classification.columns.values()
        }
        qis = _with_role(classification.columns, ColumnRole.QUASI_IDENTIFIER)
        sensitive = _with_role(classification.columns, ColumnRole.SENSITIVE_ATTRIBUTE)
        self.progress(f"{name}: measuring risk and applying rules")
        before = self._evaluate(
            name,
            "before",
            dataset.frame,
            classification,
            columns,
            qis,
            sensitive,
            list(self.context_problems),
            mosaic,
        )
        findings, firings, problems = list(before.findings), list(before.firings), before.problems
        decision = before.outcome or Decision.most_restrictive(
            [Decision.REFER, *(p.forces for p in problems)]
        )
        reason = (
            _reason(before) if before.outcome is not None else "no rule decided, so a person must"
        )
        after_metrics: RiskMetrics | None = None
        treated: pd.DataFrame | None = None
        notes: dict[str, str] = {}
        rows_released: int | None = None
        if decision is Decision.RELEASE_WITH_CHANGES:
            steps = plan_treatments(
                [r for r in before.fired if r.outcome is Decision.RELEASE_WITH_CHANGES],
                classification.columns,
            )
            if not steps:
                decision, reason = Decision.REFER, "rules asked for changes but named none"
            else:
                self.progress(f"{name}: treating ({len(steps)} steps)")
                deny = _known_names(dataset.frame, classification)
                treated, notes, failure = self._treat(
                    name, dataset.frame, steps, classification, deny
                )
                if failure is not None:
                    problems.append(failure)
                    decision, reason, treated = Decision.REFER, failure.message, None
                else:
                    assert treated is not None
                    self.progress(f"{name}: re-checking treated data")
                    after = self._recheck(
                        name, treated, classification, notes, qis, sensitive, mosaic, deny
                    )
                    after_metrics = after.metrics
                    findings += after.findings
                    firings += after.firings
                    problems += [p for p in after.problems if p not in problems]
                    decision, reason = _after_decision(after)
                    rows_released = len(treated)
                    if decision is not Decision.RELEASE_WITH_CHANGES:
                        treated = None
        column_reports = {
            c: col.model_copy(update={"treatment": notes.get(c)}) for c, col in columns.items()
        }
        report = DatasetReport(
            name=name,
            sha256=dataset.sha256,
            rows=dataset.rows,
            columns=column_reports,
            risk=DatasetRisk(before=before.metrics, after=after_metrics),
            format=dataset.format,
            rows_released=rows_released,
            kept=_kept(dataset.frame, treated, notes),
        )
        return _Outcome(report, decision, reason, findings, firings, problems, treated)

    def _treat(
        self,
        name: str,
        frame: pd.DataFrame,
        steps: list[Step],
        classification: DatasetClassification,
        deny_terms: frozenset[str],
    ) -> tuple[pd.DataFrame | None, dict[str, str], Problem | None]:
        tctx = TransformContext(
            run=self.ctx,
            qi_kinds={c.name: c.qi_kind for c in classification.columns.values()},
            text=self.text,
            deny_terms=deny_terms,
        )
        notes: dict[str, str] = {}
        current = frame
        for step in steps:
            try:
                transform = get_transform(step.transform)
                result = transform.run(current, list(step.columns), step.params, tctx)
            except Exception as exc:  # a failing plug-in must never let data out
                log.debug("transform %s failed", step.transform, exc_info=True)
                return None, notes, _treatment_problem(step, exc, name)
            current = result.frame
            for col, note in result.column_notes.items():
                notes[col] = f"{notes[col]}; {note}" if col in notes else note
            if result.rows_removed:
                notes["(records)"] = result.description
        return current, notes, None

    def _recheck(
        self,
        name: str,
        treated: pd.DataFrame,
        before: DatasetClassification,
        notes: dict[str, str],
        qis: list[str],
        sensitive: list[str],
        mosaic: list[MosaicLink],
        deny_terms: frozenset[str],
    ) -> _Stage:
        """Run the same detectors, metrics and rules over the treated data, and look for the
        dataset's own known names in what is left of its free text."""
        recheck = classify_dataset(treated, self.ctx, self.text)
        merged: dict[str, ColumnClassification] = {}
        columns: dict[str, ColumnReport] = {}
        for col in treated.columns:
            now = recheck.columns[col]
            was = before.columns[col]
            note = notes.get(col, "")
            identity_replaced = note.startswith(("pseudonymised", "masked"))
            if now.role is ColumnRole.DIRECT_IDENTIFIER or (
                now.role is ColumnRole.FREE_TEXT and now.entities
            ):
                chosen = now
            elif identity_replaced:
                chosen = _replace(now, role=ColumnRole.NONE, qi_kind=None, sensitive_kind=None)
            else:
                chosen = _replace(
                    now, role=was.role, qi_kind=was.qi_kind, sensitive_kind=was.sensitive_kind
                )
            merged[col] = chosen
            columns[col] = ColumnReport(
                role=chosen.role, entities=list(chosen.entities), evidence=list(chosen.evidence)
            )
        merged_classification = DatasetClassification(
            columns=merged, person_related=before.person_related, problems=recheck.problems
        )
        survived = [
            Finding(
                kind="identifier_survived_treatment",
                severity=Severity.CRITICAL,
                dataset=name,
                columns=[c],
                message=f"After treatment column '{c}' still holds "
                f"{', '.join(str(e) for e in merged[c].entities)}.",
            )
            for c in merged
            if merged[c].role is ColumnRole.DIRECT_IDENTIFIER
            or (merged[c].role is ColumnRole.FREE_TEXT and merged[c].entities)
        ]
        survived += _surviving_names(name, treated, merged, deny_terms)
        stage = self._evaluate(
            name,
            "after",
            treated,
            merged_classification,
            columns,
            [q for q in qis if q in treated.columns],
            [s for s in sensitive if s in treated.columns],
            [],
            mosaic,
        )
        stage.findings[:0] = survived
        if survived:
            stage.outcome = Decision.WITHHOLD
        return stage

    # -- the submission --------------------------------------------------------------------
    def check(self, datasets: list[Dataset]) -> CheckResult:
        """Check every dataset of the submission and combine the decisions."""
        outcomes = [self.check_dataset(d, []) for d in datasets]
        decision = Decision.most_restrictive([o.decision for o in outcomes])
        decisive = [o for o in outcomes if o.decision is decision]
        reason = "; ".join(f"{o.report.name}: {o.reason}" for o in decisive)
        released: dict[str, pd.DataFrame] = {}
        if decision is Decision.RELEASE_WITH_CHANGES:
            for o, d in zip(outcomes, datasets, strict=True):
                released[d.name] = o.treated if o.treated is not None else d.frame
        datasets_out = [
            o.report
            if decision is Decision.RELEASE_WITH_CHANGES
            else o.report.model_copy(update={"risk": DatasetRisk(before=o.report.risk.before)})
            for o in outcomes
        ]
        datasets_out = [
            r.model_copy(update={"released": f"released/{r.name}" if r.name in released else None})
            for r in datasets_out
        ]
        firings = [f for o in outcomes for f in o.firings]
        problems: list[Problem] = []
        for problem in (p for o in outcomes for p in o.problems):
            if problem.kind == "context_missing":
                problem = problem.model_copy(update={"dataset": None})
            if problem not in problems:
                problems.append(problem)
        report = Report(
            decision=decision,
            destination=self.destination,
            datasets=datasets_out,
            findings=[f for o in outcomes for f in o.findings],
            rules_fired=firings,
            mosaic=[],
            problems=problems,
            decision_reason=reason,
            conditions=list(dict.fromkeys(c for f in firings for c in f.conditions)),
            data_class=_data_class(self.destination, decision),
            context=None
            if self.answers is None
            else TriageContext(
                questionnaire=self.answers.questionnaire,
                questionnaire_version=self.answers.questionnaire_version,
                answers=dict(self.answers.values),
                missing=list(self.answers.missing),
                source=self.answers.source,
            ),
            run=RunInfo(
                triage_version=__version__,
                rulebook=self.rulebook.name,
                rulebook_version=str(self.rulebook.version),
                rulebook_sha256=self.rulebook.sha256,
                nlp_model=self.text.model_name if self.text is not None else None,
            ),
        )
        return CheckResult(report, released)


_CONTEXT_REF = re.compile(r"\{context\.([a-z][a-z0-9_]*)\}")


def _fill(template: str, context: dict[str, Any]) -> str:
    """A rule's condition text with ``{context.<id>}`` replaced by the answer."""

    def answer(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if value is None or value == []:
            return "<not answered>"
        return ", ".join(value) if isinstance(value, list) else str(value)

    return _CONTEXT_REF.sub(answer, template)


def _data_class(
    destination: Destination, decision: Decision
) -> Literal["open", "shared", "closed"]:
    """The open / shared / closed reading of a decision (utilities' data triage)."""
    if decision not in (Decision.RELEASE, Decision.RELEASE_WITH_CHANGES):
        return "closed"
    if destination in (Destination.OPEN_DATA, Destination.FOI):
        return "open"
    return "shared"


def _replace(col: ColumnClassification, **changes: Any) -> ColumnClassification:
    return dataclasses.replace(col, **changes)


def _known_names(frame: pd.DataFrame, classification: DatasetClassification) -> frozenset[str]:
    """Name words from the dataset's own person-name columns."""
    terms: set[str] = set()
    for col in classification.columns.values():
        if col.role is ColumnRole.DIRECT_IDENTIFIER and Entity.PERSON in col.entities:
            terms |= name_terms(frame[col.name])
    return frozenset(terms)


def _surviving_names(
    name: str,
    treated: pd.DataFrame,
    columns: dict[str, ColumnClassification],
    deny_terms: frozenset[str],
) -> list[Finding]:
    """Findings for free-text columns that still mention a name from the dataset."""
    pattern = deny_pattern(deny_terms)
    if pattern is None:
        return []
    found: list[Finding] = []
    for col in treated.columns:
        if columns[col].role is not ColumnRole.FREE_TEXT:
            continue
        values = pd.unique(treated[col].dropna())
        hits = sum(1 for v in values if pattern.search(str(v)))
        if hits:
            found.append(
                Finding(
                    kind="identifier_survived_treatment",
                    severity=Severity.CRITICAL,
                    dataset=name,
                    columns=[col],
                    message=f"After treatment {hits} distinct values of free-text column "
                    f"'{col}' still mention names from the dataset's name columns.",
                    count=hits,
                )
            )
    return found


def _with_role(columns: dict[str, ColumnClassification], role: ColumnRole) -> list[str]:
    return [c.name for c in columns.values() if c.role is role]


def _reason(stage: _Stage) -> str:
    decisive = [f.rule for f in stage.firings if f.outcome is stage.outcome]
    if decisive:
        return f"rule {', '.join(decisive)} decided {stage.outcome}"
    kinds = sorted({p.kind for p in stage.problems})
    return f"problems ({', '.join(kinds)}) force {stage.outcome}"


def _after_decision(after: _Stage) -> tuple[Decision, str]:
    if after.outcome is None:
        forced = Decision.most_restrictive([Decision.REFER, *(p.forces for p in after.problems)])
        return forced, "the treated data was re-checked and no rule cleared it"
    if after.outcome is Decision.RELEASE:
        return Decision.RELEASE_WITH_CHANGES, "changes applied and the re-check passed"
    if after.outcome is Decision.RELEASE_WITH_CHANGES:
        rules = [f.rule for f in after.firings if f.outcome is Decision.RELEASE_WITH_CHANGES]
        return Decision.REFER, f"after treatment rule {', '.join(rules)} still asks for changes"
    return after.outcome, f"re-check of the treated data: {_reason(after)}"


def _treatment_problem(step: Step, exc: BaseException, dataset: str) -> Problem:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return Problem(
        kind="treatment_failed",
        message=f"treatment {step.transform} on {', '.join(step.columns)} failed: {message}",
        dataset=dataset,
    )


def _kept(original: pd.DataFrame, treated: pd.DataFrame | None, notes: dict[str, str]) -> list[str]:
    if treated is None:
        return []
    unchanged = [c for c in treated.columns if notes.get(c, "kept as is").endswith("kept as is")]
    kept = [
        f"{len(unchanged)} of {len(original.columns)} columns released unchanged"
        + (f": {', '.join(unchanged)}" if unchanged else ""),
        f"{len(treated)} of {len(original)} records released",
    ]
    changed = [c for c in treated.columns if c not in unchanged]
    if changed:
        kept.append(f"{len(changed)} columns released in changed form: {', '.join(changed)}")
    dropped = [c for c in original.columns if c not in treated.columns]
    if dropped:
        kept.append(f"{len(dropped)} columns withheld: {', '.join(dropped)}")
    return kept
