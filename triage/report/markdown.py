"""A report as Markdown for a data officer.

Rendering is pure (a report in, a string out) and deterministic: no clocks, no randomness,
no file or network access. Every piece of report text is escaped for Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

from triage.models import DatasetReport, Finding, Report, RuleFiring
from triage.report.sections import (
    answer_rows,
    dataset_summary,
    driver_rows,
    measure_rows,
    proposal_facts,
    proposal_risk_rows,
    proposal_utility_rows,
    qi_sentence,
    residual_risk,
    run_rows,
    utility_rows,
    version_sentences,
)
from triage.report.words import (
    DECISION_MEANING,
    DECISION_WORDS,
    DRIVER_HEADERS,
    NA,
    NONE_TEXT,
    PROPOSAL_NOTE,
    READING,
    RISK_ROWS,
    Split,
    as_text,
    sorted_findings,
)


def _md(value: object) -> str:
    """Escape text for one Markdown line or table cell (pipes, newlines, HTML, backslashes)."""
    text = as_text(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<").replace("`", "\\`")
    text = " ".join(text.split())
    if text[:1] in {"#", "-", "+", ">", "=", "*"}:
        text = "\\" + text
    return text


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = [
        "| " + " | ".join(_md(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_md(c) or " " for c in row) + " |")
    return lines


def _md_findings(findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return ["No findings."]
    return _md_table(
        ["Severity", "Kind", "Columns", "Message", "Count"],
        [
            [f.severity.value, f.kind, f.columns, f.message, f.count]
            for f in sorted_findings(findings)
        ],
    )


def _md_rules(rules: Sequence[RuleFiring]) -> list[str]:
    if not rules:
        return ["No rules fired."]
    return _md_table(
        ["Rule", "Stage", "Outcome", "Rationale", "Legal basis", "Treatments"],
        [
            [r.rule, r.stage, r.outcome.value, r.rationale, r.legal_basis, r.treatments]
            for r in rules
        ],
    )


def render_markdown(report: Report) -> str:
    """Render a report as Markdown for a data officer.

    Parameters
    ----------
    report
        The finished report.

    Returns
    -------
    str
        Markdown text ending in a newline; the same report always gives the same text.
    """
    split = Split(report)
    out = _md_head(report)
    for ds in report.datasets:
        out += _md_dataset(ds, split)
    out += _md_submission(split)
    out += _md_mosaic(report)
    out += _md_problems_and_kept(report)
    out += _md_record(report)
    out += ["", "## Run information", ""]
    out += _md_run(report)
    return "\n".join(out).rstrip("\n") + "\n"


def _md_head(report: Report) -> list[str]:
    """The title, the decision, why, and the table of datasets."""
    words = DECISION_WORDS[report.decision]
    out: list[str] = [
        f"# Triage report: {words} ({_md(report.destination.value)})",
        "",
        f"**Decision:** {words} (`{report.decision.value}`, exit code "
        f"{report.decision.exit_code}) · **Destination:** `{report.destination.value}`",
        "",
        DECISION_MEANING[report.decision],
        "",
        *([PROPOSAL_NOTE, ""] if any(d.proposed for d in report.datasets) else []),
        "## Why",
        "",
        _md(report.decision_reason) if report.decision_reason else "No reason was recorded.",
        "",
        "## Datasets",
        "",
    ]
    if report.datasets:
        out += _md_table(
            ["Dataset", "Rows", "Rows released", "Released file"],
            [[d.name, d.rows, d.rows_released, d.released] for d in report.datasets],
        )
    else:
        out.append("No datasets.")
    out.append("")
    return out


def _md_dataset(ds: DatasetReport, split: Split) -> list[str]:
    """One dataset: summary, columns, risk, proposal, drivers, findings, rules, problems."""
    findings = split.findings.get(ds.name, [])
    out = [f"## Dataset: {_md(ds.name)}", "", _md(dataset_summary(ds, findings)), ""]
    out += [
        f"SHA-256: `{_md(ds.sha256)}`" + (f" · format: {_md(ds.format)}" if ds.format else ""),
        "",
    ]
    out += ["### Columns", ""]
    if ds.columns:
        out += _md_table(
            ["Column", "Role", "Entities", "Treatment", "Evidence"],
            [
                [
                    name,
                    col.role.value,
                    [e.value for e in col.entities],
                    col.treatment if col.treatment else NONE_TEXT,
                    "; ".join(col.evidence) if col.evidence else NONE_TEXT,
                ]
                for name, col in ds.columns.items()
            ],
        )
    else:
        out.append("No columns.")
    out += _md_risk(ds)
    drivers = driver_rows(ds)
    if drivers:
        out += ["", "#### What drives the risk", ""]
        out += _md_table(DRIVER_HEADERS, drivers)
        rows = ", ".join(str(r) for r in ds.risk.before.riskiest_rows)
        out += ["", f"Riskiest records (row positions, 0-based): {rows or NA}."]
    out += ["", "### Findings", "", *_md_findings(findings), ""]
    out += ["### Rules fired", "", *_md_rules(split.rules.get(ds.name, [])), ""]
    ds_problems = split.problems.get(ds.name, [])
    if ds_problems:
        out += ["### Problems", ""]
        out += _md_table(
            ["Kind", "Message", "Forces"],
            [[p.kind, p.message, p.forces.value] for p in ds_problems],
        )
        out.append("")
    return out


def _md_risk(ds: DatasetReport) -> list[str]:
    """Risk before and after, utility, every measure, and the changes proposed."""
    out = ["", "### Risk before and after", ""]
    if ds.risk.considered:
        out += [_md(qi_sentence(ds)), ""]
    after = ds.risk.after
    out += _md_table(
        ["Metric", "Before", "After"],
        [
            [label, get(ds.risk.before), NA if after is None else get(after)]
            for label, get in RISK_ROWS
        ],
    )
    if after is None:
        out += ["", "No changed version was released, so there is no after column."]
    if ds.utility:
        out += ["", "#### Information kept (utility)", ""]
        out += _md_table(["Measure", "Value"], utility_rows(ds))
    measures = measure_rows(ds)
    if measures:
        out += ["", "#### All risk measures", ""]
        out += _md_table(["Measure", "Before", "After"], measures)
    if ds.proposed:
        out += ["", "### Proposed changes (awaiting a reviewer)", "", PROPOSAL_NOTE, ""]
        out += [f"- {_md(fact)}" for fact in proposal_facts(ds)]
        if ds.risk.proposed is not None:
            out += [""]
            out += _md_table(["Metric", "Before", "Proposed"], proposal_risk_rows(ds))
        utility = proposal_utility_rows(ds)
        if utility:
            out += ["", "#### Information kept in the proposal (utility)", ""]
            out += _md_table(["Measure", "Value"], utility)
    return out


def _md_submission(split: Split) -> list[str]:
    """Findings and rules about the whole submission, when there are any."""
    out: list[str] = []
    sub_findings = split.findings.get(None, [])
    sub_rules = split.rules.get(None, [])
    if sub_findings or sub_rules:
        out += ["## Whole submission", ""]
        if sub_findings:
            out += ["### Findings", "", *_md_findings(sub_findings), ""]
        if sub_rules:
            out += ["### Rules fired", "", *_md_rules(sub_rules), ""]
    return out


def _md_mosaic(report: Report) -> list[str]:
    """Linkable datasets and new versions of registered releases."""
    out = ["## Mosaic risk", ""]
    if report.mosaic:
        out += _md_table(
            ["Datasets", "Linking columns", "k-anonymity after linkage"],
            [[m.datasets, m.linking_columns, m.k_anonymity_after_linkage] for m in report.mosaic],
        )
    else:
        out.append("No linkable datasets found.")
    if report.versions:
        out += ["", "### New versions of registered releases", ""]
        out += [f"- {sentence}" for sentence in version_sentences(report)]
    return out


def _md_problems_and_kept(report: Report) -> list[str]:
    """Every problem of the run and what was kept of each dataset."""
    out = ["", "## Problems", ""]
    if report.problems:
        out += _md_table(
            ["Dataset", "Kind", "Message", "Forces"],
            [[p.dataset, p.kind, p.message, p.forces.value] for p in report.problems],
        )
    else:
        out.append("No problems.")
    out += ["", "## What was kept", ""]
    kept_any = False
    for ds in report.datasets:
        if ds.kept:
            kept_any = True
            out.append(f"- **{_md(ds.name)}**")
            out += [f"  - {_md(item)}" for item in ds.kept]
    if not kept_any:
        out.append("Nothing recorded.")
    return out


def _md_record(report: Report) -> list[str]:
    out = ["", "## Triage record", ""]
    out.append(f"- Decision: **{report.decision.value}** ({READING[report.data_class]})")
    out.append(f"- Destination: {report.destination.value}")
    if report.context is not None:
        out.append(
            f"- Questionnaire: {_md(report.context.questionnaire)} "
            f"{_md(report.context.questionnaire_version)}"
            + (f" (answers from {_md(report.context.source)})" if report.context.source else "")
        )
    out += ["", "### Conditions of release", ""]
    out += [f"- {_md(c)}" for c in report.conditions] or ["- none recorded"]
    out += ["", "### Triage answers", ""]
    rows = answer_rows(report)
    out += _md_table(["Question", "Answer", "Note"], rows) if rows else ["No answers given."]
    out += ["", "### Rules", ""]
    out += [f"- {_md(f.rule)} ({f.stage}): {f.outcome.value}" for f in report.rules_fired] or [
        "- none fired"
    ]
    out += ["", "### Residual risk", ""]
    out += [f"- {_md(line)}" for line in residual_risk(report)]
    out += ["", "### Review", "", "- Reviewer: ____________________", "- Review date: __________"]
    return out


def _md_run(report: Report) -> list[str]:
    rows = run_rows(report)
    if not rows:
        return ["Run information was not recorded."]
    return _md_table(["Item", "Value"], rows)
