"""Human-readable renderings of a :class:`~triage.models.Report`: Markdown and one-file HTML.

Rendering is pure (a report in, a string out) and deterministic: no clocks, no randomness,
no file or network access. Every piece of report text is escaped for the target format.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping, Sequence

from triage.models import (
    DatasetReport,
    Finding,
    Problem,
    Report,
    RiskMetrics,
    RuleFiring,
)
from triage.vocab import ColumnRole, Decision

__all__ = ["DECISION_WORDS", "render_html", "render_markdown"]

logger = logging.getLogger(__name__)

NA = "n/a"
NONE_TEXT = "none"

DECISION_WORDS: dict[Decision, str] = {
    Decision.RELEASE: "Release",
    Decision.RELEASE_WITH_CHANGES: "Release with changes",
    Decision.REFER: "Refer for review",
    Decision.WITHHOLD: "Withhold",
}

_DECISION_MEANING: dict[Decision, str] = {
    Decision.RELEASE: "The data can be released as submitted.",
    Decision.RELEASE_WITH_CHANGES: (
        "The data can be released only in the changed form written by triage."
    ),
    Decision.REFER: "A person must review this submission before anything is released.",
    Decision.WITHHOLD: "Do not release this data.",
}

_ROLE_WORDS: dict[ColumnRole, str] = {
    ColumnRole.DIRECT_IDENTIFIER: "direct identifier",
    ColumnRole.QUASI_IDENTIFIER: "quasi-identifier",
    ColumnRole.SENSITIVE_ATTRIBUTE: "sensitive attribute",
    ColumnRole.LOCATION: "location",
    ColumnRole.FREE_TEXT: "free text",
    ColumnRole.NONE: "none",
}

# Rows of the risk table: label, how to read the value from a RiskMetrics.
_RISK_ROWS: tuple[tuple[str, Callable[[RiskMetrics], object]], ...] = (
    ("k-anonymity", lambda m: m.k_anonymity),
    ("Unique records", lambda m: m.unique_records),
    ("l-diversity", lambda m: m.l_diversity),
    ("Records below k", lambda m: m.records_below_k),
    ("QIs used", lambda m: m.quasi_identifiers),
    ("Sensitive attributes", lambda m: m.sensitive_attributes),
)


# --------------------------------------------------------------------------- shared helpers


def _measure_rows(ds: DatasetReport) -> list[list[str]]:
    """Every microdata measure known before (and after), formatted; skips all-null rows."""
    before, after = ds.risk.before.measures, (ds.risk.after.measures if ds.risk.after else {})
    rows = []
    for name in before or after:
        b, a = before.get(name), after.get(name) if ds.risk.after else None
        if b is None and a is None:
            continue
        rows.append([name, _num(b), NA if ds.risk.after is None else _num(a)])
    return rows


def _utility_rows(ds: DatasetReport) -> list[list[str]]:
    """Scalar utility measures (after treatment), formatted."""
    return [
        [name.replace("_", " "), _num(value)]
        for name, value in (ds.utility or {}).items()
        if not isinstance(value, dict | list) and value is not None
    ]


_PROPOSAL_NOTE = (
    "Proposed changes wait for a reviewer: nothing is released unless a reviewer approves "
    "them. The decision stays refer."
)


def _proposal_risk_rows(ds: DatasetReport) -> list[list[object]]:
    """Headline risk before, and of the changed form proposed to the reviewer."""
    proposed = ds.risk.proposed
    return [
        [label, get(ds.risk.before), NA if proposed is None else get(proposed)]
        for label, get in _RISK_ROWS
    ]


def _proposal_facts(ds: DatasetReport) -> list[str]:
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


def _proposal_utility_rows(ds: DatasetReport) -> list[list[str]]:
    """Scalar utility measures of the proposed data, formatted."""
    utility = ds.proposal.utility if ds.proposal is not None else None
    return [
        [name.replace("_", " "), _num(value)]
        for name, value in (utility or {}).items()
        if not isinstance(value, dict | list) and value is not None
    ]


def _num(value: object) -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _driver_rows(ds: DatasetReport) -> list[list[str]]:
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


_DRIVER_HEADERS = [
    "Quasi-identifier",
    "Unique records removed without it",
    "Records below k removed without it",
    "Share of minimal sample uniques",
]


def _text(value: object) -> str:
    """Plain text for a value: ``n/a`` for None, comma list for sequences, ``none`` if empty."""
    if value is None:
        return NA
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else NONE_TEXT
    return str(value)


def _sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Findings by severity, critical first; ties keep their report order."""
    indexed = list(enumerate(findings))
    indexed.sort(key=lambda item: (-item[1].severity.rank, item[0]))
    return [f for _, f in indexed]


class _Split:
    """Findings, rules and problems grouped by dataset; unknown or None goes to submission."""

    def __init__(self, report: Report) -> None:
        names = {d.name for d in report.datasets}
        self.findings: dict[str | None, list[Finding]] = {}
        self.rules: dict[str | None, list[RuleFiring]] = {}
        self.problems: dict[str | None, list[Problem]] = {}
        for f in report.findings:
            self.findings.setdefault(f.dataset if f.dataset in names else None, []).append(f)
        for r in report.rules_fired:
            self.rules.setdefault(r.dataset if r.dataset in names else None, []).append(r)
        for p in report.problems:
            self.problems.setdefault(p.dataset if p.dataset in names else None, []).append(p)


def _role_counts(ds: DatasetReport) -> str:
    counts: dict[ColumnRole, int] = {}
    for col in ds.columns.values():
        counts[col.role] = counts.get(col.role, 0) + 1
    parts = []
    for role in ColumnRole:
        n = counts.get(role, 0)
        if n and role is not ColumnRole.NONE:
            word = _ROLE_WORDS[role]
            parts.append(f"{n} {word}{'' if n == 1 else 's'}")
    return ", ".join(parts) if parts else "no identifying columns"


def _dataset_summary(ds: DatasetReport, findings: Sequence[Finding]) -> str:
    """One plain-text sentence summarising a dataset for a reader in a hurry."""
    ncols = len(ds.columns)
    parts = [
        f"{ds.rows} rows, {ncols} column{'' if ncols == 1 else 's'} ({_role_counts(ds)})",
    ]
    if ds.released:
        rows = NA if ds.rows_released is None else str(ds.rows_released)
        parts.append(f"released in changed form as {ds.released} ({rows} rows)")
    if ds.proposed:
        rows = NA if ds.rows_proposed is None else str(ds.rows_proposed)
        parts.append(f"proposed to the reviewer as {ds.proposed} ({rows} rows; not released)")
    k_before = _text(ds.risk.before.k_anonymity)
    if ds.risk.after is not None:
        parts.append(f"k-anonymity {k_before} before, {_text(ds.risk.after.k_anonymity)} after")
    elif ds.risk.proposed is not None:
        k_proposed = _text(ds.risk.proposed.k_anonymity)
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


# --------------------------------------------------------------------------- Markdown


def _md(value: object) -> str:
    """Escape text for one Markdown line or table cell (pipes, newlines, HTML, backslashes)."""
    text = _text(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<").replace("`", "\\`")
    text = " ".join(text.split())
    if text[:1] in {"#", "-", "+", ">", "=", "*"}:
        text = "\\" + text
    return text


def _qi_sentence(ds: DatasetReport) -> str:
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


def _version_sentences(report: Report) -> list[str]:
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
            for f in _sorted_findings(findings)
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
    split = _Split(report)
    words = DECISION_WORDS[report.decision]
    out: list[str] = [
        f"# Triage report: {words} ({_md(report.destination.value)})",
        "",
        f"**Decision:** {words} (`{report.decision.value}`, exit code "
        f"{report.decision.exit_code}) · **Destination:** `{report.destination.value}`",
        "",
        _DECISION_MEANING[report.decision],
        "",
        *([_PROPOSAL_NOTE, ""] if any(d.proposed for d in report.datasets) else []),
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

    for ds in report.datasets:
        findings = split.findings.get(ds.name, [])
        out += [f"## Dataset: {_md(ds.name)}", "", _md(_dataset_summary(ds, findings)), ""]
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
        out += ["", "### Risk before and after", ""]
        if ds.risk.considered:
            out += [_md(_qi_sentence(ds)), ""]
        after = ds.risk.after
        out += _md_table(
            ["Metric", "Before", "After"],
            [
                [label, get(ds.risk.before), NA if after is None else get(after)]
                for label, get in _RISK_ROWS
            ],
        )
        if after is None:
            out += ["", "No changed version was released, so there is no after column."]
        if ds.utility:
            out += ["", "#### Information kept (utility)", ""]
            out += _md_table(["Measure", "Value"], _utility_rows(ds))
        measures = _measure_rows(ds)
        if measures:
            out += ["", "#### All risk measures", ""]
            out += _md_table(["Measure", "Before", "After"], measures)
        if ds.proposed:
            out += ["", "### Proposed changes (awaiting a reviewer)", "", _PROPOSAL_NOTE, ""]
            out += [f"- {_md(fact)}" for fact in _proposal_facts(ds)]
            if ds.risk.proposed is not None:
                out += [""]
                out += _md_table(["Metric", "Before", "Proposed"], _proposal_risk_rows(ds))
            utility = _proposal_utility_rows(ds)
            if utility:
                out += ["", "#### Information kept in the proposal (utility)", ""]
                out += _md_table(["Measure", "Value"], utility)
        drivers = _driver_rows(ds)
        if drivers:
            out += ["", "#### What drives the risk", ""]
            out += _md_table(_DRIVER_HEADERS, drivers)
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

    sub_findings = split.findings.get(None, [])
    sub_rules = split.rules.get(None, [])
    if sub_findings or sub_rules:
        out += ["## Whole submission", ""]
        if sub_findings:
            out += ["### Findings", "", *_md_findings(sub_findings), ""]
        if sub_rules:
            out += ["### Rules fired", "", *_md_rules(sub_rules), ""]

    out += ["## Mosaic risk", ""]
    if report.mosaic:
        out += _md_table(
            ["Datasets", "Linking columns", "k-anonymity after linkage"],
            [[m.datasets, m.linking_columns, m.k_anonymity_after_linkage] for m in report.mosaic],
        )
    else:
        out.append("No linkable datasets found.")
    if report.versions:
        out += ["", "### New versions of registered releases", ""]
        out += [f"- {sentence}" for sentence in _version_sentences(report)]
    out += ["", "## Problems", ""]
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
    out += _md_record(report)
    out += ["", "## Run information", ""]
    out += _md_run(report)
    return "\n".join(out).rstrip("\n") + "\n"


_READING = {
    "open": "open: may be published to anyone",
    "shared": "shared: only to the named recipient under the stated conditions",
    "closed": "closed: not to leave until a person decides otherwise",
}


def _answer_rows(report: Report) -> list[tuple[str, str, str]]:
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


def _residual_risk(report: Report) -> list[str]:
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
                    f"{_text(proposed.k_anonymity)}, {_text(proposed.unique_records)} unique "
                    f"records, {_text(ds.rows_proposed)} of {ds.rows} records"
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
                f"{ds.name}: released with changes; k-anonymity {_text(after.k_anonymity)}, "
                f"{_text(after.unique_records)} unique records, "
                f"{_text(ds.rows_released)} of {ds.rows} records released."
            )
    return lines


def _md_record(report: Report) -> list[str]:
    out = ["", "## Triage record", ""]
    out.append(f"- Decision: **{report.decision.value}** ({_READING[report.data_class]})")
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
    rows = _answer_rows(report)
    out += _md_table(["Question", "Answer", "Note"], rows) if rows else ["No answers given."]
    out += ["", "### Rules", ""]
    out += [f"- {_md(f.rule)} ({f.stage}): {f.outcome.value}" for f in report.rules_fired] or [
        "- none fired"
    ]
    out += ["", "### Residual risk", ""]
    out += [f"- {_md(line)}" for line in _residual_risk(report)]
    out += ["", "### Review", "", "- Reviewer: ____________________", "- Review date: __________"]
    return out


def _html_record(report: Report) -> list[str]:
    out = [
        '<section class="record" aria-labelledby="record-heading">',
        '<h2 id="record-heading">Triage record</h2>',
        f"<p>Decision: <strong>{_e(report.decision.value)}</strong> "
        f"({_e(_READING[report.data_class])}); destination {_e(report.destination.value)}.</p>",
    ]
    if report.context is not None:
        source = f" (answers from {_e(report.context.source)})" if report.context.source else ""
        out.append(
            f"<p>Questionnaire {_e(report.context.questionnaire)} "
            f"{_e(report.context.questionnaire_version)}{source}.</p>"
        )
    out.append("<h3>Conditions of release</h3>")
    if report.conditions:
        out += ["<ul>", *[f"<li>{_e(c)}</li>" for c in report.conditions], "</ul>"]
    else:
        out.append('<p class="muted">None recorded.</p>')
    out.append("<h3>Triage answers</h3>")
    rows = _answer_rows(report)
    if rows:
        out += _html_table(
            "Answers to the triage questionnaire",
            ["Question", "Answer", "Note"],
            [[_e(q), _e(a), _e(n)] for q, a, n in rows],
        )
    else:
        out.append('<p class="muted">No answers given.</p>')
    out.append("<h3>Rules</h3>")
    out += (
        ["<ul>"]
        + [
            f"<li>{_e(f.rule)} ({_e(f.stage)}): {_e(f.outcome.value)}</li>"
            for f in report.rules_fired
        ]
        + ["</ul>"]
    )
    out.append("<h3>Residual risk</h3>")
    out += ["<ul>", *[f"<li>{_e(line)}</li>" for line in _residual_risk(report)], "</ul>"]
    out += [
        "<h3>Review</h3>",
        "<p>Reviewer: ______________________ &nbsp; Review date: ____________</p>",
        "</section>",
    ]
    return out


def _run_rows(report: Report) -> list[tuple[str, str]]:
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


def _md_run(report: Report) -> list[str]:
    rows = _run_rows(report)
    if not rows:
        return ["Run information was not recorded."]
    return _md_table(["Item", "Value"], rows)


# --------------------------------------------------------------------------- HTML


def _e(value: object) -> str:
    """HTML-escaped text for a value (``n/a`` for None)."""
    return html.escape(_text(value), quote=True)


_CSS = """
:root{--fg:#1b1b1b;--muted:#4a4a4a;--bg:#fff;--line:#c8c8c8;--head:#f2f2f2}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:var(--fg);background:var(--bg);line-height:1.5}
main{max-width:72rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.3rem;margin-top:2rem;
border-bottom:2px solid var(--line);padding-bottom:.2rem}h3{font-size:1.1rem;margin-top:1.25rem}
.banner{border-left:.6rem solid;padding:1rem 1.25rem;margin:1rem 0;border-radius:.25rem}
.banner p{margin:.25rem 0}.banner h2{border:0;margin:0}
.banner .decision{font-size:1.5rem;font-weight:700}
.d-release{background:#e7f4ea;border-color:#1e7b34;color:#0b3d17}
.d-release_with_changes{background:#e8f0fe;border-color:#1a56b0;color:#0b2a5c}
.d-refer{background:#fff1e0;border-color:#b35900;color:#4d2600}
.d-withhold{background:#fdecea;border-color:#b3261e;color:#5f1410}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.25rem 0;color:var(--muted)}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
thead th{background:var(--head)}tbody th{font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 .45rem;border-radius:.75rem;font-size:.82rem;
font-weight:600;border:1px solid;white-space:nowrap}
.r-direct_identifier{background:#fdecea;color:#5f1410;border-color:#b3261e}
.r-quasi_identifier{background:#fff1e0;color:#4d2600;border-color:#b35900}
.r-sensitive_attribute{background:#f3e8fd;color:#3d1066;border-color:#6a2db3}
.r-location{background:#e0f4f4;color:#063c3c;border-color:#137070}
.r-free_text{background:#fdf6d8;color:#463a00;border-color:#8a7000}
.r-none{background:#f2f2f2;color:#333;border-color:#888}
.s-critical{background:#5f1410;color:#fff;border-color:#5f1410}
.s-high{background:#fdecea;color:#5f1410;border-color:#b3261e}
.s-medium{background:#fff1e0;color:#4d2600;border-color:#b35900}
.s-low{background:#e8f0fe;color:#0b2a5c;border-color:#1a56b0}
.s-info{background:#f2f2f2;color:#333;border-color:#888}
.problems{background:#fff8e1;border:2px solid #b35900;border-radius:.25rem;padding:.5rem 1rem;
margin:1rem 0}
.problems h2,.problems h3{border:0;margin-top:.5rem}
details{border:1px solid var(--line);border-radius:.25rem;margin:.75rem 0;padding:0 1rem}
details[open]{padding-bottom:.75rem}
summary{cursor:pointer;padding:.6rem 0;font-weight:600}
summary .sum{font-weight:400;color:var(--muted)}
code{font-family:ui-monospace,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.muted{color:var(--muted)}
ul.summaries li{margin:.2rem 0}
a{color:#0b4fa8}
:focus-visible{outline:3px solid #0b4fa8;outline-offset:2px}
@media print{
body{font-size:10pt}main{max-width:none;padding:0}
details{border:0;padding:0}details>summary{list-style:none}
details::details-content{content-visibility:visible;display:block}
details:not([open])>*:not(summary){display:block}
.banner,.badge,.problems,thead th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
table,tr,.banner{break-inside:avoid}h2,h3{break-after:avoid}
}
""".strip()


def _html_table(
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    row_header: bool = True,
    numeric: Sequence[int] = (),
) -> list[str]:
    """A table; ``rows`` hold already-escaped HTML fragments."""
    out = ["<table>", f"<caption>{html.escape(caption)}</caption>", "<thead><tr>"]
    out += [f'<th scope="col">{html.escape(h)}</th>' for h in headers]
    out += ["</tr></thead>", "<tbody>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            if i == 0 and row_header:
                cells.append(f'<th scope="row"{cls}>{cell}</th>')
            else:
                cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _badge(kind: str, value: str, label: str) -> str:
    return f'<span class="badge {kind}-{html.escape(value)}">{html.escape(label)}</span>'


def _html_findings(caption: str, findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return ['<p class="muted">No findings.</p>']
    return _html_table(
        caption,
        ["Severity", "Kind", "Columns", "Message", "Count"],
        [
            [
                _badge("s", f.severity.value, f.severity.value),
                _e(f.kind),
                _e(f.columns),
                _e(f.message),
                _e(f.count),
            ]
            for f in _sorted_findings(findings)
        ],
        row_header=False,
        numeric=(4,),
    )


def _html_rules(caption: str, rules: Sequence[RuleFiring]) -> list[str]:
    if not rules:
        return ['<p class="muted">No rules fired.</p>']
    rows = []
    for r in rules:
        rule_cell = f"<code>{_e(r.rule)}</code>"
        if r.description:
            rule_cell += f'<br><span class="muted">{_e(r.description)}</span>'
        rows.append(
            [
                rule_cell,
                _e(r.stage),
                _badge("d", r.outcome.value, DECISION_WORDS[r.outcome]),
                _e(r.rationale),
                _e(r.legal_basis) if r.legal_basis else '<span class="muted">none stated</span>',
                _e(r.treatments),
            ]
        )
    return _html_table(
        caption, ["Rule", "Stage", "Outcome", "Rationale", "Legal basis", "Treatments"], rows
    )


def _html_problems(caption: str, problems: Sequence[Problem], with_dataset: bool) -> list[str]:
    headers = (["Dataset"] if with_dataset else []) + ["Kind", "Message", "Forces"]
    rows = [
        ([_e(p.dataset if p.dataset else "whole submission")] if with_dataset else [])
        + [_e(p.kind), _e(p.message), _badge("d", p.forces.value, DECISION_WORDS[p.forces])]
        for p in problems
    ]
    return _html_table(caption, headers, rows)


def _html_dataset(
    index: int, ds: DatasetReport, split: _Split, map_svg: str | None = None
) -> list[str]:
    findings = split.findings.get(ds.name, [])
    rules = split.rules.get(ds.name, [])
    problems = split.problems.get(ds.name, [])
    needs_attention = (
        bool(problems)
        or any(f.severity.rank >= 3 for f in findings)  # high or critical
        or any(r.outcome is not Decision.RELEASE for r in rules)
    )
    name = _e(ds.name)
    out = [
        f'<details id="dataset-{index}"{" open" if needs_attention else ""}>',
        f'<summary><span>{name}</span> <span class="sum">— '
        f"{_e(_dataset_summary(ds, findings))}</span></summary>",
        f'<h3 id="dataset-{index}-heading">Dataset {name}</h3>',
        f'<p class="muted">SHA-256 <code>{_e(ds.sha256)}</code>'
        + (f" · format {_e(ds.format)}" if ds.format else "")
        + "</p>",
    ]
    if problems:
        out += ['<div class="problems" role="note">', "<h4>Problems</h4>"]
        out += _html_problems(f"Problems with {ds.name}", problems, with_dataset=False)
        out += ["</div>"]
    out.append("<h4>Columns</h4>")
    if ds.columns:
        col_rows = []
        for cname, col in ds.columns.items():
            evidence = (
                "<ul>" + "".join(f"<li>{_e(ev)}</li>" for ev in col.evidence) + "</ul>"
                if col.evidence
                else '<span class="muted">none</span>'
            )
            col_rows.append(
                [
                    _e(cname),
                    _badge("r", col.role.value, _ROLE_WORDS[col.role]),
                    _e([e.value for e in col.entities]),
                    _e(col.treatment) if col.treatment else '<span class="muted">none</span>',
                    evidence,
                ]
            )
        out += _html_table(
            f"Columns of {ds.name}",
            ["Column", "Role", "Entities", "Treatment", "Evidence"],
            col_rows,
        )
    else:
        out.append('<p class="muted">No columns.</p>')
    if map_svg is not None:
        out += [
            "<h4>Map</h4>",
            f'<figure class="map" aria-label="Map of the points of {_e(ds.name)}">',
            map_svg,  # built by triage.map_svg: numbers and category names only, escaped there
            "<figcaption>Points before and after treatment, with sensitive-site buffers "
            "(drawn without map tiles).</figcaption>",
            "</figure>",
        ]
    out.append("<h4>Risk before and after</h4>")
    if ds.risk.considered:
        out.append(f"<p>{_e(_qi_sentence(ds))}</p>")
    after = ds.risk.after
    out += _html_table(
        f"Disclosure risk of {ds.name}",
        ["Metric", "Before", "After"],
        [
            [html.escape(label), _e(get(ds.risk.before)), NA if after is None else _e(get(after))]
            for label, get in _RISK_ROWS
        ],
        numeric=(1, 2),
    )
    if after is None:
        out.append(
            '<p class="muted">No changed version was released, so there is no after value.</p>'
        )
    if ds.proposed:
        out += [
            '<section class="proposal" aria-label="Proposed changes">',
            "<h4>Proposed changes (awaiting a reviewer)</h4>",
            f"<p><strong>{html.escape(_PROPOSAL_NOTE)}</strong></p>",
            "<ul>" + "".join(f"<li>{_e(fact)}</li>" for fact in _proposal_facts(ds)) + "</ul>",
        ]
        if ds.risk.proposed is not None:
            out += _html_table(
                f"Disclosure risk of the changes proposed for {ds.name}",
                ["Metric", "Before", "Proposed"],
                [[_e(c) for c in row] for row in _proposal_risk_rows(ds)],
                numeric=(1, 2),
            )
        utility = _proposal_utility_rows(ds)
        if utility:
            out += _html_table(
                f"Utility of the changes proposed for {ds.name}",
                ["Measure", "Value"],
                [[_e(m), _e(v)] for m, v in utility],
                numeric=(1,),
            )
        out.append("</section>")
    if ds.utility:
        out.append("<h4>Information kept (utility)</h4>")
        out += _html_table(
            f"Utility of the released {ds.name}",
            ["Measure", "Value"],
            [[_e(m), _e(v)] for m, v in _utility_rows(ds)],
            numeric=(1,),
        )
    measures = _measure_rows(ds)
    if measures:
        out.append("<details><summary>All risk measures</summary>")
        out += _html_table(
            f"Every risk measure of {ds.name}",
            ["Measure", "Before", "After"],
            [[_e(m), _e(b), _e(a)] for m, b, a in measures],
            numeric=(1, 2),
        )
        out.append("</details>")
    drivers = _driver_rows(ds)
    if drivers:
        out.append("<h4>What drives the risk</h4>")
        out += _html_table(
            f"Contribution of each quasi-identifier to the risk of {ds.name}",
            _DRIVER_HEADERS,
            [[_e(c) for c in row] for row in drivers],
            numeric=(1, 2, 3),
        )
        rows = ", ".join(str(r) for r in ds.risk.before.riskiest_rows)
        out.append(f"<p>Riskiest records (row positions, 0-based): {_e(rows or NA)}.</p>")
    out.append("<h4>Findings</h4>")
    out += _html_findings(f"Findings for {ds.name}, most severe first", findings)
    out.append("<h4>Rules fired</h4>")
    out += _html_rules(f"Rules fired for {ds.name}", rules)
    out.append("<h4>What was kept</h4>")
    if ds.kept:
        out.append("<ul>" + "".join(f"<li>{_e(k)}</li>" for k in ds.kept) + "</ul>")
    else:
        out.append('<p class="muted">Nothing recorded.</p>')
    out.append("</details>")
    return out


def render_html(report: Report, maps: Mapping[str, str] | None = None) -> str:
    """Render a report as one self-contained, accessible HTML page.

    The page has inline CSS only (no scripts, fonts, images or external links), works
    offline and prints cleanly. All report text is HTML-escaped.

    Parameters
    ----------
    report
        The finished report.

    Returns
    -------
    str
        The HTML document; the same report always gives the same text.
    """
    split = _Split(report)
    decision = report.decision
    words = DECISION_WORDS[decision]
    dest = _e(report.destination.value)
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="triage-decision" content="{_e(decision.value)}">',
        f'<meta name="triage-destination" content="{dest}">',
        f'<meta name="triage-schema-version" content="{_e(report.schema_version)}">',
        f"<title>Triage: {html.escape(words)} ({dest})</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>Triage report: {html.escape(words)}</h1>",
        f'<section class="banner d-{_e(decision.value)}" aria-labelledby="decision-heading">',
        f'<h2 id="decision-heading" class="decision">Decision: {html.escape(words)}</h2>',
        f"<p>{html.escape(_DECISION_MEANING[decision])}</p>",
        *(
            [f"<p>{html.escape(_PROPOSAL_NOTE)}</p>"]
            if any(d.proposed for d in report.datasets)
            else []
        ),
        f"<p>Destination: <strong>{dest}</strong> · decision code "
        f"<code>{_e(decision.value)}</code> · exit code {decision.exit_code}</p>",
        "</section>",
        "</header>",
        '<section aria-labelledby="why-heading">',
        '<h2 id="why-heading">Why</h2>',
        f"<p>{_e(report.decision_reason) if report.decision_reason else 'No reason recorded.'}</p>",
        "</section>",
    ]
    if report.problems:
        out += [
            '<section class="problems" aria-labelledby="problems-heading">',
            '<h2 id="problems-heading">Problems</h2>',
            "<p>The engine had trouble during this run; each problem forces at least the "
            "decision shown.</p>",
            *_html_problems("Problems during the run", report.problems, with_dataset=True),
            "</section>",
        ]
    out += [
        '<section aria-labelledby="datasets-heading">',
        '<h2 id="datasets-heading">Datasets</h2>',
    ]
    if report.datasets:
        out.append('<ul class="summaries">')
        for i, ds in enumerate(report.datasets):
            summary = _dataset_summary(ds, split.findings.get(ds.name, []))
            out.append(
                f'<li><a href="#dataset-{i}"><strong>{_e(ds.name)}</strong></a>: {_e(summary)}</li>'
            )
        out.append("</ul>")
        out += _html_table(
            "Datasets in this submission",
            ["Dataset", "Rows", "Rows released", "Released file"],
            [
                [_e(d.name), _e(d.rows), _e(d.rows_released), _e(d.released)]
                for d in report.datasets
            ],
            numeric=(1, 2),
        )
        for i, ds in enumerate(report.datasets):
            out += _html_dataset(i, ds, split, (maps or {}).get(ds.name))
    else:
        out.append('<p class="muted">No datasets.</p>')
    out.append("</section>")

    sub_findings = split.findings.get(None, [])
    sub_rules = split.rules.get(None, [])
    if sub_findings or sub_rules:
        out += [
            '<section aria-labelledby="submission-heading">',
            '<h2 id="submission-heading">Whole submission</h2>',
            "<h3>Findings</h3>",
            *_html_findings("Findings about the whole submission, most severe first", sub_findings),
            "<h3>Rules fired</h3>",
            *_html_rules("Rules fired for the whole submission", sub_rules),
            "</section>",
        ]

    out += [
        '<section aria-labelledby="mosaic-heading">',
        '<h2 id="mosaic-heading">Mosaic risk</h2>',
    ]
    if report.mosaic:
        out += _html_table(
            "Datasets that can be linked",
            ["Datasets", "Linking columns", "k-anonymity after linkage"],
            [
                [_e(m.datasets), _e(m.linking_columns), _e(m.k_anonymity_after_linkage)]
                for m in report.mosaic
            ],
            numeric=(2,),
        )
    else:
        out.append('<p class="muted">No linkable datasets found.</p>')
    if report.versions:
        out += ["<h3>New versions of registered releases</h3>", "<ul>"]
        out += [f"<li>{_e(sentence)}</li>" for sentence in _version_sentences(report)]
        out.append("</ul>")
    out.append("</section>")

    out += _html_record(report)
    out += ['<section aria-labelledby="run-heading">', '<h2 id="run-heading">Run information</h2>']
    run_rows = _run_rows(report)
    if run_rows:
        out += _html_table(
            "Versions and hashes", ["Item", "Value"], [[_e(k), _e(v)] for k, v in run_rows]
        )
    else:
        out.append('<p class="muted">Run information was not recorded.</p>')
    out += ["</section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
