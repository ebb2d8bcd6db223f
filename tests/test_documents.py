"""Document loading (txt, md, docx, eml, pdf) and FOI detection (allow/deny lists, exemptions)."""

from __future__ import annotations

import io
from email.message import EmailMessage
from pathlib import Path

import docx
import pandas as pd
import pytest

from triage.classifiers.text import TextAnalyzer
from triage.documents import is_document, load_document
from triage.documents.detect import SECURITY_KINDS, detect_texts, exemption_table
from triage.documents.officials import (
    EXEMPTIONS,
    Officials,
    exemption_title,
    load_officials,
    normalise_name,
)
from triage.errors import ConfigError, DataInputError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


# --- loading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "a.txt",
            "First para.\n\nSecond para\nsame para.\n\n\n",
            ["First para.", "Second para\nsame para."],
        ),
        ("b.md", "# Title\r\n\r\nBody text.\r\n", ["# Title", "Body text."]),
        ("c.txt", "\n\n  \n", []),
    ],
)
def test_text_paragraphs(tmp_path: Path, name: str, content: str, expected: list[str]) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    doc = load_document(path)
    assert [b.text for b in doc.blocks] == expected
    assert [b.location for b in doc.blocks] == [f"paragraph {i + 1}" for i in range(len(expected))]
    assert doc.format == name.split(".")[1]


def test_docx_blocks_cover_all_parts(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Header text"
    d.sections[0].footer.paragraphs[0].text = "Footer text"
    p = d.add_paragraph()
    for part in ("Split ", "ac", "ross runs"):
        p.add_run(part)
    t = d.add_table(rows=2, cols=2)
    for (r, c), v in {(0, 0): "name", (0, 1): "count", (1, 0): "Ann", (1, 1): "3"}.items():
        t.cell(r, c).text = v
    d.add_comment(p.runs, text="A comment", author="Someone")
    d.core_properties.author = "An Author"
    d.save(str(path))
    doc = load_document(path)
    by_kind = {b.kind: b for b in reversed(doc.blocks)}
    assert doc.blocks[0].text == "Split across runs"
    assert by_kind["header"].text == "Header text"
    assert by_kind["footer"].text == "Footer text"
    assert by_kind["comment"].text == "A comment"
    assert any(b.location == "metadata author" for b in doc.blocks)
    (frame,) = doc.tables.values()
    assert list(frame.columns) == ["name", "count"]
    assert frame.iloc[0].tolist() == ["Ann", "3"]
    assert [b.index for b in doc.blocks] == list(range(len(doc.blocks)))


def _xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    pd.DataFrame({"ward": ["North"], "count": ["4"]}).to_excel(buf, index=False)
    return buf.getvalue()


def test_eml_headers_body_and_attachments(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "Jane Doe <jane@example.org>"
    msg["To"] = "foi@council.gov.uk"
    msg["Subject"] = "FOI request"
    msg.set_content("Hello,\n\nPlease send the data.\n")
    msg.add_attachment(b"name,phone\nA,1\n", maintype="text", subtype="csv", filename="list.csv")
    msg.add_attachment(
        _xlsx_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="counts.xlsx",
    )
    msg.add_attachment(b"\x00\x01", maintype="application", subtype="zip", filename="x.zip")
    path = tmp_path / "m.eml"
    path.write_bytes(bytes(msg))
    doc = load_document(path)
    locations = [b.location for b in doc.blocks]
    assert locations[:4] == [
        "email header From name 1",
        "email header From address 1",
        "email header To address 1",
        "email header Subject",
    ]
    assert [b.text for b in doc.blocks if b.kind == "paragraph"] == [
        "Hello,",
        "Please send the data.",
    ]
    assert set(doc.tables) == {"m_part2", "m_part3"}  # by MIME part, never by file name
    assert doc.tables["m_part3"].iloc[0].tolist() == ["North", "4"]
    assert [p.kind for p in doc.problems] == ["attachment_not_checked"]


def test_pdf_pages_and_scanned_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pymupdf = pytest.importorskip("pymupdf")
    # no OCR here: see test_doc_ocr.py
    monkeypatch.setattr("triage.documents.ocr.TESSERACT", "no-such-tesseract")
    path = tmp_path / "p.pdf"
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "Page one text")
    scanned = pdf.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 20, 20), False)
    pix.clear_with(200)
    scanned.insert_image(pymupdf.Rect(50, 50, 200, 200), pixmap=pix)
    pdf.set_metadata({"author": "Some Author"})
    pdf.save(str(path))
    doc = load_document(path)
    assert [b.location for b in doc.blocks][:2] == ["page 1", "page 2"]
    assert doc.blocks[0].text.strip() == "Page one text"
    assert [p.kind for p in doc.problems] == ["pdf_page_needs_ocr"]
    assert doc.problems[0].forces == "refer"
    assert any(b.location == "metadata author" for b in doc.blocks)


@pytest.mark.parametrize(
    ("name", "content"), [("x.csv", b"a,b\n"), ("missing.txt", None), ("bad.docx", b"not a zip")]
)
def test_bad_inputs(tmp_path: Path, name: str, content: bytes | None) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataInputError) as err:
        load_document(path)
    assert "not a zip" not in str(err.value)


def test_is_document() -> None:
    assert is_document("a.DOCX") and is_document("b.eml") and not is_document("c.csv")


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "exemption", "eir"),
    [
        ("PERSON", "s.40(2)", "reg 13"),
        ("UK_NHS", "s.40(2)", "reg 13"),
        ("PHONE_NUMBER", "s.40(2)", "reg 13"),
        ("coverage_gap", "s.31", "reg 12(5)(b)"),
        ("access_code", "s.31", "reg 12(5)(b)"),
        ("security_arrangement", "s.31", "reg 12(5)(b)"),
        ("network_address", "s.31", "reg 12(5)(b)"),
        ("host_name", "s.31", "reg 12(5)(b)"),
        ("maintenance_gap", "s.38", "reg 12(5)(a)"),
        ("ot_identifier", "s.24", "reg 12(5)(a)"),
        ("asset_location", "s.24", "reg 12(5)(a)"),
        ("commercial", "s.43", "reg 12(5)(e)"),
    ],
)
def test_exemption_mapping_table(kind: str, exemption: str, eir: str) -> None:
    rows = {r["kind"]: r for r in exemption_table()}
    assert rows[kind]["exemption"] == exemption
    assert rows[kind]["eir"] == eir
    assert EXEMPTIONS[exemption].eir == eir


def test_exemption_titles() -> None:
    assert exemption_title("s.40(2)") == "FOIA s.40(2) personal data"
    assert exemption_title("s.40(2)", environmental=True) == "EIR reg 13"
    assert set(SECURITY_KINDS.values()) <= {(c, r) for c, r in SECURITY_KINDS.values()}


@pytest.mark.parametrize(
    ("text", "kind", "exemption"),
    [
        ("The camera on the north gate has a blind spot by the bins.", "coverage_gap", "s.31"),
        ("The alarm code is 4721 for the pavilion.", "access_code", "s.31"),
        ("Security patrols pass the depot at 02:00 each night.", "security_arrangement", "s.31"),
        ("The recorder is on the 10.20.30.0/24 range.", "host_name", "s.31"),
        ("Footage is stored on srv-cctv01.corp.internal for 31 days.", "host_name", "s.31"),
        ("The substation is located behind the leisure centre.", "asset_location", "s.24"),
        ("The pumps are controlled by a Modbus PLC.", "ot_identifier", "s.24"),
        ("The gate was left unlocked all weekend.", "maintenance_gap", "s.38"),
        ("The tender price is commercially sensitive.", "commercial", "s.43"),
    ],
)
def test_security_findings_cover_the_sentence(text: str, kind: str, exemption: str) -> None:
    text = "Intro sentence here. " + text + " Closing remark."
    det = detect_texts([text], None)
    hits = [f for f in det.findings if f.exemption == exemption]
    assert hits, det.findings
    assert any(f.entity == kind or f.source == "security" for f in hits)
    f = hits[0]
    assert text[f.start : f.end].startswith(text.split(". ")[1][:10])
    assert "Intro" not in text[f.start : f.end] and "Closing" not in text[f.start : f.end]


def test_allow_list_keeps_councillor(analyzer: TextAnalyzer, officials: Officials) -> None:
    text = (
        "Councillor Margaret Okafor, Cabinet Member for Community Safety, met the resident "
        "Janet Whitcombe. Cllr Okafor agreed to write to Mrs Whitcombe."
    )
    det = detect_texts([text], analyzer, officials)
    found = [text[f.start : f.end] for f in det.findings]
    assert not any("Okafor" in s for s in found)
    assert any("Janet Whitcombe" in s for s in found)
    assert any(s.endswith("Whitcombe") and "Janet" not in s for s in found)  # surname mention
    assert det.allowed >= 1


def test_allow_list_by_role(analyzer: TextAnalyzer) -> None:
    officials = Officials(roles=["chief executive"])
    text = "The report was signed by Howard Pemberton, Chief Executive, on Monday."
    det = detect_texts([text], analyzer, officials)
    assert not [f for f in det.findings if f.entity == "PERSON"]


def test_deny_list(tmp_path: Path) -> None:
    path = tmp_path / "lists.yaml"
    path.write_text(
        "deny:\n  - term: Project Nightjar\n    exemption: s.43\n"
        "  - pattern: '\\bOP-\\d{4}\\b'\n    exemption: s.31\n",
        encoding="utf-8",
    )
    officials = load_officials(path)
    det = detect_texts(["Project Nightjar starts after OP-1234 ends."], None, officials)
    assert [(f.entity, f.exemption) for f in det.findings] == [
        ("deny_list", "s.43"),
        ("deny_list", "s.31"),
    ]


@pytest.mark.parametrize(
    "content",
    ["officials: [{role: x}]", "deny: [{term: x, exemption: s.99}]", "deny: [{x: 1}]", "- a"],
)
def test_bad_allow_lists(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_officials(path)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("Cllr. Jane  Morgan", "jane morgan"),
        ("Councillor Morgan's", "morgan"),
        ("Dr Ann Lee", "ann lee"),
    ],
)
def test_normalise_name(raw: str, norm: str) -> None:
    assert normalise_name(raw) == norm


def test_personal_entities_and_towns(analyzer: TextAnalyzer) -> None:
    text = (
        "Mr Kevin Ashworth of 14 Albert Road, Bolton BL1 4QT (NHS 943 476 5919, "
        "tel 0161 496 0732) wrote about Manchester on 3 June 2024."
    )
    det = detect_texts([text], analyzer)
    kinds = {f.entity for f in det.findings}
    assert {"PERSON", "UK_NHS", "PHONE_NUMBER", "UK_POSTCODE"} <= kinds
    found = [text[f.start : f.end] for f in det.findings]
    assert "Manchester" not in found  # town names are not personal data
    assert not any("2024" in s for s in found)  # dates alone are not redacted
    assert all(f.exemption == "s.40(2)" for f in det.findings)
