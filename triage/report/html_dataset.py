"""One dataset of the HTML report: a folding section, open when it needs attention."""

from __future__ import annotations

import html

from triage.models import DatasetReport
from triage.report.html_parts import (
    badge,
    esc,
    html_findings,
    html_problems,
    html_rules,
    html_table,
)
from triage.report.sections import (
    dataset_summary,
    driver_rows,
    measure_rows,
    proposal_facts,
    proposal_risk_rows,
    proposal_utility_rows,
    qi_sentence,
    utility_rows,
)
from triage.report.words import DRIVER_HEADERS, NA, PROPOSAL_NOTE, RISK_ROWS, ROLE_WORDS, Split
from triage.vocab import Decision


def html_dataset(
    index: int, ds: DatasetReport, split: Split, map_svg: str | None = None
) -> list[str]:
    """The folding section of one dataset (``dataset-<index>``), open when it has problems,
    high or critical findings or a rule not releasing it; ``map_svg`` drawn inside."""
    findings = split.findings.get(ds.name, [])
    rules = split.rules.get(ds.name, [])
    problems = split.problems.get(ds.name, [])
    needs_attention = (
        bool(problems)
        or any(f.severity.rank >= 3 for f in findings)  # high or critical
        or any(r.outcome is not Decision.RELEASE for r in rules)
    )
    name = esc(ds.name)
    out = [
        f'<details id="dataset-{index}"{" open" if needs_attention else ""}>',
        f'<summary><span>{name}</span> <span class="sum">— '
        f"{esc(dataset_summary(ds, findings))}</span></summary>",
        f'<h3 id="dataset-{index}-heading">Dataset {name}</h3>',
        f'<p class="muted">SHA-256 <code>{esc(ds.sha256)}</code>'
        + (f" · format {esc(ds.format)}" if ds.format else "")
        + "</p>",
    ]
    if problems:
        out += ['<div class="problems" role="note">', "<h4>Problems</h4>"]
        out += html_problems(f"Problems with {ds.name}", problems, with_dataset=False)
        out += ["</div>"]
    out += _columns(ds)
    out += _map(ds, map_svg)
    out += _risk(ds)
    if ds.proposed:
        out += _proposal(ds)
    out += _utility_and_drivers(ds)
    out.append("<h4>Findings</h4>")
    out += html_findings(f"Findings for {ds.name}, most severe first", findings)
    out.append("<h4>Rules fired</h4>")
    out += html_rules(f"Rules fired for {ds.name}", rules)
    out.append("<h4>What was kept</h4>")
    if ds.kept:
        out.append("<ul>" + "".join(f"<li>{esc(k)}</li>" for k in ds.kept) + "</ul>")
    else:
        out.append('<p class="muted">Nothing recorded.</p>')
    out.append("</details>")
    return out


def _columns(ds: DatasetReport) -> list[str]:
    """The columns, each with its role, entities, treatment and evidence."""
    out = ["<h4>Columns</h4>"]
    if ds.columns:
        col_rows = []
        for cname, col in ds.columns.items():
            evidence = (
                "<ul>" + "".join(f"<li>{esc(ev)}</li>" for ev in col.evidence) + "</ul>"
                if col.evidence
                else '<span class="muted">none</span>'
            )
            col_rows.append(
                [
                    esc(cname),
                    badge("r", col.role.value, ROLE_WORDS[col.role]),
                    esc([e.value for e in col.entities]),
                    esc(col.treatment) if col.treatment else '<span class="muted">none</span>',
                    evidence,
                ]
            )
        out += html_table(
            f"Columns of {ds.name}",
            ["Column", "Role", "Entities", "Treatment", "Evidence"],
            col_rows,
        )
    else:
        out.append('<p class="muted">No columns.</p>')
    return out


def _map(ds: DatasetReport, map_svg: str | None) -> list[str]:
    """The map of the dataset's points, when one was drawn."""
    if map_svg is None:
        return []
    return [
        "<h4>Map</h4>",
        f'<figure class="map" aria-label="Map of the points of {esc(ds.name)}">',
        map_svg,  # built by triage.report.map_svg: numbers and category names only, escaped there
        "<figcaption>Points before and after treatment, with sensitive-site buffers "
        "(drawn without map tiles).</figcaption>",
        "</figure>",
    ]


def _risk(ds: DatasetReport) -> list[str]:
    """The headline risk before and after."""
    out = ["<h4>Risk before and after</h4>"]
    if ds.risk.considered:
        out.append(f"<p>{esc(qi_sentence(ds))}</p>")
    after = ds.risk.after
    out += html_table(
        f"Disclosure risk of {ds.name}",
        ["Metric", "Before", "After"],
        [
            [html.escape(label), esc(get(ds.risk.before)), NA if after is None else esc(get(after))]
            for label, get in RISK_ROWS
        ],
        numeric=(1, 2),
    )
    if after is None:
        out.append(
            '<p class="muted">No changed version was released, so there is no after value.</p>'
        )
    return out


def _proposal(ds: DatasetReport) -> list[str]:
    """The changes proposed to the reviewer: facts, their risk and their utility."""
    out = [
        '<section class="proposal" aria-label="Proposed changes">',
        "<h4>Proposed changes (awaiting a reviewer)</h4>",
        f"<p><strong>{html.escape(PROPOSAL_NOTE)}</strong></p>",
        "<ul>" + "".join(f"<li>{esc(fact)}</li>" for fact in proposal_facts(ds)) + "</ul>",
    ]
    if ds.risk.proposed is not None:
        out += html_table(
            f"Disclosure risk of the changes proposed for {ds.name}",
            ["Metric", "Before", "Proposed"],
            [[esc(c) for c in row] for row in proposal_risk_rows(ds)],
            numeric=(1, 2),
        )
    utility = proposal_utility_rows(ds)
    if utility:
        out += html_table(
            f"Utility of the changes proposed for {ds.name}",
            ["Measure", "Value"],
            [[esc(m), esc(v)] for m, v in utility],
            numeric=(1,),
        )
    out.append("</section>")
    return out


def _utility_and_drivers(ds: DatasetReport) -> list[str]:
    """Utility of the released data, every risk measure and what drives the risk."""
    out: list[str] = []
    if ds.utility:
        out.append("<h4>Information kept (utility)</h4>")
        out += html_table(
            f"Utility of the released {ds.name}",
            ["Measure", "Value"],
            [[esc(m), esc(v)] for m, v in utility_rows(ds)],
            numeric=(1,),
        )
    measures = measure_rows(ds)
    if measures:
        out.append("<details><summary>All risk measures</summary>")
        out += html_table(
            f"Every risk measure of {ds.name}",
            ["Measure", "Before", "After"],
            [[esc(m), esc(b), esc(a)] for m, b, a in measures],
            numeric=(1, 2),
        )
        out.append("</details>")
    drivers = driver_rows(ds)
    if drivers:
        out.append("<h4>What drives the risk</h4>")
        out += html_table(
            f"Contribution of each quasi-identifier to the risk of {ds.name}",
            DRIVER_HEADERS,
            [[esc(c) for c in row] for row in drivers],
            numeric=(1, 2, 3),
        )
        rows = ", ".join(str(r) for r in ds.risk.before.riskiest_rows)
        out.append(f"<p>Riskiest records (row positions, 0-based): {esc(rows or NA)}.</p>")
    return out
