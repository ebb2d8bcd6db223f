"""What the stages of one check pass along: the run's collaborators (:class:`Setup`), the state
of one submission (:class:`SubmissionState`, built by classify and link, read by every later
stage) and what one dataset's check hands to combine (:class:`Outcome`, :class:`Candidate`).

Nothing here is kept on an engine object between checks:
:meth:`triage.pipeline.engine.Engine.check` builds a fresh :class:`SubmissionState` for each
submission, and :meth:`~triage.pipeline.engine.Engine.check_dataset` one for a dataset checked
alone, so that dataset is judged as it is inside a submission of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from triage.classifiers.columns import DatasetClassification
from triage.classifiers.text import TextAnalyzer
from triage.context import RunContext
from triage.models import DatasetReport, Finding, Problem, Report, RiskMetrics, RuleFiring
from triage.mosaic.linkage import LinkAssessment, SubmissionDataset
from triage.mosaic.versions import Superseded, VersionComparison
from triage.questionnaire import Answers, builtin_questionnaire
from triage.rules import Rulebook
from triage.sites import SiteRegister
from triage.tables.model import Table
from triage.tables.suppression import SuppressionResult
from triage.vocab import Decision, Destination

if TYPE_CHECKING:  # the paths of files written at the edges; never opened here
    from pathlib import Path

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Setup:
    """The collaborators of a check (the same for every submission checked with them): the
    rulebook, run context, text analyser, sensitive sites, density, the register's releases
    and the triage answers (``context``, with the problems missing answers raise)."""

    rulebook: Rulebook
    ctx: RunContext
    text: TextAnalyzer | None
    progress: Progress
    answers: Answers | None
    sites: SiteRegister | None
    density: np.ndarray | None
    registered: Mapping[str, Mapping[str, Any]]
    load_registered: Callable[[list[str]], Mapping[str, Mapping[str, Any]]] | None
    registered_use_cases: Mapping[str, str | None]
    superseded: Mapping[str, Superseded]
    context: dict[str, Any]
    context_problems: list[Problem]

    @classmethod
    def create(
        cls,
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
    ) -> Setup:
        """The setup of a check; without ``answers`` every question of the built-in
        questionnaire is unanswered (a problem when the rulebook requires answers)."""
        context: dict[str, Any] = (
            dict(answers.values)
            if answers is not None
            else {q.id: None for q in builtin_questionnaire().questions}
        )
        context_problems: list[Problem] = []
        if answers is not None:
            context_problems = answers.problems()
        elif rulebook.engine.require_context:
            context_problems = [
                Problem(
                    kind="context_missing",
                    message=f"the {rulebook.name} rulebook requires triage answers "
                    "(--context FILE; see 'triage context template')",
                )
            ]
        return cls(
            rulebook=rulebook,
            ctx=ctx,
            text=text,
            progress=progress or (lambda _msg: None),
            answers=answers,
            sites=sites,
            density=density,
            registered=dict(registered or {}),
            load_registered=load_registered,
            registered_use_cases=dict(registered_use_cases or {}),
            superseded=dict(superseded or {}),
            context=context,
            context_problems=context_problems,
        )

    @property
    def destination(self) -> Destination:
        return Destination(self.rulebook.destination)

    @property
    def k_target(self) -> int:
        return self.rulebook.engine.k

    @property
    def l_target(self) -> int | None:
        return self.rulebook.engine.l


@dataclass
class TableCheck:
    """A recognised aggregate table and the suppression the rulebook's rules give it."""

    table: Table
    result: SuppressionResult
    marker: str


@dataclass
class SubmissionState:
    """Everything known about one submission before its datasets are decided.

    Built by :func:`triage.pipeline.classify.classify_submission` (formats, CRS, tables,
    differencing, classifications) and :func:`triage.pipeline.link.link_submission` (links,
    versions); read, never changed, by measure, decide, treat and re-check.
    """

    #: the file format of each dataset (``csv``, ``gpkg``...), by name
    formats: dict[str, str] = field(default_factory=dict)
    #: the CRS each dataset declared, by name
    crs: dict[str, int | None] = field(default_factory=dict)
    #: the recognised aggregate tables and their suppression, by dataset name
    tables: dict[str, TableCheck] = field(default_factory=dict)
    #: how many differencing risks between overlapping tables involve each table
    differencing: dict[str, int] = field(default_factory=dict)
    #: each dataset's column classification (tables' counts and coordinates resolved)
    classifications: dict[str, DatasetClassification] = field(default_factory=dict)
    #: the datasets as mosaic linkage sees them, in submission order
    submission: list[SubmissionDataset] = field(default_factory=list)
    #: each dataset's mosaic links (within the submission and to registered releases)
    links: dict[str, list[LinkAssessment]] = field(default_factory=dict)
    #: every distinct link of the submission, in the order found
    all_links: list[LinkAssessment] = field(default_factory=list)
    #: each dataset's comparison with the release it supersedes
    versions: dict[str, VersionComparison] = field(default_factory=dict)

    def others(self, name: str) -> list[SubmissionDataset]:
        """The submission's datasets other than ``name`` (for the re-check's linkage)."""
        return [o for o in self.submission if o.name != name]


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
    or to propose to the reviewer on ``refer``. :func:`triage.pipeline.combine.settle` keeps
    these in step with the report's decision."""

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
class Outcome:
    """One dataset's check, as combine needs it."""

    report: DatasetReport
    decision: Decision
    reason: str
    findings: list[Finding]
    firings: list[RuleFiring]
    problems: list[Problem]
    map_svg: str | None = None
    candidate: Candidate | None = None
