"""Tables inside documents go through the tabular check, as a table submitted on its own.

An e-mail's CSV/XLSX attachments (:func:`check_eml_tables`) are replaced by the check's treated
form. A DOCX table cannot carry the treatments (suppressed cells, dropped columns, generalised
values) back into the document, so it is checked *after* the text redaction, as the redacted
copy holds it (:func:`check_docx_tables`): whatever the check still finds (small cells,
records unique on their quasi-identifiers) is merged into the document's report, and changes
it asks for force ``refer`` for a disclosure officer to make by hand.

The tabular check is passed in (:class:`TableChecker`; the runner passes the engine's), so
documents never import the engine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from triage.dataset import Dataset
from triage.documents.formats.eml import table_parts
from triage.documents.formats.eml_mime import stable_bytes
from triage.documents.model import Document
from triage.errors import DataInputError
from triage.models import Problem, Report
from triage.vocab import Decision

if TYPE_CHECKING:
    import pandas as pd

    from triage.io.workbook import LoadedTables


class TableRun(Protocol):
    """A finished tabular check: its report and the treated tables, by dataset name."""

    @property
    def report(self) -> Report:
        """The check's report."""

    @property
    def released(self) -> Mapping[str, pd.DataFrame]:
        """The treated tables to release (none when the check released nothing changed)."""


class TableChecker(Protocol):
    """The tabular check as documents reach it: read a table file, check, write treated data."""

    def load(self, path: Path) -> LoadedTables:
        """Every table of one file (each sheet of a workbook) and what reading it met."""

    def check(self, datasets: list[Dataset]) -> TableRun:
        """Check ``datasets`` together, as one submission of tables."""

    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        formats: Mapping[str, str],
        sheets: Mapping[str, tuple[str, str]],
        folder: Path,
    ) -> list[Path]:
        """Write treated tables into ``folder`` (a workbook's sheets as one workbook)."""


#: makes the tabular check; called only when a document holds tables
TableCheckers = Callable[[], TableChecker]


@dataclass
class TableCheck:
    """The tabular engine's report on a document's tables, the treated bytes to attach (by
    e-mail part number) when it releases them, and tables it could not check."""

    report: Report | None
    files: dict[str, tuple[bytes, str]]
    problems: list[Problem] = field(default_factory=list)
    #: how the decision reason names the tables
    label: str = "table(s) in the document"


def check_docx_tables(doc: Document, make: TableCheckers) -> TableCheck | None:
    """Check the tables of a DOCX (as ``doc`` holds them: pass the redacted copy) with the
    tabular engine; None when it has none. Changes the engine asks for become a problem that
    forces ``refer``: they cannot be written into the document's table."""
    if doc.format != "docx" or not doc.tables:
        return None
    datasets = [
        Dataset(name=name, frame=frame, sha256=doc.sha256, format="docx")
        for name, frame in doc.tables.items()
    ]
    result = make().check(datasets)
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


def check_eml_tables(doc: Document, make: TableCheckers) -> TableCheck | None:
    """Check the CSV/XLSX attachments of a message with the tabular engine (the same path as a
    table submitted on its own); None when there are none."""
    if doc.format != "eml":
        return None
    parts = table_parts(doc)
    if not parts:
        return None
    checker = make()
    check = TableCheck(None, {}, label="attached table(s)")
    with tempfile.TemporaryDirectory() as tmp:
        loaded: list[tuple[str, LoadedTables]] = []
        for number, suffix, payload in parts:
            path = Path(tmp) / f"{doc.path.stem}_part{number}{suffix}"
            path.write_bytes(payload)
            try:
                tables = checker.load(path)
            except DataInputError as exc:
                check.problems.append(
                    Problem(
                        kind="attachment_not_checked",
                        message=f"part {number} (table) cannot be read: {exc}",
                        dataset=doc.name,
                        forces=Decision.REFER,
                    )
                )
                continue
            loaded.append((number, tables))
            check.problems += [
                p.model_copy(update={"message": f"part {number}: {p.message}", "dataset": doc.name})
                for p in tables.problems
            ]
        if not loaded:
            return check
        result = checker.check([d for _, tables in loaded for d in tables.datasets])
        check.report = result.report
        if result.report.decision in (Decision.RELEASE, Decision.RELEASE_WITH_CHANGES):
            for number, tables in loaded:
                frames = {d.name: result.released.get(d.name, d.frame) for d in tables.datasets}
                formats = {d.name: d.format for d in tables.datasets}
                out = Path(tmp) / "out" / number
                written = checker.write(frames, formats, tables.sheets, out)
                if len(written) == 1:  # else left out, so referred (see formats.eml.write)
                    check.files[number] = (
                        stable_bytes(written[0].read_bytes()),
                        written[0].suffix,
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
