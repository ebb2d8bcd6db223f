"""The content of a report's sections, computed once from the report and rendered by both
:mod:`triage.report.markdown` and :mod:`triage.report.html_page`: table rows and plain
sentences, not yet escaped for either format."""

from __future__ import annotations

from collections.abc import Sequence

from triage.models import DatasetReport, Finding, Report
from triage.report.words import NA, RISK_ROWS, ROLE_WORDS, as_text, num
from triage.vocab import ColumnRole


def measure_rows(ds: DatasetReport) -> list[list[str]]:
    """Every microdata measure known before (and after), formatted; skips all-null rows."""
    before, after = ds.risk.before.measures, (ds.risk.after.measures if ds.risk.after else {})
    rows = []
    for name in before or after:
        b, a = before.get(name), after.get(name) if ds.risk.after else None
        if b is None and a is None:
            continue
        rows.append([name, num(b), NA if ds.risk.after is None else num(a)])
    return rows


def utility_rows(ds: DatasetReport) -> list[list[str]]:
    """Scalar utility measures (after treatment), formatted."""
    return [
        [name.replace("_", " "), num(value)]
        for name, value in (ds.utility or {}).items()
        if not isinstance(value, dict | list) and value is not None
    ]


def proposal_risk_rows(ds: DatasetReport) -> list[list[object]]:
    """Headline risk before, and of the changed form proposed to the reviewer."""
    proposed = ds.risk.proposed
    return [
        [label, get(ds.risk.before), NA if proposed is None else get(proposed)]
        for label, get in RISK_ROWS
    ]


def proposal_facts(ds: DatasetReport) -> list[str]:
    """Plain sentences about one dataset's proposal (file, rows, re-check, what is kept)."""
    proposal = ds.proposal
    if ds.proposed is None or proposal is None:
        return []
    rows = NA if ds.rows_proposed is None else str(ds.rows_proposed)
    facts = [
        f"Proposed file: {ds.proposed} ({rows} rows)"
        + ("" if proposal.changed else "; proposed as submitted, without changes")
    ]
    if proposal.recheck:
        facts.append(proposal.recheck[:1].upper() + proposal.recheck[1:])
    return facts + list(proposal.kept)


def proposal_utility_rows(ds: DatasetReport) -> list[list[str]]:
    """Scalar utility measures of the proposed data, formatted."""
    utility = ds.proposal.utility if ds.proposal is not None else None
    return [
        [name.replace("_", " "), num(value)]
        for name, value in (utility or {}).items()
        if not isinstance(value, dict | list) and value is not None
    ]


def driver_rows(ds: DatasetReport) -> list[list[str]]:
    """Each quasi-identifier's contribution to the risk (leave-one-out), biggest first."""
    return [
        [
            str(d.get("qi")),
            str(d.get("uniques_reduction")),
            str(d.get("below_k_reduction")),
            f"{float(d.get('msu_share') or 0.0):.0%}",
        ]
        for d in ds.risk.before.drivers
    ]


def role_counts(ds: DatasetReport) -> str:
    counts: dict[ColumnRole, int] = {}
    for col in ds.columns.values():
        counts[col.role] = counts.get(col.role, 0) + 1
    parts = []
    for role in ColumnRole:
        n = counts.get(role, 0)
        if n and role is not ColumnRole.NONE:
            word = ROLE_WORDS[role]
            parts.append(f"{n} {word}{'' if n == 1 else 's'}")
    return ", ".join(parts) if parts else "no identifying columns"


def dataset_summary(ds: DatasetReport, findings: Sequence[Finding]) -> str:
    """One plain-text sentence summarising a dataset for a reader in a hurry."""
    ncols = len(ds.columns)
    parts = [
        f"{ds.rows} rows, {ncols} column{'' if ncols == 1 else 's'} ({role_counts(ds)})",
    ]
    if ds.released:
        rows = NA if ds.rows_released is None else str(ds.rows_released)
        parts.append(f"released in changed form as {ds.released} ({rows} rows)")
    if ds.proposed:
        rows = NA if ds.rows_proposed is None else str(ds.rows_proposed)
        parts.append(f"proposed to the reviewer as {ds.proposed} ({rows} rows; not released)")
    k_before = as_text(ds.risk.before.k_anonymity)
    if ds.risk.after is not None:
        parts.append(f"k-anonymity {k_before} before, {as_text(ds.risk.after.k_anonymity)} after")
    elif ds.risk.proposed is not None:
        k_proposed = as_text(ds.risk.proposed.k_anonymity)
        parts.append(f"k-anonymity {k_before} before, {k_proposed} in the proposal")
    else:
        parts.append(f"k-anonymity {k_before}")
    if findings:
        worst = max((f.severity for f in findings), key=lambda s: s.rank)
        n = len(findings)
        parts.append(f"{n} finding{'' if n == 1 else 's'} (highest: {worst.value})")
    else:
        parts.append("no findings")
    return "; ".join(parts) + "."


def qi_sentence(ds: DatasetReport) -> str:
    """Which columns k-anonymity counted as quasi-identifiers, and which it did not."""
    counted = [c["column"] for c in ds.risk.considered if c["quasi_identifier"]]
    others = [c["column"] for c in ds.risk.considered if not c["quasi_identifier"]]
    head = (
        f"k-anonymity counts {len(counted)} quasi-identifier(s): {', '.join(counted)}."
        if counted
        else "k-anonymity counts no quasi-identifier."
    )
    if not others:
        return head
    return (
        f"{head} Not counted: {', '.join(others)} (why for each: the column evidence above, "
        "and risk.considered in report.json)."
    )


def version_sentences(report: Report) -> list[str]:
    """One plain sentence per dataset that supersedes a registered release."""
    out = []
    for v in report.versions:
        head = (
            f"{v['dataset']} is a new version of {v['supersedes']} "
            f"({v['rows_before']} rows before, {v['rows_after']} now), compared with it "
            "instead of linked"
        )
        if not v["comparable"]:
            why = v["not_comparable_because"]
            out.append(f"{head}; the difference could not be judged: {why}.")
        elif not v["classes_compared"]:
            out.append(f"{head}; neither version has groups of people to difference.")
        else:
            out.append(
                f"{head}: {v['classes_compared']} groups over "
                f"{', '.join(v['quasi_identifiers'])} compared, {v['small_changes']} changed "
                f"by fewer than {v['k']} people."
            )
    return out


def answer_rows(report: Report) -> list[tuple[str, str, str]]:
    """(question, answer, note) for the triage record; no answers means none given."""
    ctx = report.context
    if ctx is None:
        return []
    texts: dict[str, str] = {}
    try:
        from triage.questionnaire import builtin_questionnaire

        questionnaire = builtin_questionnaire()
        if questionnaire.name == ctx.questionnaire:
            texts = {q.id: q.text for q in questionnaire.questions}
    except Exception:  # the record still prints with question ids
        texts = {}
    rows = []
    for qid, value in ctx.answers.items():
        if isinstance(value, list):
            shown = ", ".join(value) if value else "not answered"
        else:
            shown = "not answered" if value is None else str(value)
        note = "REQUIRED, missing" if qid in ctx.missing else ""
        rows.append((texts.get(qid, qid), shown, note))
    return rows


def residual_risk(report: Report) -> list[str]:
    """One plain sentence per dataset about the risk left in what is released."""
    lines = []
    for ds in report.datasets:
        after = ds.risk.after
        if report.decision.value in ("refer", "withhold"):
            line = f"{ds.name}: nothing is released until the decision changes"
            proposed = ds.risk.proposed
            if ds.proposed and proposed is not None:
                line += (
                    f"; the changes proposed to the reviewer give k-anonymity "
                    f"{as_text(proposed.k_anonymity)}, {as_text(proposed.unique_records)} unique "
                    f"records, {as_text(ds.rows_proposed)} of {ds.rows} records"
                )
            elif ds.proposed:
                line += "; proposed to the reviewer as submitted"
            lines.append(line + ".")
        elif after is None:
            k = ds.risk.before.k_anonymity
            lines.append(
                f"{ds.name}: released unchanged"
                + (f"; k-anonymity {k}." if k is not None else "; no quasi-identifiers of people.")
            )
        else:
            lines.append(
                f"{ds.name}: released with changes; k-anonymity {as_text(after.k_anonymity)}, "
                f"{as_text(after.unique_records)} unique records, "
                f"{as_text(ds.rows_released)} of {ds.rows} records released."
            )
    return lines


def run_rows(report: Report) -> list[tuple[str, str]]:
    run = report.run
    if run is None:
        return []
    rows = [
        ("Schema version", report.schema_version),
        ("triage version", run.triage_version),
        ("Rulebook", f"{run.rulebook} {run.rulebook_version}"),
        ("Rulebook SHA-256", run.rulebook_sha256),
        ("NLP model", run.nlp_model if run.nlp_model else "pattern-only"),
    ]
    rows += [(f"Threshold {name}", str(value)) for name, value in sorted(run.thresholds.items())]
    rows += [(f"Package {name}", version) for name, version in sorted(run.packages.items())]
    return rows
