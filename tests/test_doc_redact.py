"""True redaction of FOI documents: no trace left (checked with a second library), labels,
propose-then-apply, logs without values, the reviewer view and the FOI decision."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest

from triage.classifiers.text import TextAnalyzer
from triage.documents import apply, load_document, propose
from triage.documents.decide import decide
from triage.documents.officials import Officials
from triage.documents.review import review_html, write_log
from triage.documents.spans import redact_text
from triage.errors import DataInputError
from triage.models import Report
from triage.params import engine_params
from triage.rules import builtin_rulebook
from triage.runner import check_document
from triage.vocab import Destination

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: strings planted in the example letter that must be gone after redaction
SECRETS = (
    "Janet Whitcombe",
    "Whitcombe",
    "943 476 5919",
    "0161 496 0732",
    "Tom Bradshaw",
    "Bradshaw",
    "Kevin Ashworth",
    "Ashworth",
    "4721",
    "blind spot",
)


def _example_docx(tmp_path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("gen_foi", EXAMPLES / "generate_foi_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.build(tmp_path / "foi_response.docx"))


def _docx_xml_text(path: Path) -> str:
    """Every XML part of the package, read with zipfile (not python-docx)."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xml", ".rels"))
        )


def _docx_parts(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        return set(z.namelist())


# --- DOCX -------------------------------------------------------------------------------------


def test_example_docx_redacted_without_trace(
    tmp_path: Path, analyzer: TextAnalyzer, officials: Officials
) -> None:
    src = _example_docx(tmp_path)
    before = _docx_xml_text(src)
    assert all(s in before for s in SECRETS)  # the test would be void otherwise
    parts = _docx_parts(src)
    assert {"word/comments.xml", "docProps/core.xml"} <= parts
    assert any(re.match(r"word/header\d*\.xml", p) for p in parts)
    report = check_document(
        src, "foi", analyzer=analyzer, officials=officials, out_dir=tmp_path / "out"
    )
    out = tmp_path / "out" / "redacted" / "foi_response.docx"
    after = _docx_xml_text(out)
    for secret in SECRETS:
        assert secret not in after, secret
    with zipfile.ZipFile(out) as z:
        core = z.read("docProps/core.xml").decode()
        comments = z.read("word/comments.xml").decode()
        document = z.read("word/document.xml").decode()
    assert "<dc:creator/>" in core or "<dc:creator></dc:creator>" in core
    assert "[Person 1]" in comments
    # the councillor acting publicly is kept; the resident becomes [Person 1] everywhere
    assert "Margaret Okafor" in document
    assert document.count("[Person 1]") >= 3
    assert "[s.31]" in document and "[s.40(2)]" in document
    # python-docx still opens it and the paragraph text reads naturally
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "In March 2024 a resident, [Person 1], reported" in text
    assert report.decision == "release_with_changes"
    assert isinstance(report, Report)
    # the document's rule, then the tabular engine's on its table (as the redacted copy holds it)
    assert [r.rule for r in report.rules_fired] == ["doc-redact-exempt", "no-personal-data"]
    assert [d.name for d in report.datasets] == ["foi_response.docx", "foi_response_table1"]
    assert [p.kind for p in report.problems] == ["docx_part_removed"]  # the thumbnail
    assert "docProps/thumbnail.jpeg" not in _docx_parts(out)


def test_docx_tracked_deletions_and_app_properties_are_removed(
    tmp_path: Path, analyzer: TextAnalyzer
) -> None:
    src = tmp_path / "t.docx"
    d = docx.Document()
    p = d.add_paragraph("Complaint from Mrs Janet Whitcombe about the park.")
    # a tracked deletion holding a name
    from docx.oxml import parse_xml

    p._p.append(
        parse_xml(
            '<w:del xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'w:id="1" w:author="x"><w:r><w:delText>Janet Whitcombe</w:delText></w:r></w:del>'
        )
    )
    d.save(str(src))
    doc = load_document(src)
    proposals = propose(doc, analyzer)
    result = apply(doc, proposals, tmp_path / "t_redacted.docx")
    assert "Whitcombe" not in _docx_xml_text(result.output)
    assert result.residual == 0


# --- PDF --------------------------------------------------------------------------------------


def _make_pdf(path: Path) -> Path:
    pymupdf = pytest.importorskip("pymupdf")
    pdf = pymupdf.open()
    page = pdf.new_page()
    lines = [
        "FOI response FOI-2024-0193",
        "The resident Janet Whitcombe called from 0161 496 0732.",
        "Her NHS number is 943 476 5919.",
        "Councillor Margaret Okafor approved extra patrols.",
        "The pavilion alarm code is 4721 and is changed quarterly.",
    ]
    for i, line in enumerate(lines):
        page.insert_text((72, 72 + 20 * i), line, fontsize=11)
    page.add_text_annot((300, 300), "Ask Janet Whitcombe first")
    page2 = pdf.new_page()
    page2.insert_text((72, 72), "Follow-up: Mrs Whitcombe was visited by Kevin Ashworth.")
    pdf.set_metadata({"author": "Tom Bradshaw", "title": "Janet Whitcombe case", "subject": "x"})
    pdf.set_toc([[1, "Janet Whitcombe", 1]])
    pdf.save(str(path))
    return path


def test_pdf_redacted_without_trace(
    tmp_path: Path, analyzer: TextAnalyzer, officials: Officials
) -> None:
    pymupdf = pytest.importorskip("pymupdf")
    pypdf = pytest.importorskip("pypdf")
    src = _make_pdf(tmp_path / "r.pdf")
    report = check_document(
        src, "foi", analyzer=analyzer, officials=officials, out_dir=tmp_path / "o"
    )
    out = tmp_path / "o" / "redacted" / "r.pdf"
    secrets = ["Whitcombe", "0161 496 0732", "943 476 5919", "4721", "Tom Bradshaw", "Ashworth"]
    # second library: pypdf (text, metadata, annotations, outline)
    reader = pypdf.PdfReader(str(out))
    texts = [page.extract_text() or "" for page in reader.pages]
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    annots = " ".join(
        str(a.get_object()) for page in reader.pages for a in (page.get("/Annots") or [])
    )
    outline = str(reader.outline)
    blob = "\n".join([*texts, meta, annots, outline])
    # and PyMuPDF, plus the raw (decompressed) bytes
    with pymupdf.open(str(out)) as pdf:
        blob += "\n".join(page.get_text() for page in pdf)
        blob += str(pdf.metadata) + str(pdf.get_toc())
    raw = out.read_bytes()
    for secret in secrets:
        assert secret not in blob, secret
        assert secret.encode() not in raw, secret
    assert "Margaret Okafor" in texts[0]
    assert "changed quarterly" not in texts[0]  # the whole security sentence goes
    assert report.decision == "release_with_changes"
    assert not report.problems


# --- labels, propose-then-apply, logs, review ---------------------------------------------------

LETTER = (
    "Dear Sir,\n\nMrs Janet Whitcombe and Mr Kevin Ashworth attended. Mrs Whitcombe said "
    "Janet Whitcombe had phoned on 0161 496 0732.\n\nKevin Ashworth agreed.\n"
)


def _letter(tmp_path: Path) -> Path:
    path = tmp_path / "letter.txt"
    path.write_text(LETTER, encoding="utf-8")
    return path


def test_consistent_labels(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    doc = load_document(_letter(tmp_path))
    proposals = propose(doc, analyzer)
    result = apply(doc, proposals, tmp_path / "out.txt")
    text = result.output.read_text(encoding="utf-8")
    assert "Whitcombe" not in text and "Ashworth" not in text and "0161" not in text
    assert text.count("[Person 1]") == 3
    assert text.count("[Person 2]") == 2
    assert "[s.40(2)]" in text
    assert text.startswith("Dear Sir,\n\n[Person 1] and [Person 2] attended.")
    assert text.endswith("[Person 2] agreed.\n")


def test_propose_then_apply_only_accepted(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    doc = load_document(_letter(tmp_path))
    proposals = propose(doc, analyzer)
    items = proposals["proposals"]
    assert items and all(i["accepted"] is True for i in items)
    assert {"id", "location", "entity", "exemption", "score", "accepted"} <= set(items[0])
    json.dumps(proposals)  # JSON-able
    phone = next(i for i in items if i["entity"] == "PHONE_NUMBER")
    phone["accepted"] = False
    result = apply(doc, proposals, tmp_path / "out.txt")
    text = result.output.read_text(encoding="utf-8")
    assert "0161 496 0732" in text
    assert "Whitcombe" not in text
    assert result.rejected == 1
    assert phone["id"] not in {e.id for e in result.log}


def test_proposals_for_another_version_are_refused(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    path = _letter(tmp_path)
    proposals = propose(path, analyzer)
    path.write_text(LETTER + "\nAnother line.\n", encoding="utf-8")
    with pytest.raises(DataInputError):
        apply(path, proposals, tmp_path / "out.txt")


def _all_raw_values(doc: Any, proposals: dict[str, Any]) -> list[str]:
    return [doc.blocks[i["block"]].text[i["start"] : i["end"]] for i in proposals["proposals"]]


def test_logs_hold_no_raw_values(
    tmp_path: Path, analyzer: TextAnalyzer, officials: Officials
) -> None:
    src = _example_docx(tmp_path)
    out = tmp_path / "out"
    check_document(src, "foi", analyzer=analyzer, officials=officials, out_dir=out)
    doc = load_document(src)
    raw_values = _all_raw_values(doc, propose(doc, analyzer, officials))
    assert raw_values
    log_csv = (out / "redaction_log.csv").read_text(encoding="utf-8")
    log_json = json.loads((out / "redaction_log.json").read_text(encoding="utf-8"))
    proposals_text = (out / "proposals.json").read_text(encoding="utf-8")
    assert log_csv.splitlines()[0] == "id,location,entity,exemption,reason,label,masked_sample"
    assert {e["exemption"] for e in log_json} >= {"s.40(2)", "s.31"}
    assert any(e["location"].startswith("comments") for e in log_json)
    for value in raw_values:
        for blob in (log_csv, json.dumps(log_json), proposals_text):
            assert value not in blob, value


def test_write_log_paths(tmp_path: Path) -> None:
    csv_path, json_path = write_log([], tmp_path / "logs")
    assert csv_path.read_text(encoding="utf-8").startswith("id,location")
    assert json.loads(json_path.read_text(encoding="utf-8")) == []


def test_review_html_is_escaped_and_self_contained(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    path = tmp_path / "x.md"
    path.write_text("<script>alert(1)</script> Mrs Janet Whitcombe wrote in.\n", encoding="utf-8")
    doc = load_document(path)
    proposals = propose(doc, analyzer)
    proposals["proposals"][0]["accepted"] = False
    page = review_html(doc, proposals)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'class="x"' in page  # rejected proposal shown struck through
    assert "http" not in page.replace("http://", "")  # no external resources
    assert re.search(r"<link|<img|src=", page) is None


@pytest.mark.parametrize(
    ("text", "items", "expected"),
    [
        ("abc def", [{"start": 0, "end": 3, "label": "[X]"}], "[X] def"),
        (
            "abc def",
            [{"start": 0, "end": 3, "label": "[X]"}, {"start": 2, "end": 7, "label": "[Y]"}],
            "[X][Y]",
        ),
        ("abc", [], "abc"),
    ],
)
def test_redact_text(text: str, items: list[dict[str, Any]], expected: str) -> None:
    assert redact_text(text, items) == expected


# --- decisions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "decision", "rules"),
    [
        ("The Council received 412 requests in 2023/24.\n", "release", ["doc-release-clean"]),
        (LETTER, "release_with_changes", ["doc-redact-exempt"]),
        (
            "The alarm code is 4721.\n\nThe camera has a blind spot by the gate.\n\nThanks.\n",
            "withhold",
            ["doc-redact-exempt", "doc-withhold-mostly-exempt"],
        ),
    ],
)
def test_decisions(
    tmp_path: Path, analyzer: TextAnalyzer, content: str, decision: str, rules: list[str]
) -> None:
    path = tmp_path / "d.txt"
    path.write_text(content, encoding="utf-8")
    report = check_document(path, "foi", analyzer=analyzer)
    assert report.decision == decision
    assert [r.rule for r in report.rules_fired] == rules
    assert report.destination == "foi"
    for finding in report.findings:
        assert finding.count and finding.severity in {"medium", "high"}
    dumped = report.model_dump_json()
    assert "4721" not in dumped and "Whitcombe" not in dumped


def test_low_confidence_refers(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    doc = load_document(_letter(tmp_path))
    proposals = propose(doc, analyzer)
    proposals["proposals"][0]["score"] = 0.51
    report = decide(doc, proposals, "foi")
    assert report.decision == "refer"
    firing = next(r for r in report.rules_fired if r.rule == "doc-refer-low-confidence")
    assert "below 0.6" in firing.rationale
    assert "s.40(2)" in (firing.legal_basis or "")


def test_environmental_cites_eir(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    doc = load_document(_letter(tmp_path))
    report = decide(doc, propose(doc, analyzer), "foi", environmental=True)
    assert "EIR reg 13" in (report.rules_fired[0].legal_basis or "")
    assert "EIR reg 13" in report.findings[0].message


def test_scanned_pdf_page_refers(
    tmp_path: Path, analyzer: TextAnalyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pymupdf = pytest.importorskip("pymupdf")
    # no OCR here: see test_doc_ocr.py
    monkeypatch.setattr("triage.documents.ocr.TESSERACT", "no-such-tesseract")
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "Nothing personal here.")
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 10, 10), False)
    pdf.new_page().insert_image(pymupdf.Rect(10, 10, 100, 100), pixmap=pix)
    path = tmp_path / "s.pdf"
    pdf.save(str(path))
    report = check_document(path, "foi", analyzer=analyzer)
    assert report.decision == "refer"
    assert [p.kind for p in report.problems] == ["pdf_page_needs_ocr"]


def test_rulebook_params_override(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    shipped = builtin_rulebook(Destination.FOI)
    book = shipped.model_copy(update={"engine": engine_params({"doc_refer_below": 0.99})})
    report = check_document(_letter(tmp_path), "foi", book, analyzer=analyzer)
    assert report.decision == "refer"


@pytest.mark.parametrize(
    ("value", "text", "swept"),
    [
        ("Janet Whitcombe", "Mrs Janet Whitcombe rang.", "Mrs [Person 1] rang."),
        ("Janet Whitcombe", "Mrs Janet\n  Whitcombe rang.", "Mrs [Person 1] rang."),
        ("Whitcombe", "janet.whitcombe@x / Whitcombe's", "janet.whitcombe@x / [Person 1]'s"),
        # a longer value counts even glued to other letters
        ("Whitcombe", "xxWhitcombe", "xx[Person 1]"),
        ("943 476 5919", "NHS 943 476 5919.", "NHS [Person 1]."),
        # never inside a longer word or number: a wrongly detected "bin" leaves "bins" alone
        ("bin", "Empty the bins and the bin.", "Empty the bins and the [Person 1]."),
        ("Ann", "Annual report by Ann", "Annual report by [Person 1]"),
        ("4721", "code 47215 and 4721", "code 47215 and [Person 1]"),
    ],
)
def test_sweep_and_residuals_short_values_as_whole_tokens(
    value: str, text: str, swept: str
) -> None:
    from triage.documents.spans import residual_count, sweep

    assert sweep(text, {value: "[Person 1]"}) == swept
    assert residual_count([swept], [value]) == 0
    assert residual_count([text], [value]) == 1


# --- residuals compare tokens, not substrings (issue 12, class 7) ---------------------------


@pytest.mark.parametrize(
    ("value", "text", "found"),
    [
        # left behind as whole tokens: a residual
        ("Ann Lee", "Ann Lee Road", True),
        ("Ann Lee", "to Ann\n Lee,", True),
        ("jo.hart@example.com", "<a href='mailto:jo.hart@example.com'>", True),
        ("07700900123", "tel:07700900123.", True),
        ("07700900123", "ref07700900123", True),  # digits glued to letters: other kinds
        ("Whitcombe", "Whitcombe's", True),
        ("Whitcombe", "Jonathan_Whitcombe.docx", True),
        ("Whitcombe", "JanetWhitcombe", True),  # glued by text extraction: a capital starts it
        ("Whitcombe", "WhitcombeRang", True),
        ("Sarah O'Neill", "- Sarah O'Neill", True),
        # inside a longer token the release rightly kept: no residual
        ("Ann Lee", "Ann Leeson Road", False),
        ("Lee", "Leeds City Council", False),
        ("07700900123", "0770090012345", False),
        ("07700900123", "907700900123", False),
        ("Whitcombe", "Whitcombes Lane", False),
        ("jo.hart@example.com", "mojo.hart@example.com", False),
        ("Ann", "JoAnn", False),  # a short value is never split from letters
        ("Sarah O'Neill", "Sarah O'Neills", False),
    ],
)
def test_residuals_are_whole_tokens(value: str, text: str, found: bool) -> None:
    from triage.documents.spans import residual_count, sweep

    assert residual_count([text], [value]) == int(found)
    swept = sweep(text, {value: "[X]"})
    assert (swept != text) is found
    assert residual_count([swept], [value]) == 0


def _two_block_document(tmp_path: Path, fmt: str, first: str, second: str) -> Path:
    """A document of ``fmt`` whose first paragraph (page) is ``first``, its second ``second``."""
    path = tmp_path / f"doc.{fmt}"
    if fmt == "txt":
        path.write_text(f"{first}\n\n{second}\n", encoding="utf-8")
    elif fmt == "docx":
        d = docx.Document()
        d.add_paragraph(first)
        d.add_paragraph(second)
        d.save(str(path))
    elif fmt == "pdf":
        import pymupdf

        with pymupdf.open() as pdf:
            for text in (first, second):
                pdf.new_page().insert_text((72, 72), text)
            pdf.save(str(path))
    else:
        from email.message import EmailMessage
        from email.policy import default

        m = EmailMessage()
        m["Subject"] = "Depot"
        m.set_content(f"{first}\n\n{second}\n")
        path.write_bytes(m.as_bytes(policy=default))
    return path


def _redact_first(doc: Any, value: str) -> dict[str, Any]:
    """Proposals redacting ``value`` in the first content block holding it, nowhere else."""
    block = next(b for b in doc.blocks if b.content and value in b.text)
    start = block.text.index(value)
    item = {
        "id": "R0001",
        "block": block.index,
        "location": block.location,
        "start": start,
        "end": start + len(value),
        "entity": "PERSON",
        "exemption": "s.40(2)",
        "reason": "test",
        "label": "[Person 1]",
        "score": 0.9,
        "accepted": True,
    }
    return {"sha256": doc.sha256, "proposals": [item]}


@pytest.mark.parametrize("fmt", ["txt", "docx", "pdf", "eml"])
@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("Whitcombe", "Whitcombes Lane depot"),
        ("Ann Lee", "Ann Leeson Road depot"),
        ("07700900123", "depot ref 0770090012345"),
    ],
)
def test_a_longer_token_kept_is_no_residual(
    tmp_path: Path, fmt: str, value: str, kept: str
) -> None:
    src = _two_block_document(tmp_path, fmt, f"Call {value} about it.", kept)
    doc = load_document(src)
    result = apply(doc, _redact_first(doc, value), tmp_path / "out" / src.name, tables={})
    assert result.residual == 0
    assert "redaction_incomplete" not in [p.kind for p in result.problems]
    text = "\n".join(b.text for b in load_document(result.output).blocks)
    assert kept in text  # kept whole, neither swept nor counted
    assert f"Call {value} " not in text and ("[Person 1]" in text or fmt == "pdf")


@pytest.mark.parametrize("fmt", ["txt", "docx", "pdf", "eml"])
@pytest.mark.parametrize(
    ("value", "left"),
    [
        ("Whitcombe", "Whitcombe's depot"),
        ("Ann Lee", "Ann  Lee Road depot"),
        ("Ann Lee", "Ann\nLee Road depot"),  # a line break (DOCX w:br) parts two words
        ("07700900123", "depot tel:07700900123"),
    ],
)
def test_a_whole_token_left_behind_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, value: str, left: str
) -> None:
    import triage.documents.formats.docx as doc_docx
    import triage.documents.formats.eml_text as eml_text

    # a writer that redacts only the proposal: no sweep of the other occurrences
    monkeypatch.setattr(doc_docx, "sweep", lambda text, labels: text)
    monkeypatch.setattr(eml_text, "sweep", lambda text, labels: text)
    src = _two_block_document(tmp_path, fmt, f"Call {value} about it.", left)
    doc = load_document(src)
    result = apply(doc, _redact_first(doc, value), tmp_path / "out" / src.name, tables={})
    assert result.residual == 1
    assert "redaction_incomplete" in [p.kind for p in result.problems]
    report = decide(doc, _redact_first(doc, value), problems=result.problems)
    assert report.decision == "withhold"


def test_docx_breaks_and_tabs_part_words(tmp_path: Path) -> None:
    """A line break or tab between two words is read as white space, so a name across it is
    one name to the detectors and the residual check; the break stays in the redacted copy."""
    d = docx.Document()
    run = d.add_paragraph().add_run("Contact Ann")
    run.add_break()
    run.add_text("Lee\tor the depot.")
    d.paragraphs[0].paragraph_format.tab_stops.add_tab_stop(docx.shared.Inches(1))
    src = tmp_path / "b.docx"
    d.save(str(src))
    doc = load_document(src)
    assert doc.blocks[0].text == "Contact Ann\nLee\tor the depot."
    result = apply(doc, _redact_first(doc, "Ann\nLee"), tmp_path / "out" / "b.docx")
    assert result.residual == 0
    assert load_document(result.output).blocks[0].text == "Contact [Person 1]\n\tor the depot."
    xml = _docx_xml_text(result.output)
    assert "<w:br/>" in xml and ">Ann<" not in xml and "Lee" not in xml


@pytest.mark.parametrize(
    ("value", "line", "kept", "gone"),
    [
        ("Lee", "Call Lee about Leeds and LEE.", ["Leeds"], ["Lee ", "LEE"]),
        ("Whitcombe", "Whitcombe of Whitcombes Lane", ["Whitcombes"], ["Whitcombe of"]),
    ],
)
def test_pdf_redaction_leaves_longer_words_whole(
    tmp_path: Path, value: str, line: str, kept: list[str], gone: list[str]
) -> None:
    """On the page a one-word value is redacted in any case, but never inside a longer word."""
    import pymupdf

    src = tmp_path / "p.pdf"
    with pymupdf.open() as pdf:
        pdf.new_page().insert_text((72, 72), line, fontsize=11)
        pdf.save(str(src))
    doc = load_document(src)
    result = apply(doc, _redact_first(doc, value), tmp_path / "out" / "p.pdf")
    text = load_document(result.output).blocks[0].text
    assert result.residual == 0 and not result.problems
    assert all(k in text for k in kept), text
    assert not any(g in text for g in gone), text
