"""Combine: the datasets' outcomes into the submission's report, and the one settle.

The submission's decision is the most restrictive of its datasets'; documents checked beside
the tables (:func:`with_documents`) and problems found around the check (:func:`with_problems`)
are merged here too, and every change of decision goes through :func:`settle`, which keeps the
released and proposed data in step with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from triage import __version__
from triage.dataset import Dataset
from triage.models import DatasetRisk, Problem, Proposal, Report, RunInfo, TriageContext
from triage.pipeline.state import CheckResult, Outcome, Setup, SubmissionState
from triage.pipeline.treat import kept
from triage.vocab import Decision, Destination

if TYPE_CHECKING:  # the paths of files written at the edges; never opened here
    from pathlib import Path


def combine(
    setup: Setup, state: SubmissionState, datasets: list[Dataset], outcomes: list[Outcome]
) -> CheckResult:
    """The submission's report from its datasets' outcomes, settled on their decision."""
    decision = Decision.most_restrictive([o.decision for o in outcomes])
    decisive = [o for o in outcomes if o.decision is decision]
    firings = [f for o in outcomes for f in o.firings]
    report = Report(
        decision=decision,
        destination=setup.destination,
        datasets=[o.report for o in outcomes],
        findings=[f for o in outcomes for f in o.findings],
        rules_fired=firings,
        mosaic=[link.to_mosaic_link() for link in state.all_links],
        mosaic_evidence=[link.to_json_dict() for link in state.all_links],
        versions=[v.to_json_dict() for v in state.versions.values()],
        problems=_problems(outcomes),
        decision_reason="; ".join(f"{o.report.name}: {o.reason}" for o in decisive),
        conditions=list(dict.fromkeys(c for f in firings for c in f.conditions)),
        data_class=_data_class(setup.destination, decision),
        context=_triage_context(setup),
        run=_run_info(setup),
    )
    result = CheckResult(
        report,
        maps={o.report.name: o.map_svg for o in outcomes if o.map_svg is not None},
        inputs={d.name: d.frame for d in datasets},
        candidates={o.report.name: o.candidate for o in outcomes if o.candidate is not None},
    )
    return settle(result, decision)


def _problems(outcomes: list[Outcome]) -> list[Problem]:
    """The datasets' problems once each (a missing triage answer is the submission's)."""
    problems: list[Problem] = []
    for problem in (p for o in outcomes for p in o.problems):
        if problem.kind == "context_missing":
            problem = problem.model_copy(update={"dataset": None})
        if problem not in problems:
            problems.append(problem)
    return problems


def _triage_context(setup: Setup) -> TriageContext | None:
    answers = setup.answers
    if answers is None:
        return None
    return TriageContext(
        questionnaire=answers.questionnaire,
        questionnaire_version=answers.questionnaire_version,
        answers=dict(answers.values),
        missing=list(answers.missing),
        source=answers.source,
    )


def _run_info(setup: Setup) -> RunInfo:
    rulebook = setup.rulebook
    return RunInfo(
        triage_version=__version__,
        rulebook=rulebook.name,
        rulebook_version=str(rulebook.version),
        rulebook_sha256=rulebook.sha256,
        nlp_model=setup.text.model_name if setup.text is not None else None,
        thresholds={
            k: v for k, v in rulebook.params.items() if isinstance(v, int | float | str | bool)
        },
    )


def with_documents(
    result: CheckResult,
    reports: Sequence[Report],
    redacted: dict[str, Path],
    with_tables: bool,
) -> CheckResult:
    """``result`` with the reports of documents checked beside it merged in (their redacted
    copies, by file name, in ``redacted``), settled on the most restrictive decision. Without
    tables (``with_tables`` false) the documents alone decide."""
    base = result.report
    decisions = ([base.decision] if with_tables else []) + [r.decision for r in reports]
    decision = Decision.most_restrictive(decisions)
    reasons = ([base.decision_reason] if with_tables else []) + [
        f"{r.datasets[0].name if r.datasets else 'document'}: {r.decision_reason or r.decision}"
        for r in reports
    ]
    tables = base.datasets if with_tables else []
    report = base.model_copy(
        update={
            "decision_reason": "; ".join(x for x in reasons if x),
            "datasets": [*tables, *(d for r in reports for d in r.datasets)],
            "findings": [*base.findings, *(f for r in reports for f in r.findings)],
            "rules_fired": [*base.rules_fired, *(f for r in reports for f in r.rules_fired)],
            "problems": [*base.problems, *(p for r in reports for p in r.problems)],
            "data_class": "closed"
            if decision not in (Decision.RELEASE, Decision.RELEASE_WITH_CHANGES)
            else base.data_class,
        }
    )
    return settle(dataclasses.replace(result, report=report, candidate_files=redacted), decision)


def with_problems(result: CheckResult, problems: list[Problem]) -> CheckResult:
    """``result`` with problems found around the check, settled on what they force."""
    report = result.report
    forced = Decision.most_restrictive([report.decision, *[p.forces for p in problems]])
    reason = report.decision_reason
    if forced is not report.decision:
        reason = f"{reason}; " + "; ".join(p.message for p in problems)
    report = report.model_copy(
        update={"problems": [*report.problems, *problems], "decision_reason": reason}
    )
    return settle(dataclasses.replace(result, report=report), forced)


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
                    kept=kept(result.inputs[ds.name], proposed[ds.name], {}, "proposed"),
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


def _data_class(
    destination: Destination, decision: Decision
) -> Literal["open", "shared", "closed"]:
    """The open / shared / closed reading of a decision (utilities' data triage)."""
    if decision not in (Decision.RELEASE, Decision.RELEASE_WITH_CHANGES):
        return "closed"
    if destination in (Destination.OPEN_DATA, Destination.FOI):
        return "open"
    return "shared"
