"""True redaction of ``.eml`` FOI documents: headers, plain and HTML bodies, attachments.

The messages are generated here with ``email.message.EmailMessage``; the redacted output is
decoded by the test's own reader (every part, every transfer encoding, RFC 2047 headers,
ZIP XML of attached DOCX) and must hold no trace of any planted value.
"""

from __future__ import annotations

import base64
import csv
import email
import email.policy
import html
import io
import json
import re
import shutil
import zipfile
from email.headerregistry import Address
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pytest

from triage.classifiers.text import TextAnalyzer
from triage.cli import main
from triage.documents import apply, load_document, propose
from triage.documents.formats.eml_residual import eml_residual
from triage.documents.officials import Officials
from triage.runner import check_document

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
POLICY = email.policy.default

NAME, EMAIL, PHONE, NHS, POSTCODE = (
    "Janet Whitcombe",
    "janet.whitcombe@example.com",
    "0161 496 0732",
    "943 476 5919",
    "M1 1AE",
)
#: planted values that must leave no trace (the Cc person's name is RFC 2047 encoded)
SECRETS = (
    NAME,
    "Whitcombe",
    EMAIL,
    "jw.home@example.net",
    PHONE,
    NHS,
    POSTCODE,
    "Siobhán Kowalczyk",
    "Kowalczyk",
    "s.kowalczyk@example.org",
    "81.2.69.160",
)
PLAIN = (
    "Dear Councillor Okafor,\n\n"
    f"My name is {NAME} and I live at 14 Acacia Avenue, {POSTCODE}. My NHS number is {NHS} "
    f"and you can call me on {PHONE}.\n\n"
    "The bins in our street have not been collected for three weeks and the council has not "
    "replied to my earlier letters about it.\n\n"
    "My neighbour Mrs Kowalczyk has had the same problem since the new contract started.\n\n"
    f"Regards,\n{NAME}\n"
)
HTML = (
    "<html><head><meta name='author' content='Janet Whitcombe'><title>Complaint</title></head>"
    "<body><p>Dear Councillor Okafor,</p><!-- note: Janet Whitcombe called twice -->"
    f"<p>My name is <b>Janet</b> Whitcombe and I live at 14 Acacia Avenue, {POSTCODE}. "
    f"My NHS number is 943&nbsp;476 5919 and you can call me on {PHONE}.</p>"
    f"<div style='display: none'>{EMAIL}</div><span hidden>{NHS}</span>"
    "<script>var who = 'Janet Whitcombe';</script>"
    f"<small style='mso-hide: all'>{PHONE}</small><em style='font-size:0px'>{NAME}</em>"
    "<p>The bins in our street have not been collected for three weeks and the council has "
    "not replied to my earlier letters about it.</p>"
    "<p>My neighbour Mrs Kowalczyk has had the same problem since the new contract "
    "started.</p>"
    f"<p>Regards,<br><a href='mailto:{EMAIL}' title='Janet Whitcombe'>Janet Whitcombe</a></p>"
    "</body></html>"
)
#: elements the redacted HTML no longer holds (removed whole, with their content)
REMOVED_TAGS = {"meta", "div", "span", "script", "small", "em"}
CSV_ROWS = "name,email,phone,ward,bins_missed\n" + "".join(
    f"{n},{n.split()[0].lower()}@example.com,0161 496 07{i:02d},North,{i % 4}\n"
    for i, n in enumerate(
        [NAME, "Tom Bradshaw", "Kevin Ashworth", "Amira Haddad", "Peter Lindqvist"] * 3
    )
)


def _docx_bytes(*paragraphs: str) -> bytes:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _message(plain_cte: str = "quoted-printable", html_cte: str = "base64") -> EmailMessage:
    m = EmailMessage()
    m["From"] = Address(NAME, *EMAIL.split("@"))
    m["Reply-To"] = Address(NAME, "jw.home", "example.net")
    m["To"] = [
        Address("Councillor Margaret Okafor", "m.okafor", "council.gov.uk"),
        Address("FOI Team", "foi", "council.gov.uk"),
    ]
    m["Cc"] = Address("Siobhán Kowalczyk", "s.kowalczyk", "example.org")
    m["Subject"] = f"Bin collections: complaint from {NAME}"
    m["Date"] = "Tue, 05 Mar 2024 10:15:00 +0000"
    m["Message-ID"] = "<janet.whitcombe.20240305@mail.example.com>"
    m["Return-Path"] = f"<{EMAIL}>"
    m["Received"] = "from mail.example.com ([81.2.69.160]) by mx.council.gov.uk"
    m["X-Originating-IP"] = "[81.2.69.160]"
    m["DKIM-Signature"] = "v=1; a=rsa-sha256; d=example.com; s=sel; b=AbCd"
    m.set_content(PLAIN, cte=plain_cte)
    m.add_alternative(HTML, subtype="html", cte=html_cte)
    m.add_attachment(CSV_ROWS.encode(), maintype="text", subtype="csv", filename="contacts.csv")
    m.add_attachment(
        _docx_bytes(f"Case notes: {NAME} (NHS {NHS}) phoned.", "The bins were collected late."),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=f"{NAME} notes.docx",
    )
    return m


def _write(tmp_path: Path, msg: Message, name: str = "complaint.eml") -> Path:
    path = tmp_path / name
    path.write_bytes(msg.as_bytes(policy=POLICY))
    return path


def _zip_text(payload: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(payload)) as z:
        xml = " ".join(
            z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")
        )
    return html.unescape(xml) + " " + html.unescape(re.sub(r"<[^>]*>", "", xml))


def _decoded(path: Path) -> str:
    """Every header (RFC 2047 decoded), every part (transfer encodings decoded), HTML
    unescaped with and without tags, and the XML of attached ZIP packages."""
    msg = email.message_from_bytes(path.read_bytes(), policy=POLICY)
    texts: list[str] = []
    for part in msg.walk():
        texts += [f"{k}: {v}" for k, v in part.items()]
        texts.append(part.get_filename() or "")
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        if part.get_content_maintype() == "text":
            content = part.get_content()
            texts += [
                content,
                html.unescape(content),
                html.unescape(re.sub("<[^>]*>", " ", content)),
            ]
        elif payload.startswith(b"PK"):
            texts.append(_zip_text(payload))
        else:
            texts.append(payload.decode("latin-1"))
    blob = "\n".join(texts)
    return blob + "\n" + " ".join(blob.split())


def _assert_no_trace(path: Path, secrets: tuple[str, ...] = SECRETS) -> None:
    blob, raw = _decoded(path), path.read_bytes()
    for secret in secrets:
        assert secret not in blob, secret
        assert secret.encode() not in raw, secret


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(("start", tag))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("end", tag))


def _tags(markup: str) -> list[tuple[str, str]]:
    parser = _Tags()
    parser.feed(markup)
    return parser.tags


def _part(path: Path, ctype: str) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=POLICY)
    return next(p for p in msg.walk() if p.get_content_type() == ctype)  # type: ignore[return-value]


# --- the whole message ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain_cte", "html_cte"),
    [("quoted-printable", "base64"), ("base64", "quoted-printable"), ("8bit", "8bit")],
)
def test_redacted_eml_holds_no_trace(
    tmp_path: Path, analyzer: TextAnalyzer, officials: Officials, plain_cte: str, html_cte: str
) -> None:
    src = _write(tmp_path, _message(plain_cte, html_cte))
    assert all(s in _decoded(src) for s in SECRETS)  # the test would be void otherwise
    report = check_document(
        src, "foi", analyzer=analyzer, officials=officials, out_dir=tmp_path / "out"
    )
    out = tmp_path / "out" / "redacted" / "complaint.eml"
    _assert_no_trace(out)
    assert report.decision == "release_with_changes", report.decision_reason
    # only the attached DOCX's thumbnail (python-docx's template), removed and said
    assert [p.kind for p in report.problems] == ["docx_part_removed"]
    assert "docProps/thumbnail.jpeg" in report.problems[0].message
    msg = email.message_from_bytes(out.read_bytes(), policy=POLICY)
    # consistent labels: the sender is [Person 1] everywhere, the Cc person [Person 2]
    assert msg["From"].addresses[0].display_name == "[Person 1]"
    assert msg["From"].addresses[0].domain == "redacted.invalid"
    assert msg["Cc"].addresses[0].display_name == "[Person 2]"
    assert str(msg["Subject"]) == "Bin collections: complaint from [Person 1]"
    plain = _part(out, "text/plain").get_content()
    assert plain.startswith("Dear Councillor Okafor,\n\nMy name is [Person 1] and I live at")
    assert "neighbour [Person 2] has had" in plain and plain.endswith("Regards,\n[Person 1]\n")
    assert "[s.40(2)]" in plain
    # an allow-listed official acting in a public role stays, in headers and bodies
    assert msg["To"].addresses[0].display_name == "Councillor Margaret Okafor"
    assert msg["To"].addresses[1].display_name == "FOI Team"  # a team, not a person
    # only the shown headers are written again
    assert [k for k in msg] == [
        "From",
        "Reply-To",
        "To",
        "Cc",
        "Subject",
        "Date",
        "MIME-Version",
        "Content-Type",
    ]
    # HTML: redacted inside text nodes, markup intact, hidden content gone
    page = _part(out, "text/html").get_content()
    assert "<b>[Person 1]</b> and I live at" in page and "Dear Councillor Okafor" in page
    assert 'title="[Person 1]"' in page and 'href="mailto:[s.40(2)]"' in page
    assert "<!--" not in page and "<script" not in page
    assert _tags(page) == [t for t in _tags(HTML) if t[1] not in REMOVED_TAGS]
    # attachments: the DOCX is redacted inside and renamed, the CSV is the engine's treated table
    docx_part = _part(
        out, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert docx_part.get_filename() == "[Person 1] notes.docx"
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(docx_part.get_content())).paragraphs)
    assert body.startswith("Case notes: [Person 1] (NHS [s.40(2)]) phoned.")
    rows = list(csv.DictReader(io.StringIO(_part(out, "text/csv").get_content())))
    assert rows and "name" not in rows[0] and "email" not in rows[0]
    assert [d.name for d in report.datasets] == ["complaint.eml", "complaint_part2.csv"]


def test_redaction_log_names_header_and_part_locations(
    tmp_path: Path, analyzer: TextAnalyzer, officials: Officials
) -> None:
    src = _write(tmp_path, _message())
    out = tmp_path / "out"
    check_document(src, "foi", analyzer=analyzer, officials=officials, out_dir=out)
    rows = list(csv.DictReader((out / "redaction_log.csv").open(encoding="utf-8")))
    entries = json.loads((out / "redaction_log.json").read_text(encoding="utf-8"))
    assert [r["location"] for r in rows] == [e["location"] for e in entries]
    where = {r["location"]: r for r in rows}
    for location, entity in [
        ("email header From name 1", "PERSON"),
        ("email header From address 1", "EMAIL_ADDRESS"),
        ("email header Cc name 1", "PERSON"),
        ("email header Subject", "PERSON"),
        ("part 1.1 text/plain paragraph 2", "UK_NHS"),
        ("part 1.2 text/html attribute 1", "EMAIL_ADDRESS"),
        ("part 3 filename", "PERSON"),
        ("part 3 attachment body paragraph 1", "UK_NHS"),
        ("email header Received", "email_header"),
        ("email header X-Originating-IP", "email_header"),
        ("email header DKIM-Signature", "email_header"),
        ("email header Message-ID", "email_header"),
        ("email header Return-Path", "email_header"),
        ("part 1.2 text/html", "html_hidden_element"),
    ]:
        assert any(r["location"] == location and r["entity"] == entity for r in rows), (
            f"{location} {entity} not in {sorted(where)}"
        )
    assert where["email header Received"]["exemption"] == "s.31"
    assert where["email header Message-ID"]["exemption"] == "s.40(2)"
    logs = (out / "redaction_log.csv").read_text(encoding="utf-8") + json.dumps(entries)
    logs += (out / "proposals.json").read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in logs, secret


# --- through the CLI ------------------------------------------------------------------------


def test_cli_releases_a_redacted_eml_deterministically(tmp_path: Path, capsys: Any) -> None:
    src = _write(tmp_path, _message())
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        code = main(
            [
                "check",
                str(src),
                "--destination",
                "foi",
                "--officials",
                str(EXAMPLES / "public_officials.yaml"),
                "--out",
                str(out),
            ]
        )
        capsys.readouterr()
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        assert (code, report["decision"]) == (10, "release_with_changes")
        released = out / "released" / "complaint.eml"
        _assert_no_trace(released)
        outputs.append(released.read_bytes())
        for name in ("report.json", "report.md", "report.html"):
            text = (out / name).read_text(encoding="utf-8")
            assert NAME not in text and NHS not in text and EMAIL not in text
        assert (out / "documents" / "complaint" / "redaction_log.csv").exists()
    assert outputs[0] == outputs[1]  # same input and proposals: byte-identical output
    assert b"=_triage_" in outputs[0] and b"Date: Tue, 05 Mar 2024" in outputs[0]


# --- attachments ----------------------------------------------------------------------------


def _note() -> EmailMessage:
    m = EmailMessage()
    m["From"] = Address("FOI Team", "foi", "council.gov.uk")
    m["To"] = Address("FOI Team", "foi", "council.gov.uk")
    m["Subject"] = "Papers for the response"
    m.set_content(
        "Please find attached the papers for the response to the request about bin "
        "collections in the North ward.\n\nThey were gathered from the waste team.\n"
    )
    return m


def _forwarded(sender: bool = True) -> EmailMessage:
    inner = EmailMessage()
    if sender:
        inner["From"] = Address(NAME, *EMAIL.split("@"))
    inner["Subject"] = "Missed bins"
    inner.set_content(f"Hello, this is {NAME}, call me on {PHONE}.\n", cte="base64")
    return inner


def _pdf_bytes(text: str) -> bytes:
    pymupdf = pytest.importorskip("pymupdf")
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), text)
    data: bytes = pdf.tobytes()
    return data


@pytest.mark.parametrize(
    ("kind", "attach"),
    [
        (
            "docx",
            lambda m: m.add_attachment(
                _docx_bytes(f"Visit to {NAME} at {POSTCODE}."),
                maintype="application",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename="visit.docx",
            ),
        ),
        (
            "txt",
            lambda m: m.add_attachment(
                f"Caller {NAME}, NHS {NHS}.\n".encode(),
                maintype="text",
                subtype="plain",
                filename="call.txt",
            ),
        ),
        ("eml", lambda m: m.add_attachment(_forwarded())),
        (
            "pdf",
            lambda m: m.add_attachment(
                _pdf_bytes(f"Letter from {NAME}, phone {PHONE}."),
                maintype="application",
                subtype="pdf",
                filename="letter.pdf",
            ),
        ),
    ],
)
def test_attached_documents_are_redacted_inside(
    tmp_path: Path, analyzer: TextAnalyzer, kind: str, attach: Any
) -> None:
    msg = _note()
    attach(msg)
    src = _write(tmp_path, msg)
    doc = load_document(src)
    assert any(b.location.startswith("part 2 ") and b.kind != "attachment" for b in doc.blocks)
    proposals = propose(doc, analyzer)
    first = apply(doc, proposals, tmp_path / "out1.eml")
    second = apply(doc, proposals, tmp_path / "out2.eml")
    assert first.residual == 0 and not first.problems
    assert first.output.read_bytes() == second.output.read_bytes()
    _assert_no_trace(first.output, (NAME, "Whitcombe", PHONE, NHS, POSTCODE, EMAIL))
    if kind == "pdf":
        pypdf = pytest.importorskip("pypdf")
        payload = _part(first.output, "application/pdf").get_content()
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(payload)).pages)
        assert "Whitcombe" not in text and "0161" not in text and "Letter from" in text
    assert len(list(email.message_from_bytes(first.output.read_bytes()).walk())) == len(
        list(email.message_from_bytes(src.read_bytes()).walk())
    )


@pytest.mark.parametrize(
    ("maintype", "subtype", "filename"),
    [
        ("image", "png", "photo.png"),
        ("application", "zip", "papers.zip"),
        ("text", "rtf", "letter.rtf"),
    ],
)
def test_unchecked_attachments_are_left_out_and_refer(
    tmp_path: Path, analyzer: TextAnalyzer, maintype: str, subtype: str, filename: str
) -> None:
    msg = _note()
    msg.add_attachment(
        b"\x89PNG\r\n\x1a\n\x00\x01", maintype=maintype, subtype=subtype, filename=filename
    )
    src = _write(tmp_path, msg)
    report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / "out")
    out = tmp_path / "out" / "redacted" / src.name
    assert report.decision == "refer"
    assert [p.kind for p in report.problems] == ["attachment_not_checked"]
    assert filename not in report.model_dump_json()  # file names may be personal
    types = {p.get_content_type() for p in email.message_from_bytes(out.read_bytes()).walk()}
    assert f"{maintype}/{subtype}" not in types
    log = json.loads((tmp_path / "out" / "redaction_log.json").read_text(encoding="utf-8"))
    assert any(e["location"] == "part 2" and e["entity"] == "attachment" for e in log)


def test_table_the_engine_does_not_release_is_left_out(
    tmp_path: Path, analyzer: TextAnalyzer
) -> None:
    msg = _note()
    referrals = (EXAMPLES / "council_referrals.csv").read_bytes()
    msg.add_attachment(referrals, maintype="text", subtype="csv", filename="referrals.csv")
    src = _write(tmp_path, msg)
    report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / "out")
    assert report.decision in ("refer", "withhold")
    assert "attached table(s)" in report.decision_reason
    out = tmp_path / "out" / "redacted" / src.name
    types = [p.get_content_type() for p in email.message_from_bytes(out.read_bytes()).walk()]
    assert "text/csv" not in types
    assert b"Briggs" not in out.read_bytes()


def test_apply_without_the_table_check_leaves_tables_out(
    tmp_path: Path, analyzer: TextAnalyzer
) -> None:
    src = _write(tmp_path, _message())
    doc = load_document(src)
    assert set(doc.tables) == {"complaint_part2"}
    result = apply(doc, propose(doc, analyzer), tmp_path / "r.eml")
    kinds = [p.kind for p in result.problems]
    assert kinds == ["attachment_not_checked"] and result.problems[0].forces == "refer"
    types = [
        p.get_content_type() for p in email.message_from_bytes(result.output.read_bytes()).walk()
    ]
    assert "text/csv" not in types


def _counts_xlsx() -> bytes:
    buf = io.BytesIO()
    frame = pd.DataFrame({"ward": ["North", "South", "East"], "complaints": ["4", "120", "33"]})
    frame.to_excel(buf, index=False)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("subtype", "filename", "payload"),
    [
        ("csv", "counts.csv", lambda: b"ward,complaints\nNorth,4\nSouth,120\nEast,33\n"),
        (
            "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "counts.xlsx",
            _counts_xlsx,
        ),
    ],
)
def test_aggregate_table_attachment_is_released_treated(
    tmp_path: Path, analyzer: TextAnalyzer, subtype: str, filename: str, payload: Any
) -> None:
    msg = _note()
    maintype = "text" if subtype == "csv" else "application"
    msg.add_attachment(payload(), maintype=maintype, subtype=subtype, filename=filename)
    src = _write(tmp_path, msg)
    runs = []
    for run in ("a", "b"):
        report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / run)
        assert report.decision == "release_with_changes", report.decision_reason
        assert "small-cells" in [r.rule for r in report.rules_fired]  # the tabular engine's
        runs.append((tmp_path / run / "redacted" / src.name).read_bytes())
    assert runs[0] == runs[1]
    part = next(
        p for p in email.message_from_bytes(runs[0], policy=POLICY).walk() if p.get_filename()
    )
    data = part.get_content()
    frame = (
        pd.read_csv(io.StringIO(data), dtype=str)
        if subtype == "csv"
        else pd.read_excel(io.BytesIO(data), dtype=str)
    )
    assert part.get_filename() == filename
    assert frame["complaints"].tolist()[1] == "120" and "4" not in frame["complaints"].tolist()


def test_damaged_address_header_is_removed_and_refers(
    tmp_path: Path, analyzer: TextAnalyzer
) -> None:
    raw = _note().as_bytes(policy=POLICY)
    raw = raw.replace(b"To: FOI Team <foi@council.gov.uk>", f"To: {NAME} <{EMAIL}".encode())
    src = tmp_path / "damaged.eml"
    src.write_bytes(raw)
    report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / "out")
    assert report.decision == "refer"
    assert "email_header_unreadable" in [p.kind for p in report.problems]
    out = tmp_path / "out" / "redacted" / src.name
    assert "To" not in email.message_from_bytes(out.read_bytes(), policy=POLICY)
    _assert_no_trace(out, (NAME, EMAIL))


# --- propose, reject, fail closed -----------------------------------------------------------


def test_values_redacted_elsewhere_are_swept_from_attached_documents(
    tmp_path: Path, analyzer: TextAnalyzer
) -> None:
    msg = _message()
    msg.add_attachment(
        f"Follow-up with {NAME} booked.\n".encode(),
        maintype="application",
        subtype="octet-stream",
        filename="follow-up.txt",
    )
    src = _write(tmp_path, msg)
    doc = load_document(src)
    proposals = propose(doc, analyzer)
    inside = [b.index for b in doc.blocks if b.location.startswith("part 4 attachment ")]
    assert inside
    # as if the detectors had missed the name in the attached file
    proposals["proposals"] = [i for i in proposals["proposals"] if i["block"] not in inside]
    result = apply(doc, proposals, tmp_path / "r.eml", tables={})
    assert result.residual == 0
    text = next(
        p
        for p in email.message_from_bytes(result.output.read_bytes()).walk()
        if p.get_filename() == "follow-up.txt"
    ).get_payload(decode=True)
    assert text == b"Follow-up with [Person 1] booked.\n"


def test_rejected_proposal_is_kept_and_the_rest_redacted(
    tmp_path: Path, analyzer: TextAnalyzer
) -> None:
    src = _write(tmp_path, _message())
    doc = load_document(src)
    proposals = propose(doc, analyzer)
    for item in proposals["proposals"]:
        if item["entity"] == "PHONE_NUMBER":
            item["accepted"] = False
    result = apply(doc, proposals, tmp_path / "r.eml", tables={})
    blob = _decoded(result.output)
    assert PHONE in blob and NAME not in blob and NHS not in blob
    assert result.residual == 0 and result.rejected >= 2


def test_a_value_left_behind_fails_closed(
    tmp_path: Path, analyzer: TextAnalyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import triage.documents.formats.eml as doc_eml
    import triage.documents.formats.eml_text as eml_text

    # a writer bug: the HTML text nodes are not rewritten and nothing is swept
    monkeypatch.setattr(eml_text, "rewrite_nodes", lambda *a: None)
    monkeypatch.setattr(doc_eml._Walk, "clean", lambda self, text: text)
    src = _write(tmp_path, _message())
    report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / "out")
    assert report.decision == "withhold"
    assert "redaction_incomplete" in [p.kind for p in report.problems]


# --- the second reader ----------------------------------------------------------------------


def _hidden_in(where: str) -> bytes:
    m = EmailMessage()
    m["Subject"] = "Notes"
    body = "Nothing to see."
    if where == "base64 body":
        body = f"Spoke to {NAME} today about it."
    m.set_content(body, cte="base64")
    if where == "quoted-printable soft break":
        m.add_alternative(f"<p>{'x' * 70}{NAME}</p>", subtype="html", cte="quoted-printable")
    elif where == "html entity":
        m.add_alternative("<p title='Janet&#32;Whitcombe'>x</p>", subtype="html")
    elif where == "rfc2231 file name":
        m.add_attachment(b"x", maintype="text", subtype="plain", filename=f"{NAME} é.txt")
    elif where == "docx attachment":
        m.add_attachment(
            _docx_bytes(f"Visit to {NAME}."),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename="a.docx",
        )
    elif where == "forwarded message":
        m.add_attachment(_forwarded(sender=False))
    raw = m.as_bytes(policy=POLICY)
    if where == "rfc2047 header":
        word = base64.b64encode(f"Réunion avec {NAME}".encode()).decode()
        raw = raw.replace(b"Subject: Notes", f"Subject: =?utf-8?b?{word}?=".encode())
    return raw


@pytest.mark.parametrize(
    "where",
    [
        "rfc2047 header",
        "base64 body",
        "quoted-printable soft break",
        "html entity",
        "rfc2231 file name",
        "docx attachment",
        "forwarded message",
    ],
)
def test_second_reader_finds_values_in_every_encoding(tmp_path: Path, where: str) -> None:
    hidden, clean = tmp_path / "hidden.eml", tmp_path / "clean.eml"
    hidden.write_bytes(_hidden_in(where))
    clean.write_bytes(_hidden_in("nowhere"))
    assert NAME.encode() not in hidden.read_bytes()  # only a decoding reader can find it
    assert eml_residual(hidden, [NAME]) == 1
    assert eml_residual(clean, [NAME]) == 0


def test_eml_is_no_longer_refused(tmp_path: Path, analyzer: TextAnalyzer) -> None:
    src = _write(tmp_path, _message())
    target = tmp_path / "copy.eml"
    shutil.copyfile(src, target)
    report = check_document(target, "foi", analyzer=analyzer, out_dir=tmp_path / "o")
    assert "redaction_unsupported" not in [p.kind for p in report.problems]
    assert (tmp_path / "o" / "redacted" / "copy.eml").exists()


# --- auto-replies: headers are read like body text (issue 12, class 7) ----------------------

_AUTO_BODY = "Thank you for your message. I am out of the office with limited access to email.\n"
_AUTO_CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
    "SUMMARY:Out of Office - {name}\r\n"
    'ORGANIZER;CN="{name} (Out of Office)":mailto:auto@example.org\r\n'
    "DTSTART:20240603T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _auto_reply(subject: str, sender: str = "Auto Reply", name: str = "") -> EmailMessage:
    m = EmailMessage()
    m["From"] = Address(sender, "noreply", "example.org")
    m["To"] = Address("FOI Team", "foi", "council.gov.uk")
    m["Subject"] = subject
    m.set_content(_AUTO_BODY)
    if name:
        m.add_attachment(
            _AUTO_CALENDAR.format(name=name).encode(), "text", "calendar", filename="away.ics"
        )
    return m


def _released(tmp_path: Path, analyzer: TextAnalyzer, msg: EmailMessage) -> Path:
    src = _write(tmp_path, msg, "auto.eml")
    report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / "out")
    assert report.decision in ("release", "release_with_changes"), report.decision_reason
    return tmp_path / "out" / "redacted" / "auto.eml"


@pytest.mark.parametrize(
    ("subject", "sender", "calendar", "name"),
    [
        ("Automatic reply: Jane Smith is out of the office", "Auto Reply", "", "Jane Smith"),
        ("Out of Office: Re: FOI 2024/123 - Sarah O'Neill", "Auto Reply", "", "Sarah O'Neill"),
        ("Auto-Reply: John Patel on leave until 3 June", "Auto Reply", "", "John Patel"),
        ("Automatic reply: Siobhan Kowalczyk", "Auto Reply", "", "Siobhan Kowalczyk"),
        ("Out of office: Dr Alan McDonald", "Auto Reply", "", "Alan McDonald"),
        ("Re: Out of Office - Grace Okonkwo-Adeyemi", "Auto Reply", "", "Grace Okonkwo-Adeyemi"),
        # the sender's display name (with the auto-reply's own phrase) names the person
        ("Automatic reply: your request", "Siobhan Kowalczyk (Out of Office)", "", "Siobhan"),
        ("Automatic reply: your request", "Out of Office: Sarah O'Neill", "", "Sarah O'Neill"),
        # a name known from the From header is redacted in the Subject too, whole
        ("Automatic reply: Sarah O'Neill", "Sarah O'Neill", "", "Sarah O'Neill"),
        # the calendar part of an out-of-office invitation
        ("Out of Office", "Auto Reply", "Priya Sharma", "Priya Sharma"),
    ],
)
def test_an_auto_reply_keeps_no_name(
    tmp_path: Path, analyzer: TextAnalyzer, subject: str, sender: str, calendar: str, name: str
) -> None:
    out = _released(tmp_path, analyzer, _auto_reply(subject, sender, calendar))
    blob = _decoded(out)
    for word in name.split():  # no part of the name, as a whole word
        assert not re.search(rf"(?<![\w']){re.escape(word)}(?![\w'])", blob), word
    assert re.search(r"(?i)out of (the )?office|automatic reply|auto-reply", blob)


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Freedom of Information Team",
        "Automatic reply: Leeds City Council",
        "Out of Office: West Yorkshire Police",
        "Automatic reply: Information Commissioner's Office",
        "Out of Office: Planning Services - Harrogate Borough Council",
        "Automatic reply: RE: Chris Evans Way road closure",
        "Out of Office",
    ],
)
def test_an_auto_reply_keeps_organisations_and_its_own_phrases(
    tmp_path: Path, analyzer: TextAnalyzer, subject: str
) -> None:
    out = _released(tmp_path, analyzer, _auto_reply(subject))
    msg = email.message_from_bytes(out.read_bytes(), policy=POLICY)
    assert msg["Subject"] == subject
