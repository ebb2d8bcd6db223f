"""XLSX workbooks read whole: every sheet as a dataset and every other part accounted for.

A workbook with one non-empty sheet is one dataset named after the file (``book.xlsx``); with
more, each non-empty sheet, hidden or not, is its own dataset named ``book.xlsx#<sheet>``.
Only their cell values are checked, so only they are released: the released workbook is
written anew from the checked (treated) sheets (:func:`triage.io.excel.write_workbook`), never
copied. What the input holds besides cell values is either removed, and the removal said in
a problem that asks for at least ``release_with_changes`` (so the written workbook, not the
input, is what is released), or, where it cannot be checked, refers the submission.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.context import Limits
from triage.dataset import Dataset
from triage.errors import DataInputError
from triage.io.excel import xlsx_rows_frame, xlsx_sheet_rows
from triage.io.limits import check_shape, check_zip_bomb, read_input
from triage.io.names import neutral_titles
from triage.models import Problem
from triage.vocab import Decision

#: Parts that cannot be checked, by what they are: their presence refers the submission.
_UNCHECKABLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|/)vbaProject\.bin$", re.I), "a VBA project (macros)"),
    (re.compile(r"^xl/externalLinks/", re.I), "external links to other workbooks"),
    (re.compile(r"^xl/embeddings/", re.I), "embedded objects"),
    (re.compile(r"^xl/activeX/", re.I), "ActiveX controls"),
    (re.compile(r"^xl/(connections\.xml|queryTables/)", re.I), "external data connections"),
    (re.compile(r"^xl/model/", re.I), "a data model"),
)
#: Parts the written workbook leaves out, by what they are.
_REMOVED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^xl/charts/", re.I), "charts"),
    (re.compile(r"^xl/media/", re.I), "images"),
    (re.compile(r"^xl/drawings/drawing", re.I), "drawings (shapes, text boxes)"),
    (re.compile(r"^xl/pivot(Cache|Table)s?/", re.I), "pivot tables and their cached data"),
    (re.compile(r"^xl/threadedComments/", re.I), "threaded comments"),
    (re.compile(r"^xl/persons/", re.I), "the names of comment authors"),
    (re.compile(r"^customXml/", re.I), "custom XML data"),
)
_COMMENT = re.compile(rb"<(?:\w+:)?comment[\s>]")
_DEFINED_NAME = re.compile(rb"<(?:\w+:)?definedName[\s>]")
_FORMULA = "formula"
#: What a worksheet part can hold besides cell values, by the element that starts it.
_IN_SHEET: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"<(?:\w+:)?f[\s>/]"), _FORMULA),
    (re.compile(rb"<(?:\w+:)?hyperlink[\s>]"), "cell hyperlinks"),
    (re.compile(rb"<(?:\w+:)?dataValidation[\s>]"), "data validation lists"),
    (re.compile(rb"<(?:\w+:)?conditionalFormatting[\s>]"), "conditional formats"),
    (
        re.compile(rb"<(?:\w+:)?(?:odd|even|first)(?:Header|Footer)[\s>]"),
        "page headers and footers",
    ),
)
_SHOWN = 5


@dataclass(frozen=True)
class LoadedTables:
    """The tables of one input file; for a workbook, the file and sheet of each and what
    its other parts ask of the decision."""

    datasets: list[Dataset]
    #: workbook sheets: dataset name -> (file name, sheet name), to write released workbooks
    sheets: dict[str, tuple[str, str]]
    problems: list[Problem]


def load_workbook(path: Path, limits: Limits) -> LoadedTables:
    """Read every sheet of the XLSX at ``path`` and account for its other parts.

    The file is read once: its SHA-256 is of the bytes every part is read from.
    Raises DataInputError when the file is no workbook, over a limit or has no sheet with a
    header and data rows.
    """
    import openpyxl

    raw, sha = read_input(path, limits)
    check_zip_bomb(path, limits, io.BytesIO(raw))
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        parts = [i.filename for i in zf.infolist() if not i.is_dir()]
        removed = _removed_parts(zf, parts)
        in_sheets = set().union(
            *(_sheet_contents(zf, n) for n in parts if n.startswith("xl/worksheets/"))
        )
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise DataInputError(
            f"{path.name}: is not a valid XLSX file (could not open the workbook)"
        ) from None
    try:
        states = {ws.title: ws.sheet_state for ws in wb.worksheets}  # chart sheets: charts
        rows = {ws.title: xlsx_sheet_rows(path, ws, limits) for ws in wb.worksheets}
    finally:
        wb.close()
    shown_as = neutral_titles(list(rows))
    renamed = sum(1 for t, v in shown_as.items() if t != v)
    rows = {shown_as[t]: r for t, r in rows.items()}
    states = {shown_as[t]: v for t, v in states.items()}
    frames = {t: f for t, r in rows.items() if (f := xlsx_rows_frame(r)) is not None}
    if not frames:
        problem = "has a header but no data rows" if any(rows.values()) else "sheet is empty"
        raise DataInputError(f"{path.name}: {problem} (no sheet with a header and data rows)")
    for frame in frames.values():
        check_shape(path, frame, limits)
    names = {t: path.name if len(frames) == 1 else f"{path.name}#{t}" for t in frames}
    datasets = [Dataset(names[t], sha, "xlsx", f) for t, f in frames.items()]
    uncached, formulas = _formula_cells(raw) if _FORMULA in in_sheets else ([], 0)
    uncached = [
        f"{shown_as.get(cell.rpartition('!')[0], 'a sheet')}!{cell.rpartition('!')[2]}"
        for cell in uncached
    ]
    if renamed:
        removed.append(
            f"{_count(renamed, 'sheet title')} that may identify a person (written as 'Sheet N')"
        )
    if formulas:
        removed.append(f"{_count(formulas, 'formula')} (each released as its stored value)")
    removed += sorted(in_sheets - {_FORMULA})
    removed += [
        f"the sheet {t!r}, which has no data rows" for t, r in rows.items() if r and t not in frames
    ]
    hidden = [t for t in frames if states[t] != "visible"]
    shown = f"; hidden sheets released as visible: {', '.join(map(repr, hidden))}" if hidden else ""
    dataset = datasets[0].name if len(datasets) == 1 else None
    problems = _refer_problems(path, parts, uncached, dataset)
    problems.append(
        Problem(
            kind="xlsx_rewritten",
            message=(
                f"{path.name}: released only as a new workbook written from the checked cell "
                f"values of its {_count(len(frames), 'sheet')}{shown}; removed: "
                + "; ".join([*removed, "styles, layout and document properties"])
            ),
            dataset=dataset,
            forces=Decision.RELEASE_WITH_CHANGES,
        )
    )
    return LoadedTables(datasets, {names[t]: (path.name, t) for t in frames}, problems)


def _sheet_contents(zf: zipfile.ZipFile, name: str) -> set[str]:
    """What a worksheet part holds besides cell values (:data:`_IN_SHEET`), read in chunks."""
    found: set[str] = set()
    tail = b""
    with zf.open(name) as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            window = tail + chunk
            found |= {what for pattern, what in _IN_SHEET if pattern.search(window)}
            tail = chunk[-32:]
    return found


def _formula_cells(raw: bytes) -> tuple[list[str], int]:
    """Cells holding a formula without a stored value (``Sheet!B3``), and the formula count
    (rows as stored: the declared dimension is not trusted)."""
    import openpyxl

    formulas = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    values = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    uncached: list[str] = []
    count = 0
    try:
        for ws in formulas.worksheets:
            title = ws.title
            for sheet in (ws, values[title]):
                if hasattr(sheet, "reset_dimensions"):
                    sheet.reset_dimensions()
            pairs = zip(ws.iter_rows(), values[title].iter_rows(), strict=False)
            for f_row, v_row in pairs:
                for f_cell, v_cell in zip(f_row, v_row, strict=False):
                    if getattr(f_cell, "data_type", None) != "f":
                        continue
                    count += 1
                    if _blank(v_cell.value):
                        uncached.append(f"{title}!{f_cell.coordinate}")
    finally:
        formulas.close()
        values.close()
    return uncached, count


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _removed_parts(zf: zipfile.ZipFile, parts: list[str]) -> list[str]:
    """What the written workbook leaves out besides formulas, with counts where known."""
    comments = sum(
        len(_COMMENT.findall(zf.read(n))) for n in parts if re.match(r"xl/comments", n, re.I)
    )
    defined = (
        len(_DEFINED_NAME.findall(zf.read("xl/workbook.xml"))) if "xl/workbook.xml" in parts else 0
    )
    counted = [
        _count(n, what) for n, what in ((comments, "cell comment"), (defined, "defined name")) if n
    ]
    return counted + sorted(
        {what for n in parts for pattern, what in _REMOVED if pattern.search(n)}
    )


def _refer_problems(
    path: Path, parts: list[str], uncached: list[str], dataset: str | None
) -> list[Problem]:
    """A ``refer`` problem per kind of part that cannot be checked."""
    found = [what for pattern, what in _UNCHECKABLE if any(pattern.search(n) for n in parts)]
    messages = [
        f"{path.name}: holds {what}, which triage cannot check; a person must" for what in found
    ]
    if uncached:
        shown = ", ".join(uncached[:_SHOWN]) + (" ..." if len(uncached) > _SHOWN else "")
        messages.append(
            f"{path.name}: {_count(len(uncached), 'formula cell')} without a stored value "
            f"({shown}): what they show cannot be checked"
        )
    return [
        Problem(kind="xlsx_unchecked_part", message=m, dataset=dataset, forces=Decision.REFER)
        for m in messages
    ]
