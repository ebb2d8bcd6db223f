"""Tables inside a DOCX go through the tabular engine after the text redaction."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from triage.runner import check_document
from triage.vocab import Decision, Destination

INTRO = "Thank you for your request. The figures you asked for are below."


def _letter(path: Path, rows: list[tuple[str, ...]]) -> Path:
    document = docx.Document()
    document.add_paragraph(INTRO)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Yours faithfully, Information Governance Team")
    document.save(str(path))
    return path


@pytest.mark.parametrize(
    ("rows", "decision", "problem"),
    [
        # counts at or above the FOI rulebook's threshold: nothing to change
        (
            [("Ward", "Complaints"), ("Abbey", "31"), ("Castle", "24"), ("Moor", "18")],
            Decision.RELEASE,
            None,
        ),
        # small counts: the engine would suppress cells, which cannot be done in the DOCX
        (
            [("Ward", "Complaints"), ("Abbey", "31"), ("Castle", "2"), ("Moor", "18")],
            Decision.REFER,
            "document_table_needs_changes",
        ),
    ],
)
def test_docx_table_checked_by_the_tabular_engine(
    tmp_path: Path, rows: list[tuple[str, ...]], decision: Decision, problem: str | None
) -> None:
    from triage.classifiers.text import TextAnalyzer
    from triage.context import NlpSettings

    path = _letter(tmp_path / "reply.docx", rows)
    report = check_document(
        path,
        Destination.FOI,
        analyzer=TextAnalyzer.create(NlpSettings(model=None)),
        out_dir=tmp_path / "out",
    )
    assert [d.name for d in report.datasets] == ["reply.docx", "reply_table1"]
    # python-docx's template carries a thumbnail: removed from the redacted copy, and said
    assert any("docProps/thumbnail.jpeg" in p.message for p in report.problems)
    kinds = [
        p.kind for p in report.problems if p.kind not in {"nlp_model_missing", "docx_part_removed"}
    ]
    assert kinds == ([problem] if problem else [])
    # pattern-only analysis forces at least refer; the table decides beyond that
    assert report.decision is Decision.most_restrictive([Decision.REFER, decision])
    if problem:
        assert "small-cells" in report.decision_reason
        assert any(f.rule == "small-cells" for f in report.rules_fired)
