"""Check one FOI document: detect, propose, redact, decide, its tables by the tabular check."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from triage.documents.decide import decide
from triage.documents.formats import apply, load_document
from triage.documents.model import Document
from triage.documents.officials import Officials
from triage.documents.proposals import propose, write_proposals
from triage.documents.review import write_log, write_review_html
from triage.documents.tables import TableCheckers, check_docx_tables, check_eml_tables, with_tables
from triage.models import Problem, Report
from triage.params import EngineParams
from triage.vocab import Decision

if TYPE_CHECKING:
    from triage.classifiers.text import TextAnalyzer
    from triage.rules import Rulebook


def check_document(
    path: str | Path,
    destination: str = "foi",
    rulebook: Rulebook | None = None,
    *,
    analyzer: TextAnalyzer,
    table_checker: TableCheckers,
    officials: Officials | None = None,
    out_dir: str | Path | None = None,
    environmental: bool = False,
) -> Report:
    """Check one document for FOI: detect, propose, (optionally) redact, decide.

    Parameters
    ----------
    path
        ``.txt .md .docx .pdf .eml``.
    destination
        Normally ``foi``.
    rulebook
        Its params ``doc_refer_below`` and ``doc_withhold_share`` override the defaults; its
        document rules decide (the shipped FOI rulebook's when it has none).
    analyzer
        ``TextAnalyzer`` (the runner's, or ``TextAnalyzer.create(NlpSettings())``).
    table_checker
        Makes the tabular check (:class:`~triage.documents.tables.TableChecker`) of the
        CSV/XLSX attachments of an ``.eml`` (their treated form is attached) and the tables of
        a ``.docx`` (after redaction; changes it asks for force ``refer``), their reports
        merged; called only when the document holds tables.
    officials
        Allow/deny lists.
    out_dir
        When given: ``proposals.json``, the redacted file (``redacted/<name>``, when the format
        can be redacted; removed again on ``withhold``), ``redaction_log.csv/json`` and
        ``review.html`` are written there.
    environmental
        Cite the EIR regulations instead of FOIA sections.
    """
    params = rulebook.engine if rulebook is not None else EngineParams()
    doc = load_document(path)
    proposals = propose(doc, analyzer, officials)
    problems = list(analyzer.problems)
    tables = check_eml_tables(doc, table_checker) if doc.format == "eml" else None
    redacted: Document | None = None
    if out_dir is not None:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        write_proposals(proposals, d / "proposals.json")
        write_review_html(doc, proposals, d / "review.html")
        if doc.format in {"txt", "md", "docx", "pdf", "eml"}:
            files = tables.files if tables is not None else None
            result = apply(doc, proposals, d / "redacted" / doc.name, tables=files)
            write_log(result.log, d)
            problems.extend(result.problems)
            if doc.format == "docx" and (d / "redacted" / doc.name).exists():
                redacted = load_document(d / "redacted" / doc.name)
        else:
            problems.append(
                Problem(
                    kind="redaction_unsupported",
                    message=f"redacted .{doc.format} output is not produced; redact by hand",
                    dataset=doc.name,
                    forces=Decision.REFER,
                )
            )
    report = decide(
        doc,
        proposals,
        destination,
        rulebook=rulebook,
        refer_below=params.doc_refer_below,
        withhold_share=params.doc_withhold_share,
        environmental=environmental,
        problems=problems,
    )
    if doc.format == "docx":  # its tables as the redacted copy holds them
        tables = check_docx_tables(redacted or doc, table_checker)
    if tables is not None:
        report = with_tables(report, tables)
    if out_dir is not None and report.decision is Decision.WITHHOLD:  # no copy is kept
        shutil.rmtree(Path(out_dir) / "redacted", ignore_errors=True)
    return report
