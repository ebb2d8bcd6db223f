"""The pure engine: datasets + rulebook + run context in, report and treated data out.

Nothing here reads files, the environment, the clock or the network.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from triage import __version__
from triage.classifiers.columns import ColumnClassification, DatasetClassification, classify_dataset
from triage.classifiers.geo import GeoAssessment, assess_geo, find_coordinate_columns
from triage.classifiers.police import assess_street_level
from triage.classifiers.text import TextAnalyzer
from triage.classifiers.weakness import WeaknessAssessment, detect_weaknesses
from triage.context import RunContext
from triage.dataset import Dataset
from triage.facts import build_facts
from triage.findings import (
    classification_findings,
    formula_findings,
    qi_review,
    risk_findings,
)
from triage.models import (
    ColumnReport,
    DatasetReport,
    DatasetRisk,
    Finding,
    Problem,
    Proposal,
    Report,
    RiskMetrics,
    RuleFiring,
    RunInfo,
    TriageContext,
)
from triage.mosaic.linkage import (
    LinkAssessment,
    SubmissionDataset,
    assess_against_fingerprints,
    assess_submission,
    mosaic_facts,
)
from triage.mosaic.versions import Superseded, VersionComparison, compare_versions
from triage.planning import Step, plan_treatments
from triage.questionnaire import Answers, builtin_questionnaire
from triage.redaction.base import TransformContext
from triage.redaction.redact_text import deny_pattern, name_terms
from triage.redaction.registry import get_transform
from triage.redaction.table_suppress import TableSuppressParams, primary_rules
from triage.report.map_svg import render_map
from triage.risk.measures import microdata_metrics, risk_drivers
from triage.risk.utility import utility_report
from triage.rules import Rule, Rulebook, evaluate_rules
from triage.sites import Proximity, SiteRegister, proximity
from triage.tables.differencing import submission_differencing
from triage.tables.model import Table, recognise_table
from triage.tables.suppression import (
    Protection,
    SuppressionResult,
    suppress_table,
    table_findings,
    table_metrics,
)
from triage.vocab import ColumnRole, Decision, Destination, Entity, Severity

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    """A dataset's treated form whose re-check did not withhold it: released when the
    submission is ``release_with_changes``, proposed to the reviewer when it is ``refer``."""

    frame: pd.DataFrame
    risk: RiskMetrics
    #: what the re-check found (for the reviewer)
    recheck: str
    released_kept: list[str]
    proposed_kept: list[str]
    utility: dict[str, Any] | None


@dataclass
class CheckResult:
    """The report, plus the treated frames to release (by dataset name) when changes apply,
    or to propose to the reviewer on ``refer``. :func:`settle` keeps these in step with the
    report's decision."""

    report: Report
    released: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: per dataset with points: an inline SVG map of points before and after, and site buffers
    maps: dict[str, str] = field(default_factory=dict)
    #: released files written elsewhere (redacted documents), by file name
    released_files: dict[str, Path] = field(default_factory=dict)
    #: on ``refer``: every table of the submission in the form proposed to the reviewer
    #: (treated where the rules asked for changes); never released by triage itself
    proposed: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: on ``refer``: proposed files written elsewhere (redacted documents), by file name
    proposed_files: dict[str, Path] = field(default_factory=dict)
    #: the submitted tables, by dataset name
    inputs: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: tables with a treated form (see :class:`Candidate`), by dataset name
    candidates: dict[str, Candidate] = field(default_factory=dict)
    #: documents with a redacted copy, by file name (released or proposed like candidates)
    candidate_files: dict[str, Path] = field(default_factory=dict)


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
    points_bng: np.ndarray | None = None


@dataclass
class _TableCheck:
    """A recognised aggregate table and the suppression the rulebook's rules give it."""

    table: Table
    result: SuppressionResult
    marker: str


@dataclass
class _Place:
    """Geospatial facts, findings and problems of one stage of one dataset."""

    facts: dict[str, Any]
    findings: list[Finding]
    problems: list[Problem]
    points_bng: np.ndarray | None
    #: what decided whose locations these are, in one sentence
    subject_evidence: str = ""


_GEO_FILE_FORMATS = frozenset({"gpkg", "shapefile"})


@dataclass
class _Outcome:
    report: DatasetReport
    decision: Decision
    reason: str
    findings: list[Finding]
    firings: list[RuleFiring]
    problems: list[Problem]
    treated: pd.DataFrame | None
    map_svg: str | None = None
    candidate: Candidate | None = None


def _as_int(value: float | None) -> int | None:
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
        sites: SiteRegister | None = None,
        density: np.ndarray | None = None,
        registered: Mapping[str, Mapping[str, Any]] | None = None,
        load_registered: Callable[[list[str]], Mapping[str, Mapping[str, Any]]] | None = None,
        registered_use_cases: Mapping[str, str | None] | None = None,
        superseded: Mapping[str, Superseded] | None = None,
    ) -> None:
        self.rulebook = rulebook
        self.sites = sites
        self.density = density
        self._formats: dict[str, str] = {}
        self._tables: dict[str, _TableCheck] = {}
        self._differencing: dict[str, int] = {}
        self._crs: dict[str, int | None] = {}
        self.registered = dict(registered or {})
        self.load_registered = load_registered
        self.registered_use_cases = dict(registered_use_cases or {})
        self.superseded = dict(superseded or {})
        self.answers = answers
        self.context: dict[str, Any] = (
            dict(answers.values)
            if answers is not None
            else {q.id: None for q in builtin_questionnaire().questions}
        )
        self.context_problems: list[Problem] = []
        if answers is not None:
            self.context_problems = answers.problems()
        elif rulebook.engine.require_context:
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
        self.k_target = rulebook.engine.k
        self.l_target = rulebook.engine.l

    def _protect_table(self, name: str, table: Table) -> _TableCheck:
        """Primary and secondary suppression of a recognised table, as the rulebook asks."""
        params = self._table_params()
        result = suppress_table(
            table, primary_rules(params), Protection(to_threshold=params.protect_to_threshold)
        )
        return _TableCheck(table, result, params.marker)

    def _table_params(self) -> TableSuppressParams:
        p = self.rulebook.engine
        return TableSuppressParams(
            threshold=p.table_threshold,
            dominance_n=p.dominance_n,
            dominance_k=p.dominance_k,
            p_percent=p.p_percent,
            min_contributors=p.min_contributors,
        )

    def _find_differencing(self) -> None:
        """Overlapping tables of the submission whose difference reveals a small count."""
        tables = [c.table for c in self._tables.values()]
        if len(tables) < 2:
            return
        risks = submission_differencing(tables, self._table_params().threshold)
        for risk in risks:
            for table_name in (risk.table_a, risk.table_b):
                self._differencing[table_name] = self._differencing.get(table_name, 0) + 1

    def _table_stage(
        self, name: str, stage: str, frame: pd.DataFrame
    ) -> tuple[dict[str, Any], list[Finding]]:
        """Table metrics and findings; after treatment, each sensitive cell of the written
        table is checked to carry the suppression marker."""
        check = self._tables.get(name)
        if check is None:
            return {}, []
        metrics = dict(table_metrics(check.table, check.result))
        metrics["table_differencing_risks"] = self._differencing.get(name, 0)
        if stage == "before":
            found = table_findings(name, check.table, check.result)
            if self._differencing.get(name):
                found.append(
                    Finding(
                        kind="table_differencing",
                        severity=Severity.HIGH,
                        dataset=name,
                        message=f"{self._differencing[name]} differences between overlapping "
                        "tables of this submission reveal counts below the threshold.",
                        count=self._differencing[name],
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

    def _place(
        self,
        name: str,
        frame: pd.DataFrame,
        classification: DatasetClassification,
        crs: int | None,
    ) -> _Place:
        """Where the data puts people and assets: precision, sensitive sites, weaknesses."""
        geo = assess_geo(
            frame,
            name=name,
            crs_hint=crs,
            geo_file=self._formats.get(name) in _GEO_FILE_FORMATS,
            k=self.k_target,
            density=self.density,
            person_related=classification.person_related,
            declared_subject=self.context.get("record_subject"),
        )
        weakness = detect_weaknesses(frame)
        near = (
            proximity(geo.points_bng, self.sites)
            if self.sites is not None and geo.points_bng is not None
            else None
        )
        sites_facts: dict[str, Any] = (
            {"checked": True, **near.facts()}
            if near is not None
            else {"checked": False, "within": 0, "by_category": {}, "min_distance_m": {}}
        )
        facts = {"geo": geo.facts(), "sites": sites_facts, "weakness": weakness.facts()}
        return _Place(
            facts=facts,
            findings=_place_findings(name, geo, near, weakness)
            + _street_level_findings(name, frame, classification),
            problems=[p.model_copy(update={"dataset": name}) for p in geo.problems],
            points_bng=geo.points_bng,
            subject_evidence=geo.subject_evidence,
        )

    def _measure(
        self, frame: pd.DataFrame, qis: list[str], sensitive: list[str], *, drivers: bool
    ) -> RiskMetrics:
        """Every microdata measure (the report's headline metrics are read from them) and,
        before treatment, what drives the risk (SUDA off for very large frames, where it would
        dominate the run time)."""
        params = self.rulebook.engine
        suda = 0 if len(frame) > 200_000 else None
        measures = microdata_metrics(
            frame,
            qis,
            sensitive,
            k=self.k_target,
            l=self.l_target,
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
                k=self.k_target,
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
        mosaic: list[dict[str, Any]],
        crs: int | None = None,
        extra_findings: list[Finding] | None = None,
    ) -> _Stage:
        metrics = self._measure(frame, qis, sensitive, drivers=stage == "before")
        place = self._place(name, frame, classification, crs)
        findings = list(extra_findings or [])
        if stage == "before":
            findings += classification_findings(
                name,
                classification,
                text_entities=frozenset(self.rulebook.params.get("text_entities", ())),
                place_text=frozenset(self.rulebook.params.get("place_entities", ())),
                subject=str(place.facts["geo"]["subject"]),
                subject_evidence=place.subject_evidence,
            )
        findings += formula_findings(name, frame)
        findings += risk_findings(name, metrics, len(frame), self.k_target, self.l_target)
        problems = [
            p
            if p.dataset is not None or p.kind == "context_missing"
            else p.model_copy(update={"dataset": name})
            for p in classification.problems
        ] + extra_problems
        findings += place.findings
        table_metrics_, table_findings_ = self._table_stage(name, stage, frame)
        findings += table_findings_
        problems += [p for p in place.problems if p not in problems]
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
            place=place.facts,
            table=table_metrics_,
            table_kind=self._tables[name].table.kind if name in self._tables else None,
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
        return _Stage(
            columns,
            metrics,
            findings,
            problems,
            evaluation.fired,
            firings,
            outcome,
            place.points_bng,
        )

    # -- one dataset -----------------------------------------------------------------------
    def check_dataset(
        self,
        dataset: Dataset,
        classification: DatasetClassification,
        links: list[LinkAssessment],
        others: list[SubmissionDataset],
        version: VersionComparison | None = None,
    ) -> _Outcome:
        """Measure, decide and (where the rules ask) treat and re-check one classified dataset.

        ``links`` are this dataset's mosaic links (within the submission and to registered
        releases); ``others`` the submission's other datasets, for the re-check's linkage;
        ``version`` its comparison with the release it supersedes.
        """
        name = dataset.name
        mosaic = self._mosaic_facts(links)
        columns = {
            c.name: ColumnReport(role=c.role, entities=list(c.entities), evidence=list(c.evidence))
            for c in classification.columns.values()
        }
        # an aggregate table's rows are cells, not people: it is judged by its cells instead
        is_table = name in self._tables
        qis = [] if is_table else _with_role(classification.columns, ColumnRole.QUASI_IDENTIFIER)
        sensitive = (
            [] if is_table else _with_role(classification.columns, ColumnRole.SENSITIVE_ATTRIBUTE)
        )
        self.progress(f"{name}: measuring risk and applying rules")
        before = self._evaluate(
            name,
            "before",
            dataset.frame,
            classification,
            columns,
            qis,
            sensitive,
            [*self.context_problems, *(version.problems() if version else [])],
            mosaic,
            dataset.crs,
            _mosaic_findings(name, links) + (version.findings() if version else []),
        )
        findings, firings, problems = list(before.findings), list(before.firings), before.problems
        decision = before.outcome or Decision.most_restrictive(
            [Decision.REFER, *(p.forces for p in problems)]
        )
        reason = (
            _reason(before) if before.outcome is not None else "no rule decided, so a person must"
        )
        after_points: np.ndarray | None = None
        treated: pd.DataFrame | None = None
        candidate: Candidate | None = None
        notes: dict[str, str] = {}
        wanted = [r for r in before.fired if r.outcome is Decision.RELEASE_WITH_CHANGES]
        # a refer whose rules also asked for changes: treat anyway, as a proposal to the reviewer
        proposing = decision is Decision.REFER and bool(wanted)
        if decision is Decision.RELEASE_WITH_CHANGES or proposing:
            steps = plan_treatments(wanted, classification.columns)
            if not steps:
                if not proposing:
                    decision, reason = Decision.REFER, "rules asked for changes but named none"
            else:
                self.progress(f"{name}: treating ({len(steps)} steps)")
                deny = _known_names(dataset.frame, classification)
                treated, notes, failure = self._treat(
                    name, dataset.frame, steps, classification, deny
                )
                if failure is not None:
                    problems.append(failure)
                    treated = None
                    if not proposing:
                        decision, reason = Decision.REFER, failure.message
                else:
                    assert treated is not None
                    self.progress(f"{name}: re-checking treated data")
                    after = self._recheck(
                        name, treated, classification, notes, qis, sensitive, others, deny
                    )
                    after_points = after.points_bng
                    findings += after.findings
                    firings += after.firings
                    problems += [p for p in after.problems if p not in problems]
                    after_decision, after_reason = _after_decision(after)
                    if after_decision is not Decision.WITHHOLD:
                        candidate = Candidate(
                            frame=treated,
                            risk=after.metrics,
                            recheck=_recheck_note(after),
                            released_kept=_kept(dataset.frame, treated, notes),
                            proposed_kept=_kept(dataset.frame, treated, notes, "proposed"),
                            utility=self._utility(dataset.frame, treated, qis),
                        )
                    if not proposing:  # a proposal never changes the decision
                        decision, reason = after_decision, after_reason
                    useless = _useless_treatment(name, len(dataset.frame), treated, notes, qis)
                    if useless is not None:
                        problems.append(useless)
                        if decision is Decision.RELEASE_WITH_CHANGES:
                            decision, reason = Decision.REFER, useless.message
                    if decision is not Decision.RELEASE_WITH_CHANGES:
                        treated = None
        column_reports = {
            c: col.model_copy(update={"treatment": notes.get(c)}) for c, col in columns.items()
        }
        # released, proposed and after-treatment fields are set by ``settle`` for the
        # submission's decision
        report = DatasetReport(
            name=name,
            sha256=dataset.sha256,
            rows=dataset.rows,
            columns=column_reports,
            risk=DatasetRisk(before=before.metrics, considered=qi_review(classification, is_table)),
            format=dataset.format,
        )
        return _Outcome(
            report,
            decision,
            reason,
            findings,
            firings,
            problems,
            treated,
            self._map(before.points_bng, after_points if treated is not None else None),
            candidate,
        )

    def _utility(
        self, original: pd.DataFrame, treated: pd.DataFrame | None, qis: list[str]
    ) -> dict[str, Any] | None:
        """Utility of the released data on the quasi-identifiers it kept (None if not treated)."""
        kept = [q for q in qis if treated is not None and q in treated.columns]
        if treated is None or not kept:
            return None
        try:
            return utility_report(original, treated, kept, k=self.k_target)
        except Exception:  # a measure that cannot be computed must not block the report
            log.debug("utility measures failed", exc_info=True)
            return None

    def _map(self, before: np.ndarray | None, after: np.ndarray | None) -> str | None:
        """An inline SVG of the points (before, after) and the sensitive-site buffers."""
        if before is None or not np.isfinite(before).all(axis=1).any():
            return None
        buffers = self.sites.buffers() if self.sites is not None else []
        return render_map(before, after, buffers)

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
            sites=self.sites,
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
        others: list[SubmissionDataset],
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
        # free text still holding what the rulebook calls personal (not dates or web links)
        text_entities = frozenset(self.rulebook.params.get("text_entities", ())) or None
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
            or (
                merged[c].role is ColumnRole.FREE_TEXT
                and any(
                    text_entities is None or str(e) in text_entities for e in merged[c].entities
                )
            )
        ]
        survived += _surviving_names(name, treated, merged, deny_terms)
        links = self._links_of(SubmissionDataset(name, treated, merged_classification), others)
        mosaic = self._mosaic_facts(links)
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
            self._crs.get(name),
            [*survived, *_mosaic_findings(name, links)],
        )
        if survived:
            stage.outcome = Decision.WITHHOLD
        return stage

    # -- the submission --------------------------------------------------------------------
    def _mosaic_facts(self, links: list[LinkAssessment]) -> list[dict[str, Any]]:
        """Rule facts of the links, with the use case a linked registered release was for."""
        facts = mosaic_facts(links)
        for fact, link in zip(facts, links, strict=True):
            uses = [self.registered_use_cases.get(n) for n in link.datasets]
            fact["registered_use_case"] = next((u for u in uses if u), None)
        return facts

    def _links_of(
        self, target: SubmissionDataset, others: list[SubmissionDataset]
    ) -> list[LinkAssessment]:
        """Mosaic links of ``target`` with the other datasets and with registered releases."""
        links = [
            link
            for link in assess_submission([target, *others], k=self.k_target)
            if target.name in link.datasets
        ]
        if self.registered:
            found = assess_against_fingerprints(
                target, self.registered, self.ctx.pseudonym_key, k=self.k_target
            )
            linked = sorted({n for link in found for n in link.datasets if n != target.name})
            if linked and self.load_registered is not None:
                full = self.load_registered(linked)
                found = assess_against_fingerprints(
                    target, full, self.ctx.pseudonym_key, k=self.k_target
                )
            links += found
        return links

    def check(self, datasets: list[Dataset]) -> CheckResult:
        """Check every dataset of the submission and combine the decisions."""
        classifications: dict[str, DatasetClassification] = {}
        for d in datasets:
            self.progress(f"{d.name}: classifying columns")
            self._formats[d.name], self._crs[d.name] = d.format, d.crs
            table = recognise_table(d.frame, d.name)
            if table is not None:
                self._tables[d.name] = self._protect_table(d.name, table)
            found = classify_dataset(d.frame, self.ctx, self.text)
            if table is not None:
                found = _counts_of_table(found, table)
            classifications[d.name] = _with_coordinates(d, found)
        self._find_differencing()
        subs = [SubmissionDataset(d.name, d.frame, classifications[d.name]) for d in datasets]
        self.progress("looking for mosaic links")
        per_dataset = {sd.name: self._links_of(sd, [o for o in subs if o is not sd]) for sd in subs}
        versions = {
            sd.name: compare_versions(
                sd, self.superseded[sd.name], self.ctx.pseudonym_key, self.k_target
            )
            for sd in subs
            if sd.name in self.superseded
        }
        all_links: list[LinkAssessment] = []
        for links in per_dataset.values():
            for link in links:
                if not any(_same_link(link, seen) for seen in all_links):
                    all_links.append(link)
        outcomes = [
            self.check_dataset(
                d,
                classifications[d.name],
                per_dataset[d.name],
                [o for o in subs if o.name != d.name],
                versions.get(d.name),
            )
            for d in datasets
        ]
        decision = Decision.most_restrictive([o.decision for o in outcomes])
        decisive = [o for o in outcomes if o.decision is decision]
        reason = "; ".join(f"{o.report.name}: {o.reason}" for o in decisive)
        datasets_out = [o.report for o in outcomes]
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
            mosaic=[link.to_mosaic_link() for link in all_links],
            mosaic_evidence=[link.to_json_dict() for link in all_links],
            versions=[v.to_json_dict() for v in versions.values()],
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
                thresholds={
                    k: v
                    for k, v in self.rulebook.params.items()
                    if isinstance(v, int | float | str | bool)
                },
            ),
        )
        maps = {o.report.name: o.map_svg for o in outcomes if o.map_svg is not None}
        result = CheckResult(
            report,
            maps=maps,
            inputs={d.name: d.frame for d in datasets},
            candidates={o.report.name: o.candidate for o in outcomes if o.candidate is not None},
        )
        return settle(result, decision)


def settle(result: CheckResult, decision: Decision) -> CheckResult:
    """``result`` with ``decision`` and the released or proposed data that go with it.

    ``release_with_changes`` releases every table (its treated form where it has one) and
    every redacted document. ``refer`` with any treated table or redacted document proposes
    them the same way, to the reviewer, and releases nothing: the decision stays ``refer``.
    Any other decision releases and proposes nothing here. The datasets' ``released``,
    ``proposed``, ``risk.after``/``risk.proposed``, ``kept`` and ``utility`` are set to match.
    """
    forms = {
        name: (c.frame if (c := result.candidates.get(name)) is not None else frame)
        for name, frame in result.inputs.items()
    }
    released: dict[str, pd.DataFrame] = {}
    released_files: dict[str, Path] = {}
    proposed: dict[str, pd.DataFrame] = {}
    proposed_files: dict[str, Path] = {}
    if decision is Decision.RELEASE_WITH_CHANGES:
        released, released_files = forms, dict(result.candidate_files)
    elif decision is Decision.REFER and (result.candidates or result.candidate_files):
        proposed, proposed_files = forms, dict(result.candidate_files)
    datasets = []
    for ds in result.report.datasets:
        if ds.name not in result.inputs and ds.name not in result.candidate_files:
            datasets.append(ds)  # a document without a redacted copy
            continue
        c = result.candidates.get(ds.name)
        update: dict[str, Any] = {
            "risk": DatasetRisk(before=ds.risk.before, considered=ds.risk.considered),
            "released": None,
            "rows_released": None,
            "kept": [],
            "utility": None,
            "proposed": None,
            "rows_proposed": None,
            "proposal": None,
        }
        if ds.name in released or ds.name in released_files:
            update["released"] = f"released/{ds.name}"
            if c is not None:
                update["risk"] = update["risk"].model_copy(update={"after": c.risk})
                update["rows_released"] = len(c.frame)
                update["kept"], update["utility"] = c.released_kept, c.utility
        elif ds.name in proposed or ds.name in proposed_files:
            update["proposed"] = f"proposed/{ds.name}"
            if c is not None:
                update["risk"] = update["risk"].model_copy(update={"proposed": c.risk})
                update["rows_proposed"] = len(c.frame)
                proposal = Proposal(
                    changed=True, recheck=c.recheck, kept=c.proposed_kept, utility=c.utility
                )
            elif ds.name in proposed:
                update["rows_proposed"] = ds.rows
                proposal = Proposal(
                    changed=False,
                    kept=_kept(result.inputs[ds.name], proposed[ds.name], {}, "proposed"),
                )
            else:
                proposal = Proposal(changed=True, kept=["a redacted copy of the document"])
            update["proposal"] = proposal
        datasets.append(ds.model_copy(update=update))
    report = result.report.model_copy(update={"datasets": datasets, "decision": decision})
    return dataclasses.replace(
        result,
        report=report,
        released=released,
        released_files=released_files,
        proposed=proposed,
        proposed_files=proposed_files,
    )


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


def _counts_of_table(classification: DatasetClassification, table: Table) -> DatasetClassification:
    """The value columns of an aggregate table are counts or magnitudes, not a person's
    attribute: "Benefit claimants over 65" by area is protected by small-cell suppression."""
    measures = {column for _, column in table.cell_map.values()}
    columns = dict(classification.columns)
    for name in measures:
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


def _same_link(a: LinkAssessment, b: LinkAssessment) -> bool:
    return set(a.datasets) == set(b.datasets) and a.to_fact() == b.to_fact()


def _mosaic_findings(name: str, links: list[LinkAssessment]) -> list[Finding]:
    """A high finding for each flagged link: linking makes groups smaller than k."""
    return [
        Finding(
            kind="mosaic_linkage",
            severity=Severity.HIGH,
            dataset=name,
            columns=[p.label for p in link.pairs],
            message=link.explanation,
            count=link.k_after,
        )
        for link in links
        if link.flagged
    ]


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


def _recheck_note(after: _Stage) -> str:
    """What the re-check of the changed data found, for a reviewer: facts, not a decision."""
    rules = ", ".join(f"{f.rule} ({f.outcome})" for f in after.firings) or "none"
    kinds = sorted({p.kind for p in after.problems})
    return f"re-check of the changed data: rules fired: {rules}" + (
        f"; problems: {', '.join(kinds)}" if kinds else ""
    )


def _useless_treatment(
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


def _kept(
    original: pd.DataFrame,
    treated: pd.DataFrame | None,
    notes: dict[str, str],
    verb: str = "released",
) -> list[str]:
    if treated is None:
        return []
    unchanged = [c for c in treated.columns if notes.get(c, "kept as is").endswith("kept as is")]
    kept = [
        f"{len(unchanged)} of {len(original.columns)} columns {verb} unchanged"
        + (f": {', '.join(unchanged)}" if unchanged else ""),
        f"{len(treated)} of {len(original)} records {verb}",
    ]
    changed = [c for c in treated.columns if c not in unchanged]
    if changed:
        kept.append(f"{len(changed)} columns {verb} in changed form: {', '.join(changed)}")
    dropped = [c for c in original.columns if c not in treated.columns]
    if dropped:
        kept.append(f"{len(dropped)} columns withheld: {', '.join(dropped)}")
    return kept
