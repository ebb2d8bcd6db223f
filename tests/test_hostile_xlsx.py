"""Hostile workbooks and headers: nothing unchecked is released, no released cell is a formula.

Every workbook is generated here with openpyxl; a canary e-mail address and name hidden in a
part that is not an ordinary visible cell must never reach any byte of any released or
proposed file.
"""

from __future__ import annotations

import csv
import email
import io
import json
import re
import zipfile
from collections.abc import Callable
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from service_harness import Service

from triage.classifiers.text import TextAnalyzer
from triage.cli import main
from triage.io.formats import write_released
from triage.runner import check_document

ROOT = Path(__file__).resolve().parents[1]
CANARY = "canary.person@example.com"
NAME = "Jane Smith"
HYPERLINK = '=HYPERLINK("http://x","y")'
EXIT = {"release": 0, "release_with_changes": 10, "refer": 20, "withhold": 30}
_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _sensor_rows(n: int = 60) -> list[list[str]]:
    """A harmless table (header first): the shipped air-quality readings."""
    with (ROOT / "examples" / "air_quality.csv").open(encoding="utf-8") as fh:
        return list(csv.reader(fh))[: n + 1]


def _book(rows: list[list[str]] | None = None) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Readings"
    for row in rows or _sensor_rows():
        ws.append(row)
    return wb


def _hidden_residents(wb: Workbook) -> None:
    ws = wb.create_sheet("Residents")
    ws.sheet_state = "hidden"
    ws.append(["name", "email", "street"])
    first = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily"]
    last = ["Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans"]
    people = [(NAME, CANARY)]
    people += [
        (f"{f} {s}", f"resident{i}@example.net")
        for i, (f, s) in enumerate((f, s) for f in first for s in last)
    ]
    for i, (name, address) in enumerate(people):
        ws.append([name, address, f"{i} High Street"])


def _very_hidden_residents(wb: Workbook) -> None:
    _hidden_residents(wb)
    wb["Residents"].sheet_state = "veryHidden"


def _comment(wb: Workbook) -> None:
    wb["Readings"]["C2"].comment = Comment(f"checked by {NAME}, {CANARY}", NAME)


def _defined_name(wb: Workbook) -> None:
    wb.defined_names["contact"] = DefinedName("contact", attr_text=f'"{CANARY}"')


def _chart(wb: Workbook) -> None:
    ws = wb["Readings"]
    chart = BarChart()
    chart.title = f"NO2 by {CANARY}"
    chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=10), titles_from_data=True)
    ws.add_chart(chart, "J2")


def _hyperlink(wb: Workbook) -> None:
    wb["Readings"]["A2"].hyperlink = f"mailto:{CANARY}"


def _validation(wb: Workbook) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    rule = DataValidation(type="list", formula1=f'"ok,{CANARY}"')
    wb["Readings"].add_data_validation(rule)
    rule.add("G2:G10")


def _page_header(wb: Workbook) -> None:
    wb["Readings"].oddHeader.center.text = f"Prepared by {CANARY}"


def _chart_sheet(wb: Workbook) -> None:
    chart = BarChart()
    chart.title = f"NO2 by {CANARY}"
    chart.add_data(Reference(wb["Readings"], min_col=3, min_row=1, max_row=10))
    wb.create_chartsheet("Chart").add_chart(chart)


def _formula_only(wb: Workbook) -> None:
    wb["Readings"]["H2"] = f'=IF(C2>0,"{CANARY}","")'  # openpyxl stores no cached value


def _store_values(path: Path) -> None:
    """Give every formula a stored value, as Excel saves one: ``ok``."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    for name, data in members.items():
        if name.startswith("xl/worksheets/"):
            data = re.sub(rb'(<c r="[A-Z]+[0-9]+")><f>', rb'\1 t="str"><f>', data)
            members[name] = data.replace(b"<v></v>", b"<v>ok</v>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _hyperlink_header(wb: Workbook) -> None:
    """A header cell holding the text of a formula (a string cell, not a formula)."""
    cell = wb["Readings"]["H1"]
    cell.value = HYPERLINK
    cell.data_type = "s"
    wb["Readings"]["H2"] = "note"


def _inject(member: str) -> Callable[[Path], None]:
    """Add a raw part to a saved workbook: what a VBA or linked workbook carries."""

    def add(path: Path) -> None:
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr(member, f"<x>{CANARY}</x>".encode())

    return add


#: id -> (change to the workbook, change to the saved file, decisions allowed, problem text)
CASES: dict[
    str, tuple[Callable[[Workbook], None] | None, Callable[[Path], None] | None, set[str], str]
] = {
    "hidden-sheet": (_hidden_residents, None, {"release_with_changes", "refer"}, "hidden sheet"),
    "very-hidden-sheet": (
        _very_hidden_residents,
        None,
        {"release_with_changes", "refer"},
        "hidden",
    ),
    "comment": (_comment, None, {"release_with_changes"}, "1 cell comment"),
    "defined-name": (_defined_name, None, {"release_with_changes"}, "1 defined name"),
    "chart": (_chart, None, {"release_with_changes"}, "charts"),
    "chart-sheet": (_chart_sheet, None, {"release_with_changes"}, "charts"),
    "cell-hyperlink": (_hyperlink, None, {"release_with_changes"}, "cell hyperlinks"),
    "data-validation": (_validation, None, {"release_with_changes"}, "data validation"),
    "page-header": (_page_header, None, {"release_with_changes"}, "page headers"),
    "formula-only": (_formula_only, None, {"refer"}, "Readings!H2"),
    "formula-with-value": (
        _formula_only,
        _store_values,
        {"release_with_changes"},
        "1 formula (each released as its stored value)",
    ),
    "hyperlink-header": (_hyperlink_header, None, {"release_with_changes"}, "new workbook"),
    "vba": (None, _inject("xl/vbaProject.bin"), {"refer"}, "VBA project"),
    "external-link": (
        None,
        _inject("xl/externalLinks/externalLink1.xml"),
        {"refer"},
        "external links",
    ),
}


def _check(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(
        ["check", str(path), "--destination", "open-data", "--out", str(out), "--pattern-only"]
    )
    capsys.readouterr()
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def _output_files(out: Path) -> list[Path]:
    return [p for d in ("released", "proposed") if (out / d).is_dir() for p in (out / d).iterdir()]


def _parts(path: Path) -> dict[str, bytes]:
    """Every byte of a written file: each zip member of a workbook, else the file."""
    return _parts_of(path.read_bytes(), path.name)


def _parts_of(data: bytes, name: str = "file") -> dict[str, bytes]:
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {n: zf.read(n) for n in zf.namelist()}
    return {name: data}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_workbook_is_never_released_unchecked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    change_book, change_file, allowed, problem = CASES[case]
    wb = _book()
    if change_book is not None:
        change_book(wb)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    if change_file is not None:
        change_file(path)
    code, report = _check(path, tmp_path / "out", capsys)
    assert report["decision"] in allowed
    assert code == EXIT[report["decision"]]
    assert any(problem in p["message"] for p in report["problems"]), report["problems"]
    written = _output_files(tmp_path / "out")
    if report["decision"] == "release_with_changes":
        assert [p.name for p in written] == ["book.xlsx"]
    for file in written:
        for part, data in _parts(file).items():
            assert CANARY.encode() not in data, (file.name, part)
            assert NAME.encode() not in data, (file.name, part)
            if part.startswith("xl/worksheets/"):
                assert not _FORMULA_ELEMENT.search(data), (file.name, part)


def test_hidden_sheet_is_its_own_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = _book()
    _hidden_residents(wb)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    _, report = _check(path, tmp_path / "out", capsys)
    names = [d["name"] for d in report["datasets"]]
    assert names == ["book.xlsx#Readings", "book.xlsx#Residents"]
    residents = report["datasets"][1]["columns"]["email"]
    assert "EMAIL_ADDRESS" in residents["entities"]


def test_hyperlink_header_is_text_in_the_released_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = _book()
    _hyperlink_header(wb)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    code, report = _check(path, tmp_path / "out", capsys)
    assert (code, report["decision"]) == (10, "release_with_changes")
    ws = load_workbook(tmp_path / "out" / "released" / "book.xlsx").worksheets[0]
    header = [c.value for c in ws[1]]
    assert "'" + HYPERLINK in header
    assert all(c.data_type == "s" for row in ws.iter_rows() for c in row if c.value is not None)


HOSTILE_HEADERS = ["=cmd|' /C calc'!A0", "+cmd", "-cmd", "@SUM(A1)", HYPERLINK]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("header", HOSTILE_HEADERS)
def test_written_headers_are_escaped(tmp_path: Path, fmt: str, header: str) -> None:
    frame = pd.DataFrame({header: ["=1+1", "-5"], "plain": ["a", "b"]}, dtype="str")
    out = write_released(frame, tmp_path / "x", fmt)
    if fmt == "csv":
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    else:
        rows = [list(r) for r in load_workbook(out).worksheets[0].iter_rows(values_only=True)]
        assert not _FORMULA_ELEMENT.search(_parts(out)["xl/worksheets/sheet1.xml"])
    assert rows == [["'" + header, "plain"], ["'=1+1", "a"], ["-5", "b"]]


@pytest.mark.parametrize("header", HOSTILE_HEADERS)
def test_csv_with_hostile_header_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str
) -> None:
    """Personal data makes the CSV released with changes: its header is escaped there too."""
    path = tmp_path / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", header, "ward"])
        for i in range(40):
            writer.writerow([f"resident{i}@example.net", f"item {i % 3}", f"Ward {i % 2}"])
        writer.writerow([CANARY, "item 0", "Ward 0"])
    code, report = _check(path, tmp_path / "out", capsys)
    assert report["decision"] != "release"
    assert code == EXIT[report["decision"]]
    files = _output_files(tmp_path / "out")
    assert files
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert CANARY not in text
        first = next(csv.reader([text.splitlines()[0]]))
        assert all(not h or h[0] not in "=+-@" for h in first), first


def test_formula_is_released_as_its_stored_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = _book()
    _formula_only(wb)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    _store_values(path)
    code, _ = _check(path, tmp_path / "out", capsys)
    assert code == 10
    ws = load_workbook(tmp_path / "out" / "released" / "book.xlsx").worksheets[0]
    assert [c.value for c in ws["H"]][:2] == ["unnamed_8", "ok"]


def test_every_sheet_is_released_in_one_new_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = _book()
    second = wb.create_sheet("Later")
    for row in _sensor_rows(80):
        second.append(row)
    wb.create_sheet("Empty")
    path = tmp_path / "book.xlsm"  # a macro-enabled name without macros is an ordinary book
    wb.save(path)
    code, report = _check(path, tmp_path / "out", capsys)
    assert (code, report["decision"]) == (10, "release_with_changes")
    assert [d["name"] for d in report["datasets"]] == ["book.xlsm#Readings", "book.xlsm#Later"]
    assert [d["rows"] for d in report["datasets"]] == [60, 80]
    released = load_workbook(tmp_path / "out" / "released" / "book.xlsx")
    assert released.sheetnames == ["Readings", "Later"]
    assert [released[t].max_row for t in released.sheetnames] == [61, 81]


@pytest.mark.parametrize("case", ["hidden-sheet", "comment", "formula-only"])
def test_hostile_workbook_attached_to_an_email(
    tmp_path: Path, pattern_only: TextAnalyzer, case: str
) -> None:
    """An e-mail's workbook goes through the same reader: whatever copy of the message is
    written (redacted or proposed) holds no unchecked part of it."""
    change_book, _, _, problem = CASES[case]
    wb = _book()
    assert change_book is not None
    change_book(wb)
    buf = io.BytesIO()
    wb.save(buf)
    msg = EmailMessage()
    msg["From"] = msg["To"] = Address("FOI Team", "foi", "council.gov.uk")
    msg["Subject"] = "Readings for the response"
    msg.set_content("Please find attached the air quality readings for the response.\n")
    msg.add_attachment(
        buf.getvalue(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="book.xlsx",
    )
    src = tmp_path / "note.eml"
    src.write_bytes(msg.as_bytes(policy=policy.default))
    report = check_document(src, "foi", analyzer=pattern_only, out_dir=tmp_path / "out")
    assert report.decision != "release"
    assert any(problem in p.message for p in report.problems), report.problems
    books = [
        part.get_content()
        for out in (tmp_path / "out").rglob("*.eml")
        for part in email.message_from_bytes(out.read_bytes(), policy=policy.default).walk()
        if part.get_filename() == "book.xlsx"
    ]
    assert books or report.decision == "refer"  # a refer may leave the workbook out
    for name, data in ((n, d) for book in books for n, d in _parts_of(book).items()):
        assert CANARY.encode() not in data, name
        assert NAME.encode() not in data, name
        assert not _FORMULA_ELEMENT.search(data), name


def test_service_approval_as_submitted_writes_a_new_workbook(svc: Service) -> None:
    """A workbook referred for its macros and approved as submitted is released as a new
    workbook of its checked cell values: no macros, comments or formulas, header escaped."""
    wb = _book()
    _comment(wb)
    _hyperlink_header(wb)
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(svc.settings.data_dir) / "upload.xlsx"
    path.write_bytes(buf.getvalue())
    _inject("xl/vbaProject.bin")(path)
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", ("book.xlsx", path.read_bytes(), "application/octet-stream"))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    sid = str(res.json()["id"])
    svc.worker.drain()
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert status["decision"] == "refer"
    res = svc.client.post(
        f"/v1/submissions/{sid}/review",
        headers=svc.h("rita"),
        json={"action": "approve_release", "justification": "macros read and harmless"},
    )
    assert res.status_code == 200, res.text
    assert res.json()["released"] == ["book.xlsx"]
    got = svc.client.get(f"/v1/submissions/{sid}/released/book.xlsx", headers=svc.h("alice"))
    assert got.status_code == 200
    parts = _parts_of(got.content)
    assert not any("vbaProject" in n or "comments" in n for n in parts)
    for name, data in parts.items():
        assert CANARY.encode() not in data, name
        assert not _FORMULA_ELEMENT.search(data), name
    header = [c.value for c in load_workbook(io.BytesIO(got.content)).worksheets[0][1]]
    assert "'" + HYPERLINK in header


def test_registering_a_workbook_of_several_sheets_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not fingerprinted as its first sheet: the register would miss the others' links."""
    wb = _book()
    _hidden_residents(wb)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    url = f"sqlite:///{tmp_path / 'register.db'}"
    code = main(["registry", "add", str(path), "--name", "b", "--registry", url, "--pattern-only"])
    assert code == 2
    assert "2 non-empty sheets" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("title", "identifying"),
    [
        (CANARY, True),
        (NAME, True),
        ("Visits 07911 123456", True),
        ("Case LS6 2AB", True),
        ("Ward counts", False),
        ("April", False),
        ("Sheet 2", False),
    ],
)
@pytest.mark.parametrize("single", [True, False], ids=["one-sheet", "two-sheets"])
def test_a_sheet_title_naming_a_person_is_never_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str, identifying: bool, single: bool
) -> None:
    """A sheet's title is data no detector reads: one holding contact data or a person's name
    is written as ``Sheet N`` (and named so in the report); others are kept."""
    wb = _book()
    ws = wb.active if single else wb.create_sheet(title)
    assert ws is not None
    if single:
        ws.title = title
    else:
        for row in _sensor_rows():
            ws.append(row)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    code, report = _check(path, tmp_path / "out", capsys)
    assert code == EXIT[report["decision"]] and report["decision"] != "release"
    written = _output_files(tmp_path / "out")
    assert written
    titles = [ws.title for f in written for ws in load_workbook(f).worksheets]
    assert (title in titles) is not identifying
    if identifying:
        assert ("Sheet 1" if single else "Sheet 2") in titles
        for file in [*written, *(tmp_path / "out").glob("report.*")]:
            for part, data in _parts(file).items():
                assert title.encode() not in data, (file.name, part)
