"""Hostile DOCX and PDF files: personal data hidden outside the visible text is never released.

Every file is generated here (python-docx and raw zip/XML editing; PyMuPDF). A canary (a name,
an e-mail address, a phone number) sits only in one hidden place; checked through the CLI, the
decision is never ``release`` and no byte of any written copy holds the canary, or the
decision refers (or withholds) with a problem naming the part.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from openpyxl import Workbook

from triage.cli import main

pymupdf = pytest.importorskip("pymupdf")

NAME = "Jane Canary"
EMAIL = "jane.canary@example.com"
PHONE = "07911 123456"
CANARIES = (NAME, EMAIL, PHONE, PHONE.replace(" ", ""), "jane.canary", "Canary")
ADDRESS = f"{NAME}, 14 Larkspur Road, Leeds LS6 2AB"
BODY = "The Council received 412 requests in 2023/24 and answered most of them on time."
NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
EXIT = {"release": 0, "release_with_changes": 10, "refer": 20, "withhold": 30}


# --- DOCX ---------------------------------------------------------------------------------


def _png() -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 4, 4), 0)
    return bytes(pix.tobytes("png"))


def _picture(d: docx.document.Document, attr: str) -> None:
    d.add_picture(io.BytesIO(_png()))
    d.inline_shapes[0]._inline.docPr.set(attr, ADDRESS)


def _field_code(d: docx.document.Document) -> None:
    p = d.add_paragraph("Prepared by the FOI team.")
    for xml in (
        '<w:r {ns}><w:fldChar w:fldCharType="begin"/></w:r>',
        '<w:r {ns}><w:instrText xml:space="preserve">'
        f' AUTHOR "{NAME} {EMAIL}" </w:instrText></w:r>',
        '<w:r {ns}><w:fldChar w:fldCharType="end"/></w:r>',
    ):
        p._p.append(parse_xml(xml.format(ns=NS)))


def _hyperlink(target: str) -> Callable[[docx.document.Document], None]:
    def add(d: docx.document.Document) -> None:
        p = d.add_paragraph("You can ")
        rid = d.part.relate_to(target, RT.HYPERLINK, is_external=True)
        run = "<w:r><w:t>contact us</w:t></w:r>"
        p._p.append(parse_xml(f'<w:hyperlink {NS} r:id="{rid}">{run}</w:hyperlink>'))

    return add


def _tracked_change(d: docx.document.Document) -> None:
    p = d.add_paragraph("Figures were checked ")
    p._p.append(
        parse_xml(
            f'<w:ins {NS} w:id="9" w:author="{NAME}" w:initials="{EMAIL}" '
            'w:date="2024-01-01T00:00:00Z"><w:r><w:t>twice.</w:t></w:r></w:ins>'
        )
    )


def _comment(d: docx.document.Document) -> None:
    p = d.add_paragraph("Figures were checked.")
    d.add_comment(p.runs, text="Agreed.", author=NAME, initials=EMAIL)


def _add_part(path: Path, name: str, data: bytes, ctype: str, rel_type: str, rel_xml: str) -> str:
    """Add a part to a saved DOCX with its content type and a relationship from the body;
    ``rel_xml`` (with ``{rid}``) is appended to the body's first paragraph."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = data
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/{name}" ContentType="{ctype}"/></Types>'.encode()
    )
    rid = "rIdHidden"
    target = name.removeprefix("word/")
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/></Relationships>'.encode(),
    )
    if rel_xml:
        body = members["word/document.xml"]
        members["word/document.xml"] = body.replace(
            b"</w:p>", rel_xml.format(rid=rid, ns=NS).encode() + b"</w:p>", 1
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, content in members.items():
            zf.writestr(n, content)
    return rid


def _people(path: Path) -> None:
    xml = (
        '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
        f'<w15:person w15:author="{NAME}"><w15:presenceInfo w15:providerId="AD" '
        f'w15:userId="{EMAIL}"/></w15:person></w15:people>'
    )
    _add_part(
        path,
        "word/people.xml",
        xml.encode(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml",
        "http://schemas.microsoft.com/office/2011/relationships/people",
        "",
    )


def _workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["name", "email", "phone"])
    ws.append([NAME, EMAIL, PHONE])
    for i in range(20):
        ws.append([f"Resident {i}", f"resident{i}@example.net", f"07700 9000{i:02d}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _embedded_workbook(path: Path, part: str = "Microsoft_Excel_Worksheet.xlsx") -> None:
    _add_part(
        path,
        f"word/embeddings/{part}",
        _workbook(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package",
        '<w:r {ns}><w:object><v:shape id="s1" style="width:10pt;height:10pt"/>'
        '<o:OLEObject Type="Embed" ProgID="Excel.Sheet.12" ShapeID="s1" DrawAspect="Content" '
        'ObjectID="_1" r:id="{rid}"/></w:object></w:r>',
    )


def _replace(member: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    """Replace ``old`` by ``new`` in one member of a saved DOCX."""

    def change(path: Path) -> None:
        with zipfile.ZipFile(path) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        assert old in members[member]
        members[member] = members[member].replace(old, new, 1)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, content in members.items():
                zf.writestr(n, content)

    return change


_TEXT_BOX = (
    '<w:body><w:p><w:r><w:pict><v:shape id="tb1" style="width:90pt;height:30pt"><v:textbox>'
    f"<w:txbxContent><w:p><w:r><w:t>{NAME} {EMAIL}</w:t></w:r></w:p></w:txbxContent>"
    "</v:textbox></v:shape></w:pict></w:r></w:p>"
)


def _glossary(path: Path) -> None:
    """A glossary (building blocks) part holding a saved text entry."""
    main = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = (
        f'<w:glossaryDocument xmlns:w="{main}"><w:docParts><w:docPart><w:docPartPr>'
        '<w:name w:val="Signature"/></w:docPartPr><w:docPartBody><w:p><w:r>'
        f"<w:t>{NAME} {EMAIL} {PHONE}</w:t></w:r></w:p></w:docPartBody></w:docPart>"
        "</w:docParts></w:glossaryDocument>"
    )
    _add_part(
        path,
        "word/glossary/document.xml",
        xml.encode(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.glossary+xml",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/glossaryDocument",
        "",
    )


_DOC_VARS = f'<w:docVars><w:docVar w:name="contact" w:val="{NAME} {EMAIL}"/></w:docVars>'
_CUSTOM_XML = f'"APA"><b:Source><b:Tag>{NAME}</b:Tag><b:URL>{EMAIL}</b:URL></b:Source></b:Sources>'


def _external_entity(path: Path) -> None:
    """A document part declaring an entity that would read a local file holding the canary."""
    secret = path.parent / "secret.txt"
    secret.write_text(f"{NAME} {EMAIL}", encoding="utf-8")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    body = members["word/document.xml"].split(b"?>", 1)[1]
    doctype = f'<!DOCTYPE w:document [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    members["word/document.xml"] = doctype.encode() + body.replace(
        b"<w:body>", b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p>", 1
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, content in members.items():
            zf.writestr(n, content)


def _append(data: bytes) -> Callable[[Path], None]:
    """Append bytes after the end of a saved file (outside its structure)."""

    def change(path: Path) -> None:
        with path.open("ab") as fh:
            fh.write(data)

    return change


def _zip_comment(path: Path) -> None:
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = f"{NAME} {EMAIL}".encode()


def _member_comment(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == "word/document.xml":
                info.comment = f"{NAME} {EMAIL}".encode()
            zf.writestr(info, data)


DocxChange = Callable[[docx.document.Document], None]
#: case -> (change to the document, change to the saved file)
DOCX_CASES: dict[str, tuple[DocxChange | None, Callable[[Path], None] | None]] = {
    "image-descr": (lambda d: _picture(d, "descr"), None),
    "image-title": (lambda d: _picture(d, "title"), None),
    "field-code": (_field_code, None),
    "hyperlink-mailto": (_hyperlink(f"mailto:{EMAIL}"), None),
    "hyperlink-tel": (_hyperlink(f"tel:{PHONE.replace(' ', '')}"), None),
    "tracked-change-author": (_tracked_change, None),
    "comment-author": (_comment, None),
    "people-part": (None, _people),
    "embedded-workbook": (None, _embedded_workbook),
    "embedded-workbook-named": (None, lambda p: _embedded_workbook(p, "Jane_Canary_list.xlsx")),
    "document-variable": (
        None,
        _replace("word/settings.xml", b"</w:settings>", _DOC_VARS.encode() + b"</w:settings>"),
    ),
    "xml-comment": (
        None,
        _replace("word/document.xml", b"<w:body>", f"<w:body><!-- {NAME} {EMAIL} -->".encode()),
    ),
    "foreign-attribute": (
        None,
        _replace(
            "word/document.xml",
            b"<w:body>",
            f'<w:body xmlns:x="urn:x" x:note="{NAME} {EMAIL}">'.encode(),
        ),
    ),
    "zip-comment": (None, _zip_comment),
    "zip-member-comment": (None, _member_comment),
    "bytes-after-zip": (None, _append(f"\n{NAME} {EMAIL}\n".encode())),
    "custom-xml": (None, _replace("customXml/item1.xml", b'"APA"/>', _CUSTOM_XML.encode())),
    "text-box": (None, _replace("word/document.xml", b"<w:body>", _TEXT_BOX.encode())),
    "glossary": (None, _glossary),
}


def _make_docx(path: Path, case: str) -> Path:
    change_doc, change_file = DOCX_CASES[case]
    d = docx.Document()
    d.add_paragraph(BODY)
    if change_doc is not None:
        change_doc(d)
    d.save(str(path))
    if change_file is not None:
        change_file(path)
    return path


def _zip_texts(data: bytes) -> dict[str, bytes]:
    """Every member of a zip, nested zips opened too."""
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            content = zf.read(name)
            out[name] = content
            if content.startswith(b"PK"):
                out.update({f"{name}!{k}": v for k, v in _zip_texts(content).items()})
    return out


# --- PDF ----------------------------------------------------------------------------------


def _pdf_attachment(pdf: pymupdf.Document) -> None:
    pdf.embfile_add("residents.csv", f"name,email\n{NAME},{EMAIL}\n".encode(), filename="r.csv")


def _pdf_widget(pdf: pymupdf.Document) -> None:
    widget = pymupdf.Widget()
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "applicant"
    widget.field_value = f"{NAME} {EMAIL}"
    widget.rect = pymupdf.Rect(72, 200, 400, 230)
    pdf[0].add_widget(widget)


def _pdf_annotation(pdf: pymupdf.Document) -> None:
    annot = pdf[0].add_text_annot((72, 300), f"Call {NAME} on {PHONE} or {EMAIL}")
    annot.set_info(title=NAME)
    annot.update()


def _pdf_xmp(pdf: pymupdf.Document) -> None:
    pdf.set_xml_metadata(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{NAME} {EMAIL}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def _pdf_info(pdf: pymupdf.Document) -> None:
    pdf.set_metadata({"creator": f"{NAME} {EMAIL}", "producer": PHONE})


def _pdf_link(pdf: pymupdf.Document) -> None:
    rect = pymupdf.Rect(72, 60, 300, 80)
    pdf[0].insert_link({"kind": pymupdf.LINK_URI, "from": rect, "uri": f"mailto:{EMAIL}"})


def _pdf_file_annotation(pdf: pymupdf.Document) -> None:
    pdf[0].add_file_annot((72, 400), f"{NAME}, {PHONE}, {EMAIL}\n".encode(), "notes.txt")


def _pdf_stray_string(pdf: pymupdf.Document) -> None:
    pdf.xref_set_key(pdf.pdf_catalog(), "Extra", f"({NAME} {EMAIL})")


def _pdf_offpage_text(pdf: pymupdf.Document) -> None:
    pdf[0].insert_text((-900, -900), f"{NAME} {EMAIL}", fontsize=9)


def _pdf_canary_text(pdf: pymupdf.Document) -> None:
    pdf[0].insert_text((72, 100), f"{NAME} {EMAIL}", fontsize=9)


def _pdf_bookmark(pdf: pymupdf.Document) -> None:
    pdf.set_toc([[1, "Summary", 1], [2, f"{NAME} {EMAIL}", 1]])


def _pdf_javascript(pdf: pymupdf.Document) -> None:
    xref = pdf.get_new_xref()
    pdf.update_object(xref, f"<< /S /JavaScript /JS (app.alert('{NAME} {EMAIL}');) >>")
    pdf.xref_set_key(pdf.pdf_catalog(), "OpenAction", f"{xref} 0 R")


def _pdf_hidden_layer(pdf: pymupdf.Document) -> None:
    """Text in an optional content group that is switched off (a viewer does not show it)."""
    ocg = pdf.add_ocg("Notes", on=False)
    pdf[0].insert_text((72, 150), f"{NAME} {EMAIL}", fontsize=9, oc=ocg)


def _incremental_redaction(path: Path) -> None:
    """Redact the canary by an incremental update: the first revision still holds it."""
    pdf = pymupdf.open(str(path))
    for rect in pdf[0].search_for(f"{NAME} {EMAIL}"):
        pdf[0].add_redact_annot(rect)
    pdf[0].apply_redactions()
    pdf.saveIncr()
    pdf.close()


PdfChange = Callable[[pymupdf.Document], None]
#: case -> (change to the document, change to the saved file)
PDF_CASES: dict[str, tuple[PdfChange, Callable[[Path], None] | None]] = {
    "pdf-attachment": (_pdf_attachment, None),
    "pdf-form-field": (_pdf_widget, None),
    "pdf-annotation": (_pdf_annotation, None),
    "pdf-xmp": (_pdf_xmp, None),
    "pdf-info": (_pdf_info, None),
    "pdf-link": (_pdf_link, None),
    "pdf-file-annotation": (_pdf_file_annotation, None),
    "pdf-stray-string": (_pdf_stray_string, None),
    "pdf-offpage-text": (_pdf_offpage_text, None),
    "pdf-earlier-revision": (_pdf_canary_text, _incremental_redaction),
    "pdf-bytes-after-eof": (lambda pdf: None, _append(f"\n{NAME} {EMAIL}\n".encode())),
    "pdf-bookmark": (_pdf_bookmark, None),
    "pdf-javascript": (_pdf_javascript, None),
    "pdf-hidden-layer": (_pdf_hidden_layer, None),
}


def _make_pdf(path: Path, case: str) -> Path:
    change_doc, change_file = PDF_CASES[case]
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), BODY, fontsize=9)
    change_doc(pdf)
    pdf.save(str(path))
    pdf.close()
    if change_file is not None:
        change_file(path)
    return path


def _pdf_texts(data: bytes) -> list[str]:
    """Text, annotations, widgets, metadata, XMP, attachments and every decompressed object."""
    texts: list[str] = []
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        for page in pdf:
            texts.append(page.get_text())
            texts += [str(a.info) for a in page.annots()]
            texts += [f"{w.field_name} {w.field_value}" for w in page.widgets()]
            texts += [str(link) for link in page.get_links()]
        texts += [str(pdf.metadata), pdf.get_xml_metadata(), str(pdf.get_toc())]
        for name in pdf.embfile_names():
            texts += [name, str(pdf.embfile_info(name))]
            texts.append(pdf.embfile_get(name).decode("latin-1"))
        for xref in range(1, pdf.xref_length()):
            texts.append(pdf.xref_object(xref, compressed=False))
            if pdf.xref_is_stream(xref):
                texts.append((pdf.xref_stream(xref) or b"").decode("latin-1"))
    return texts


# --- the check ----------------------------------------------------------------------------


def _written(out: Path) -> list[Path]:
    """Every copy the check wrote for release or review."""
    found = [p for d in ("released", "proposed") if (out / d).is_dir() for p in (out / d).iterdir()]
    return found + list((out / "documents").glob("*/redacted/*"))


def _assert_clean(file: Path) -> None:
    data = file.read_bytes()
    if file.suffix == ".docx":
        texts = {n: v.decode("latin-1") for n, v in _zip_texts(data).items()}
        texts["raw"] = data.decode("latin-1")  # zip comments and anything between parts
    else:
        texts = {f"text {i}": t for i, t in enumerate(_pdf_texts(data))}
        texts["raw"] = data.decode("latin-1")
    for part, text in texts.items():
        for canary in CANARIES:
            assert canary not in text, (file.name, part, canary)


@pytest.mark.parametrize("case", [*DOCX_CASES, *PDF_CASES])
def test_hidden_personal_data_is_never_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    src = (
        _make_docx(tmp_path / "response.docx", case)
        if case in DOCX_CASES
        else _make_pdf(tmp_path / "response.pdf", case)
    )
    out = tmp_path / "out"
    code = main(["check", str(src), "--destination", "foi", "--out", str(out)])
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["decision"] != "release", report["problems"]
    assert code == EXIT[report["decision"]]
    written = _written(out)
    if report["decision"] == "release_with_changes":
        assert written
    for file in written:
        _assert_clean(file)
    for name in ("report.json", "report.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert EMAIL not in text and NAME not in text and "Jane_Canary" not in text


def test_removed_and_unchecked_parts_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The embedded workbook is named as removed; the image refers, naming its part."""
    kinds: dict[str, dict[str, str]] = {}
    for case in ("embedded-workbook", "image-descr"):
        src = _make_docx(tmp_path / f"{case}.docx", case)
        main(["check", str(src), "--destination", "foi", "--out", str(tmp_path / case)])
        capsys.readouterr()
        report = json.loads((tmp_path / case / "report.json").read_text(encoding="utf-8"))
        kinds[case] = {"decision": report["decision"]}
        for p in report["problems"]:
            kinds[case][p["kind"]] = kinds[case].get(p["kind"], "") + p["message"]
    removed = kinds["embedded-workbook"]["docx_part_removed"]
    assert "word/embeddings/Microsoft_Excel_Worksheet.xlsx" in removed
    assert "word/media/image1.png" in kinds["image-descr"]["docx_part_not_checked"]
    assert kinds["image-descr"]["decision"] == "refer"


def _docx_with_stray_copy(path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph(f"{BODY} Write to {EMAIL} for details.")
    d.save(str(path))
    data = b"\x00\x01" + EMAIL.encode() + b"\x00"
    _add_part(path, "word/custom9.bin", data, "application/octet-stream", "urn:x-extra", "")
    return path


def _pdf_with_stray_copy(path: Path) -> Path:
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), f"Write to {EMAIL} for details.", fontsize=9)
    xref = pdf.get_new_xref()
    pdf.update_object(xref, "<< /Type /Extra >>")
    pdf.update_stream(xref, b"\x00\x01" + EMAIL.encode())
    pdf.xref_set_key(pdf.pdf_catalog(), "Extra", f"{xref} 0 R")
    pdf.save(str(path))
    pdf.close()
    return path


@pytest.mark.parametrize(
    ("make", "name"), [(_docx_with_stray_copy, "r.docx"), (_pdf_with_stray_copy, "r.pdf")]
)
def test_residual_walks_the_whole_written_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    name: str,
) -> None:
    """An identifier redacted in the text but left where the redactor does not write (an
    unknown binary part, a custom stream) is found in the written file: withheld."""
    src = make(tmp_path / name)
    out = tmp_path / "out"
    code = main(["check", str(src), "--destination", "foi", "--out", str(out)])
    capsys.readouterr()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (code, report["decision"]) == (30, "withhold")
    assert "redaction_incomplete" in {p["kind"] for p in report["problems"]}
    assert not _written(out)
    if name.endswith(".docx"):
        assert any("word/custom9.bin" in p["message"] for p in report["problems"])


def test_a_part_declaring_entities_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """OOXML parts have no DTD: one that declares an entity reading a local file is refused
    (exit 2), and nothing is written for release."""
    d = docx.Document()
    d.add_paragraph(BODY)
    src = tmp_path / "response.docx"
    d.save(str(src))
    _external_entity(src)
    out = tmp_path / "out"
    code = main(["check", str(src), "--destination", "foi", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "declares a DTD" in err
    assert not _written(out)
    assert NAME not in err and EMAIL not in err
