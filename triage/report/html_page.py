"""A report as one self-contained, accessible HTML page.

Rendering is pure (a report in, a string out) and deterministic: no clocks, no randomness,
no file or network access. Every piece of report text is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from triage.models import Report
from triage.report.html_dataset import html_dataset
from triage.report.html_parts import esc, html_findings, html_problems, html_rules, html_table
from triage.report.sections import (
    answer_rows,
    dataset_summary,
    residual_risk,
    run_rows,
    version_sentences,
)
from triage.report.words import DECISION_MEANING, DECISION_WORDS, PROPOSAL_NOTE, READING, Split

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


def _html_record(report: Report) -> list[str]:
    out = [
        '<section class="record" aria-labelledby="record-heading">',
        '<h2 id="record-heading">Triage record</h2>',
        f"<p>Decision: <strong>{esc(report.decision.value)}</strong> "
        f"({esc(READING[report.data_class])}); destination {esc(report.destination.value)}.</p>",
    ]
    if report.context is not None:
        source = f" (answers from {esc(report.context.source)})" if report.context.source else ""
        out.append(
            f"<p>Questionnaire {esc(report.context.questionnaire)} "
            f"{esc(report.context.questionnaire_version)}{source}.</p>"
        )
    out.append("<h3>Conditions of release</h3>")
    if report.conditions:
        out += ["<ul>", *[f"<li>{esc(c)}</li>" for c in report.conditions], "</ul>"]
    else:
        out.append('<p class="muted">None recorded.</p>')
    out.append("<h3>Triage answers</h3>")
    rows = answer_rows(report)
    if rows:
        out += html_table(
            "Answers to the triage questionnaire",
            ["Question", "Answer", "Note"],
            [[esc(q), esc(a), esc(n)] for q, a, n in rows],
        )
    else:
        out.append('<p class="muted">No answers given.</p>')
    out.append("<h3>Rules</h3>")
    out += (
        ["<ul>"]
        + [
            f"<li>{esc(f.rule)} ({esc(f.stage)}): {esc(f.outcome.value)}</li>"
            for f in report.rules_fired
        ]
        + ["</ul>"]
    )
    out.append("<h3>Residual risk</h3>")
    out += ["<ul>", *[f"<li>{esc(line)}</li>" for line in residual_risk(report)], "</ul>"]
    out += [
        "<h3>Review</h3>",
        "<p>Reviewer: ______________________ &nbsp; Review date: ____________</p>",
        "</section>",
    ]
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
    split = Split(report)
    out = _html_head(report)
    if report.problems:
        out += [
            '<section class="problems" aria-labelledby="problems-heading">',
            '<h2 id="problems-heading">Problems</h2>',
            "<p>The engine had trouble during this run; each problem forces at least the "
            "decision shown.</p>",
            *html_problems("Problems during the run", report.problems, with_dataset=True),
            "</section>",
        ]
    out += _html_datasets(report, split, maps or {})
    out += _html_submission(split)
    out += _html_mosaic(report)
    out += _html_record(report)
    out += _html_run(report)
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_head(report: Report) -> list[str]:
    """The document head and the decision banner, and why."""
    decision = report.decision
    words = DECISION_WORDS[decision]
    dest = esc(report.destination.value)
    reason = esc(report.decision_reason) if report.decision_reason else "No reason recorded."
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="triage-decision" content="{esc(decision.value)}">',
        f'<meta name="triage-destination" content="{dest}">',
        f'<meta name="triage-schema-version" content="{esc(report.schema_version)}">',
        f"<title>Triage: {html.escape(words)} ({dest})</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>Triage report: {html.escape(words)}</h1>",
        f'<section class="banner d-{esc(decision.value)}" aria-labelledby="decision-heading">',
        f'<h2 id="decision-heading" class="decision">Decision: {html.escape(words)}</h2>',
        f"<p>{html.escape(DECISION_MEANING[decision])}</p>",
        *(
            [f"<p>{html.escape(PROPOSAL_NOTE)}</p>"]
            if any(d.proposed for d in report.datasets)
            else []
        ),
        f"<p>Destination: <strong>{dest}</strong> · decision code "
        f"<code>{esc(decision.value)}</code> · exit code {decision.exit_code}</p>",
        "</section>",
        "</header>",
        '<section aria-labelledby="why-heading">',
        '<h2 id="why-heading">Why</h2>',
        f"<p>{reason}</p>",
        "</section>",
    ]


def _html_datasets(report: Report, split: Split, maps: Mapping[str, str]) -> list[str]:
    """The summary and table of datasets, then each dataset's section."""
    out = [
        '<section aria-labelledby="datasets-heading">',
        '<h2 id="datasets-heading">Datasets</h2>',
    ]
    if report.datasets:
        out.append('<ul class="summaries">')
        for i, ds in enumerate(report.datasets):
            summary = esc(dataset_summary(ds, split.findings.get(ds.name, [])))
            link = f'<a href="#dataset-{i}"><strong>{esc(ds.name)}</strong></a>'
            out.append(f"<li>{link}: {summary}</li>")
        out.append("</ul>")
        out += html_table(
            "Datasets in this submission",
            ["Dataset", "Rows", "Rows released", "Released file"],
            [
                [esc(d.name), esc(d.rows), esc(d.rows_released), esc(d.released)]
                for d in report.datasets
            ],
            numeric=(1, 2),
        )
        for i, ds in enumerate(report.datasets):
            out += html_dataset(i, ds, split, maps.get(ds.name))
    else:
        out.append('<p class="muted">No datasets.</p>')
    out.append("</section>")
    return out


def _html_submission(split: Split) -> list[str]:
    """Findings and rules about the whole submission, when there are any."""
    sub_findings = split.findings.get(None, [])
    sub_rules = split.rules.get(None, [])
    if sub_findings or sub_rules:
        return [
            '<section aria-labelledby="submission-heading">',
            '<h2 id="submission-heading">Whole submission</h2>',
            "<h3>Findings</h3>",
            *html_findings("Findings about the whole submission, most severe first", sub_findings),
            "<h3>Rules fired</h3>",
            *html_rules("Rules fired for the whole submission", sub_rules),
            "</section>",
        ]
    return []


def _html_mosaic(report: Report) -> list[str]:
    """Linkable datasets and new versions of registered releases."""
    out = [
        '<section aria-labelledby="mosaic-heading">',
        '<h2 id="mosaic-heading">Mosaic risk</h2>',
    ]
    if report.mosaic:
        out += html_table(
            "Datasets that can be linked",
            ["Datasets", "Linking columns", "k-anonymity after linkage"],
            [
                [esc(m.datasets), esc(m.linking_columns), esc(m.k_anonymity_after_linkage)]
                for m in report.mosaic
            ],
            numeric=(2,),
        )
    else:
        out.append('<p class="muted">No linkable datasets found.</p>')
    if report.versions:
        out += ["<h3>New versions of registered releases</h3>", "<ul>"]
        out += [f"<li>{esc(sentence)}</li>" for sentence in version_sentences(report)]
        out.append("</ul>")
    out.append("</section>")
    return out


def _html_run(report: Report) -> list[str]:
    """Versions and hashes of the run."""
    out = ['<section aria-labelledby="run-heading">', '<h2 id="run-heading">Run information</h2>']
    rows = run_rows(report)
    if rows:
        out += html_table(
            "Versions and hashes", ["Item", "Value"], [[esc(k), esc(v)] for k, v in rows]
        )
    else:
        out.append('<p class="muted">Run information was not recorded.</p>')
    out.append("</section>")
    return out
