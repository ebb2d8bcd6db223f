"""The pure engine: datasets + rulebook + run context in, report and treated data out.

One check is one pipeline over an explicit :class:`~triage.pipeline.state.SubmissionState`::

    classify -> link -> per dataset: decide (measure) -> treat -> recheck -> decide -> combine

Nothing here reads files, the environment, the clock or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from triage.classifiers.columns import ColumnClassification
from triage.classifiers.text import TextAnalyzer
from triage.context import RunContext
from triage.dataset import Dataset
from triage.findings import qi_review
from triage.models import ColumnReport, DatasetReport, DatasetRisk
from triage.mosaic.versions import Superseded
from triage.pipeline import combine, decide, link, measure, recheck
from triage.pipeline.classify import classify_submission
from triage.pipeline.state import CheckResult, Outcome, Progress, Setup, SubmissionState
from triage.questionnaire import Answers
from triage.rules import Rulebook
from triage.sites import SiteRegister
from triage.vocab import ColumnRole


class Engine:
    """Checks the datasets of a submission against one rulebook. It holds the collaborators
    only (:class:`Setup`, the arguments of :meth:`Setup.create`); each check builds its own
    state, so checks never see each other."""

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
        self.setup = Setup.create(
            rulebook,
            ctx,
            text,
            progress,
            answers,
            sites,
            density,
            registered,
            load_registered,
            registered_use_cases,
            superseded,
        )

    def check(self, datasets: list[Dataset]) -> CheckResult:
        """Check every dataset of the submission and combine the decisions."""
        state = classify_submission(self.setup, datasets)
        link.link_submission(self.setup, state, datasets)
        outcomes = [check_dataset(self.setup, state, d) for d in datasets]
        return combine.combine(self.setup, state, datasets, outcomes)

    def check_dataset(self, dataset: Dataset) -> Outcome:
        """One dataset checked as a submission of its own (the same as :meth:`check` gives it
        alone: its table, format, CRS and links are found first)."""
        state = classify_submission(self.setup, [dataset])
        link.link_submission(self.setup, state, [dataset])
        return check_dataset(self.setup, state, dataset)


def check_dataset(setup: Setup, state: SubmissionState, dataset: Dataset) -> Outcome:
    """Measure, decide and (where the rules ask) treat and re-check one dataset of ``state``."""
    name, classification = dataset.name, state.classifications[dataset.name]
    links, version = state.links[name], state.versions.get(name)
    columns = {
        c.name: ColumnReport(role=c.role, entities=list(c.entities), evidence=list(c.evidence))
        for c in classification.columns.values()
    }
    # an aggregate table's rows are cells, not people: it is judged by its cells instead
    is_table = name in state.tables
    qis = [] if is_table else _with_role(classification.columns, ColumnRole.QUASI_IDENTIFIER)
    sensitive = (
        [] if is_table else _with_role(classification.columns, ColumnRole.SENSITIVE_ATTRIBUTE)
    )
    setup.progress(f"{name}: measuring risk and applying rules")
    before = decide.evaluate(
        setup,
        state,
        name,
        "before",
        dataset.frame,
        classification,
        columns,
        qis,
        sensitive,
        [*setup.context_problems, *(version.problems() if version else [])],
        link.link_facts(setup, links),
        link.link_findings(name, links) + (version.findings() if version else []),
    )
    verdict = decide.first_decision(before)
    change = recheck.treat_and_recheck(setup, state, dataset, before, verdict, qis, sensitive)
    # released, proposed and after-treatment fields are set by ``settle`` for the
    # submission's decision
    report = DatasetReport(
        name=name,
        sha256=dataset.sha256,
        rows=dataset.rows,
        columns={
            c: col.model_copy(update={"treatment": change.notes.get(c)})
            for c, col in columns.items()
        },
        risk=DatasetRisk(before=before.metrics, considered=qi_review(classification, is_table)),
        format=dataset.format,
    )
    return Outcome(
        report,
        verdict.decision,
        verdict.reason,
        verdict.findings,
        verdict.firings,
        verdict.problems,
        measure.points_map(setup, before.points_bng, change.after_points),
        change.candidate,
    )


def _with_role(columns: dict[str, ColumnClassification], role: ColumnRole) -> list[str]:
    return [c.name for c in columns.values() if c.role is role]
