"""Re-check: the treated data measured and judged again, as the submitted data was.

Every treatment ends in a re-measure on the same explicit state (as sdcMicro's local
suppression does): the same detectors, metrics, links and rules run over the treated frame,
and the dataset's own known names are looked for in what is left of its free text. Anything
identifying that survived withholds the dataset.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from triage.classifiers.columns import ColumnClassification, DatasetClassification, classify_dataset
from triage.dataset import Dataset
from triage.models import ColumnReport, Finding, Problem
from triage.mosaic.linkage import SubmissionDataset
from triage.pipeline import decide, link, measure, treat
from triage.pipeline.state import Candidate, Setup, SubmissionState
from triage.planning import plan_treatments
from triage.redaction.redact_text import deny_pattern
from triage.vocab import ColumnRole, Decision, Severity


@dataclass
class Change:
    """What treating a dataset left: the column notes, the candidate treated form, and the
    treated points when that form is released."""

    notes: dict[str, str] = field(default_factory=dict)
    candidate: Candidate | None = None
    after_points: np.ndarray | None = None


def treat_and_recheck(
    setup: Setup,
    state: SubmissionState,
    dataset: Dataset,
    before: decide.Stage,
    verdict: decide.Verdict,
    qis: list[str],
    sensitive: list[str],
) -> Change:
    """The changes the rules asked for, applied and re-checked; ``verdict`` follows the
    re-check unless this is a refer whose treated form is only proposed to the reviewer."""
    name, classification = dataset.name, state.classifications[dataset.name]
    wanted = [r for r in before.fired if r.outcome is Decision.RELEASE_WITH_CHANGES]
    # a refer whose rules also asked for changes: treat anyway, as a proposal to the reviewer
    proposing = verdict.decision is Decision.REFER and bool(wanted)
    if verdict.decision is not Decision.RELEASE_WITH_CHANGES and not proposing:
        return Change()
    steps = plan_treatments(wanted, classification.columns)
    if not steps:
        verdict.overrule(
            Decision.REFER, "rules asked for changes but named none", proposing=proposing
        )
        return Change()
    setup.progress(f"{name}: treating ({len(steps)} steps)")
    deny = treat.known_names(dataset.frame, classification)
    treated = treat.apply(setup, name, dataset.frame, steps, classification, deny)
    notes = treated.notes
    if treated.frame is None:
        assert treated.failure is not None
        verdict.problems.append(treated.failure)
        verdict.overrule(Decision.REFER, treated.failure.message, proposing=proposing)
        return Change(notes)
    setup.progress(f"{name}: re-checking treated data")
    frame = treated.frame
    personal = frozenset(
        c for f in before.findings if f.kind == "free_text_personal_data" for c in f.columns
    )
    after = recheck(
        setup, state, name, frame, classification, notes, qis, sensitive, deny, personal
    )
    verdict.add(after)
    after_decision, after_reason = decide.after_decision(after)
    form = None
    if after_decision is not Decision.WITHHOLD:
        form = candidate(setup, dataset.frame, frame, notes, qis, after)
    verdict.overrule(after_decision, after_reason, proposing=proposing)
    useless = treat.useless_treatment(name, len(dataset.frame), frame, notes, qis)
    if useless is not None:
        verdict.problems.append(useless)
        if verdict.decision is Decision.RELEASE_WITH_CHANGES:
            verdict.decision, verdict.reason = Decision.REFER, useless.message
    released = verdict.decision is Decision.RELEASE_WITH_CHANGES
    return Change(notes, form, after.points_bng if released else None)


def recheck(
    setup: Setup,
    state: SubmissionState,
    name: str,
    treated: pd.DataFrame,
    before: DatasetClassification,
    notes: dict[str, str],
    qis: list[str],
    sensitive: list[str],
    deny_terms: frozenset[str],
    personal_text: frozenset[str] = frozenset(),
) -> decide.Stage:
    """Run the same detectors, metrics and rules over the treated data, and look for the
    dataset's own known names in what is left of its free text (``personal_text``: the
    free-text columns found personal before treatment)."""
    merged, columns, problems = _reclassify(setup, treated, before, notes)
    merged_classification = DatasetClassification(
        columns=merged, person_related=before.person_related, problems=problems
    )
    survived = _survived(setup, name, merged, personal_text)
    survived += _surviving_names(name, treated, merged, deny_terms)
    links = link.links_of(
        setup, SubmissionDataset(name, treated, merged_classification), state.others(name)
    )
    stage = decide.evaluate(
        setup,
        state,
        name,
        "after",
        treated,
        merged_classification,
        columns,
        [q for q in qis if q in treated.columns],
        [s for s in sensitive if s in treated.columns],
        [],
        link.link_facts(setup, links),
        [*survived, *link.link_findings(name, links)],
    )
    if survived:
        stage.outcome = Decision.WITHHOLD
    return stage


def candidate(
    setup: Setup,
    original: pd.DataFrame,
    treated: pd.DataFrame,
    notes: dict[str, str],
    qis: list[str],
    after: decide.Stage,
) -> Candidate:
    """The treated form the re-check ``after`` did not withhold, with what it keeps."""
    return Candidate(
        frame=treated,
        risk=after.metrics,
        recheck=recheck_note(after),
        released_kept=treat.kept(original, treated, notes),
        proposed_kept=treat.kept(original, treated, notes, "proposed"),
        utility=measure.utility(setup, original, treated, qis),
    )


def recheck_note(after: decide.Stage) -> str:
    """What the re-check of the changed data found, for a reviewer: facts, not a decision."""
    rules = ", ".join(f"{f.rule} ({f.outcome})" for f in after.firings) or "none"
    kinds = sorted({p.kind for p in after.problems})
    return f"re-check of the changed data: rules fired: {rules}" + (
        f"; problems: {', '.join(kinds)}" if kinds else ""
    )


def _reclassify(
    setup: Setup, treated: pd.DataFrame, before: DatasetClassification, notes: dict[str, str]
) -> tuple[dict[str, ColumnClassification], dict[str, ColumnReport], tuple[Problem, ...]]:
    """The treated columns classified again: a detector's identifier or personal free text
    stands; a column whose identity was replaced is no longer one (nor when its header alone
    names an identifier: keyed pseudonyms under "nhs_number"); any other keeps its role from
    before treatment."""
    again = classify_dataset(treated, setup.ctx, setup.text)
    merged: dict[str, ColumnClassification] = {}
    columns: dict[str, ColumnReport] = {}
    for col in treated.columns:
        now = again.columns[col]
        was = before.columns[col]
        note = notes.get(col, "")
        identity_replaced = note.startswith(("pseudonymised", "masked"))
        if (
            now.role is ColumnRole.DIRECT_IDENTIFIER and (now.entities or not identity_replaced)
        ) or (now.role is ColumnRole.FREE_TEXT and now.entities):
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
    return merged, columns, again.problems


def _survived(
    setup: Setup,
    name: str,
    merged: dict[str, ColumnClassification],
    personal_text: frozenset[str],
) -> list[Finding]:
    """Identifiers, and free text found personal before treatment still holding what the
    rulebook calls personal (not dates or web links), left in the treated columns; free text
    that was never personal (places in data about places) is not a survivor of a treatment
    that did not touch it for that."""
    text_entities = frozenset(setup.rulebook.params.get("text_entities", ())) or None
    return [
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
            and c in personal_text
            and any(text_entities is None or str(e) in text_entities for e in merged[c].entities)
        )
    ]


def _replace(col: ColumnClassification, **changes: Any) -> ColumnClassification:
    return dataclasses.replace(col, **changes)


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
