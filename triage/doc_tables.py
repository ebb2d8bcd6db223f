"""Tables inside documents go through the tabular engine, as a table submitted on its own.

An e-mail's CSV/XLSX attachments (:func:`triage.doc_eml.check_tables`) are replaced by the
engine's treated form. A DOCX table cannot carry the engine's treatments (suppressed cells,
dropped columns, generalised values) back into the document, so it is checked *after* the text
redaction, as the redacted copy holds it: whatever the engine still finds (small cells, records
unique on their quasi-identifiers) is merged into the document's report, and changes it asks for
force ``refer`` for a disclosure officer to make by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from triage.dataset import Dataset
from triage.documents import Document
from triage.models import Problem, Report
from triage.vocab import Decision

if TYPE_CHECKING:
    from triage.classifiers.text import TextAnalyzer
    from triage.engine import Engine
    from triage.rules import Rulebook


@dataclass
class TableCheck:
    """The tabular engine's report on a document's tables, the treated bytes to attach (by
    e-mail part number) when it releases them, and tables it could not check."""

    report: Report | None
    files: dict[str, tuple[bytes, str]]
    problems: list[Problem] = field(default_factory=list)
    #: how the decision reason names the tables
    label: str = "table(s) in the document"


def default_table_engine(
    destination: str, rulebook: Rulebook | None, analyzer: TextAnalyzer | None
) -> Callable[[], Engine]:
    """A factory of the tabular engine for ``destination`` (its shipped rulebook unless one is
    given) with a default run context."""

    def make() -> Engine:
        from triage.engine import Engine
        from triage.rules import builtin_rulebook
        from triage.runner import default_context
        from triage.vocab import Destination

        book = rulebook if rulebook is not None else builtin_rulebook(Destination(destination))
        return Engine(book, default_context(), analyzer)

    return make


def check_docx_tables(doc: Document, engine: Callable[[], Engine]) -> TableCheck | None:
    """Check the tables of a DOCX (as ``doc`` holds them: pass the redacted copy) with the
    tabular engine; None when it has none. Changes the engine asks for become a problem that
    forces ``refer``: they cannot be written into the document's table."""
    if doc.format != "docx" or not doc.tables:
        return None
    datasets = [
        Dataset(name=name, frame=frame, sha256=doc.sha256, format="docx")
        for name, frame in doc.tables.items()
    ]
    result = engine().check(datasets)
    check = TableCheck(result.report, {})
    if result.report.decision is Decision.RELEASE_WITH_CHANGES:
        rules = sorted(
            {
                f.rule
                for f in result.report.rules_fired
                if f.outcome is Decision.RELEASE_WITH_CHANGES
            }
        )
        check.problems.append(
            Problem(
                kind="document_table_needs_changes",
                message=f"{len(datasets)} table(s) in the document need changes the redactor "
                f"cannot make in a DOCX table (rules {', '.join(rules) or 'none named'}): "
                "suppress or generalise the cells by hand",
                dataset=doc.name,
                forces=Decision.REFER,
            )
        )
    return check


def with_tables(report: Report, tables: TableCheck) -> Report:
    """The document report merged with the tabular report of its tables."""
    sub = tables.report
    decisions = [report.decision, *(p.forces for p in tables.problems)]
    if sub is not None:
        decisions.append(sub.decision)
    decision = Decision.most_restrictive(decisions)
    reasons = [report.decision_reason] if decision is report.decision else []
    if sub is not None and sub.decision is decision:
        reasons.append(f"{tables.label}: {sub.decision_reason}")
    reasons += [f"{tables.label}: {p.message}" for p in tables.problems if p.forces is decision]
    reason = "; ".join(r for r in reasons if r)
    return report.model_copy(
        update={
            "decision": decision,
            "decision_reason": reason,
            "datasets": [
                *report.datasets,
                *(d.model_copy(update={"released": None}) for d in (sub.datasets if sub else [])),
            ],
            "findings": [*report.findings, *(sub.findings if sub else [])],
            "rules_fired": [*report.rules_fired, *(sub.rules_fired if sub else [])],
            "problems": [*report.problems, *tables.problems, *(sub.problems if sub else [])],
            "conditions": [*report.conditions, *(sub.conditions if sub else [])],
        }
    )


__all__ = ["TableCheck", "check_docx_tables", "default_table_engine", "with_tables"]
