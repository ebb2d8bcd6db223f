"""The building blocks of the HTML report: escaped text, tables, badges, and the tables of
findings, rules and problems."""

from __future__ import annotations

import html
from collections.abc import Sequence

from triage.models import Finding, Problem, RuleFiring
from triage.report.words import DECISION_WORDS, as_text, sorted_findings


def esc(value: object) -> str:
    """HTML-escaped text for a value (``n/a`` for None)."""
    return html.escape(as_text(value), quote=True)


def html_table(
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


def badge(kind: str, value: str, label: str) -> str:
    return f'<span class="badge {kind}-{html.escape(value)}">{html.escape(label)}</span>'


def html_findings(caption: str, findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return ['<p class="muted">No findings.</p>']
    return html_table(
        caption,
        ["Severity", "Kind", "Columns", "Message", "Count"],
        [
            [
                badge("s", f.severity.value, f.severity.value),
                esc(f.kind),
                esc(f.columns),
                esc(f.message),
                esc(f.count),
            ]
            for f in sorted_findings(findings)
        ],
        row_header=False,
        numeric=(4,),
    )


def html_rules(caption: str, rules: Sequence[RuleFiring]) -> list[str]:
    if not rules:
        return ['<p class="muted">No rules fired.</p>']
    rows = []
    for r in rules:
        rule_cell = f"<code>{esc(r.rule)}</code>"
        if r.description:
            rule_cell += f'<br><span class="muted">{esc(r.description)}</span>'
        rows.append(
            [
                rule_cell,
                esc(r.stage),
                badge("d", r.outcome.value, DECISION_WORDS[r.outcome]),
                esc(r.rationale),
                esc(r.legal_basis) if r.legal_basis else '<span class="muted">none stated</span>',
                esc(r.treatments),
            ]
        )
    return html_table(
        caption, ["Rule", "Stage", "Outcome", "Rationale", "Legal basis", "Treatments"], rows
    )


def html_problems(caption: str, problems: Sequence[Problem], with_dataset: bool) -> list[str]:
    headers = (["Dataset"] if with_dataset else []) + ["Kind", "Message", "Forces"]
    rows = [
        ([esc(p.dataset if p.dataset else "whole submission")] if with_dataset else [])
        + [esc(p.kind), esc(p.message), badge("d", p.forces.value, DECISION_WORDS[p.forces])]
        for p in problems
    ]
    return html_table(caption, headers, rows)
