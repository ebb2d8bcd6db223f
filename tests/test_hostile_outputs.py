"""Output folders that must never contradict the decision (issue 13, items 6 and 7).

Every input is generated here in ``tmp_path``: stale outputs of an earlier run beside a new
decision, a disk that fills while writing, an e-mail whose calendar and contact parts name a
person, and a message whose attachment cannot be redacted.
"""

from __future__ import annotations

import email
import email.policy
import errno
import io
import json
import os
import re
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import pytest

import triage.documents.check
import triage.documents.formats.docx
import triage.documents.formats.pdf
import triage.documents.formats.text
import triage.io.outputs
import triage.runner
from triage.classifiers.text import TextAnalyzer
from triage.cli import main
from triage.context import NlpSettings
from triage.documents import apply, load_document, propose
from triage.documents.formats import cards as doc_cards
from triage.runner import check_document

RELEASING = ("release", "release_with_changes")


def _contacts(tmp_path: Path) -> Path:
    """A table that is released with changes for open data (an e-mail column is dropped)."""
    path = tmp_path / "contacts.csv"
    wards = ("North", "South", "East", "West")
    rows = [f"{i},user{i}@example.com,{wards[i % 4]},{i % 7}" for i in range(200)]
    path.write_text("id,email,ward,count\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _letter(tmp_path: Path) -> Path:
    """An FOI letter: redacted and released with a model, referred in pattern-only mode."""
    path = tmp_path / "letter.txt"
    path.write_text(
        "Dear team,\n\nPlease write to jane.canary@example.com about the bins.\n\n"
        "The bins in our street were collected late again this week.\n",
        encoding="utf-8",
    )
    return path


def _check(path: Path, destination: str, out: Path, *extra: str) -> int:
    args = ["check", str(path), "--destination", destination, "--out", str(out), "--quiet"]
    return main([*args, *extra])


def _decision(out: Path) -> str | None:
    report = out / "report.json"
    return json.loads(report.read_text(encoding="utf-8"))["decision"] if report.exists() else None


def _files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def _earlier_run(tmp_path: Path, out: Path) -> None:
    assert _check(_contacts(tmp_path), "open-data", out, "--pattern-only") == 10
    assert (out / "released" / "contacts.csv").exists()


def _hand_placed(tmp_path: Path, out: Path) -> None:
    """Outputs of a version without a manifest, or files put in ``released/`` by hand."""
    (out / "released").mkdir(parents=True)
    (out / "released" / "contacts.csv").write_text("id\n1\n", encoding="utf-8")
    (out / "report.json").write_text('{"decision": "release"}', encoding="utf-8")


@pytest.mark.parametrize("earlier", [_earlier_run, _hand_placed], ids=["manifest", "legacy"])
def test_stale_released_files_leave_when_the_new_run_refers(
    tmp_path: Path, earlier: Callable[[Path, Path], None]
) -> None:
    out = tmp_path / "out"
    earlier(tmp_path, out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "mine").mkdir()
    (out / "mine" / "keep.csv").write_text("a\n1\n", encoding="utf-8")
    assert _check(_letter(tmp_path), "foi", out, "--pattern-only") == 20
    assert _decision(out) == "refer"
    assert not (out / "released").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "mine" / "keep.csv").exists()
    set_aside = [p for p in out.iterdir() if p.name.startswith("released.")]
    if earlier is _hand_placed:  # not known to be triage's: kept, but out of released/
        assert [p.name for p in set_aside[0].iterdir()] == ["contacts.csv"]
    else:
        assert set_aside == []
    assert not [p for p in tmp_path.iterdir() if ".triage-" in p.name]  # no staging left


def _full_disk(*_args: Any, **_kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    ("target", "name", "make", "destination", "extra"),
    [
        (triage.runner, "write_released", _contacts, "open-data", ("--pattern-only",)),
        (triage.runner, "render_html", _contacts, "open-data", ("--pattern-only",)),
        (triage.runner, "render_markdown", _letter, "foi", ()),
        (triage.documents.check, "write_log", _letter, "foi", ()),
    ],
    ids=["released-table", "report-html", "report-md", "document-log"],
)
@pytest.mark.parametrize("earlier", [False, True], ids=["fresh", "after-a-release"])
def test_a_full_disk_leaves_no_releasing_report(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: object,
    name: str,
    make: Callable[[Path], Path],
    destination: str,
    extra: tuple[str, ...],
    earlier: bool,
) -> None:
    out = tmp_path / "out"
    if earlier:
        _earlier_run(tmp_path, out)
    out.mkdir(exist_ok=True)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    capsys.readouterr()
    monkeypatch.setattr(target, name, _full_disk)
    code = _check(make(tmp_path), destination, out, *extra)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("triage: fault: cannot write the outputs")
    assert "No space left on device" in err and "nothing was released" in err
    assert _decision(out) not in RELEASING
    assert _files(out) == {"notes.txt"}  # nothing of this run, nothing of the earlier one
    assert not [p for p in tmp_path.iterdir() if ".triage-" in p.name]


@pytest.mark.parametrize("fail_at", [1, 2, 3], ids=["manifest", "released-file", "report"])
def test_a_failure_while_moving_in_leaves_no_report(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fail_at: int,
) -> None:
    out = tmp_path / "out"
    _earlier_run(tmp_path, out)
    calls: list[str] = []
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        calls.append(str(dst))
        if len(calls) == fail_at:
            _full_disk()
        real(src, dst)

    monkeypatch.setattr(triage.io.outputs.os, "replace", replace)
    capsys.readouterr()
    assert _check(_contacts(tmp_path), "open-data", out, "--pattern-only") == 1
    assert capsys.readouterr().err.startswith("triage: fault: cannot write the outputs")
    assert _files(out) == set() and _decision(out) is None


# --- item 7: every part of an e-mail redacted, no copy holding a failed part ------------------

CANARIES = ("Jane Canary", "Canary", "jane.canary", "j.canary", "07700 900123", "AB1 2CD")
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Calendar//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:20240305T101500Z-4411@example.com\r\n"
    "DTSTART:20240312T100000Z\r\nDTEND:20240312T110000Z\r\nSUMMARY:Bin collections review\r\n"
    "ORGANIZER;CN=Jane Canary:mailto:jane.canary@example.com\r\n"
    "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Jane Canary:mailto:jane.\r\n"
    " canary@example.com\r\n"
    'ATTENDEE;CN="Canary, Jane";SENT-BY="mailto:jane.canary@example.com":mailto:j.canary@exam\r\n'
    " ple.org\r\n"
    "ATTENDEE;CUTYPE=INDIVIDUAL;X-NAME=Jane Canary:mailto:j.canary@example.org\r\n"
    "DESCRIPTION:Agenda: the missed collections in our street.\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)
VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Canary\r\nN:Canary;Jane;;;\r\n"
    "EMAIL;TYPE=work:jane.canary@example.com\r\nTEL;TYPE=cell:07700 900123\r\n"
    "ADR;TYPE=home:;;1 Acacia Avenue;Townsville;;AB1 2CD;UK\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ\r\nEND:VCARD\r\n"
)
BODY = "Please find the meeting details attached.\n\nThe bins were collected late again.\n"


def _message(body: str = BODY) -> EmailMessage:
    m = EmailMessage()
    m["From"] = Address("FOI Team", "foi", "council.gov.uk")
    m["To"] = Address("Records Office", "records", "council.gov.uk")
    m["Subject"] = "Meeting about bin collections"
    m["Date"] = "Tue, 05 Mar 2024 10:15:00 +0000"
    m.set_content(body)
    return m


def _calendar_attached(m: EmailMessage) -> None:
    m.add_attachment(
        CALENDAR.encode(), "text", "calendar", params={"method": "REQUEST"}, filename="invite.ics"
    )


def _calendar_inline(m: EmailMessage) -> None:  # as Outlook sends an invitation
    m.add_alternative(CALENDAR, subtype="calendar", params={"method": "REQUEST"})


def _calendar_as_application(m: EmailMessage) -> None:
    m.add_attachment(CALENDAR.encode(), "application", "ics", filename="invite.ics")


def _vcard(m: EmailMessage) -> None:
    m.add_attachment(VCARD.encode(), "text", "x-vcard", filename="contact.vcf")


def _forwarded(m: EmailMessage) -> None:
    inner = _message()
    _calendar_attached(inner)
    m.add_attachment(inner)


def _eml(tmp_path: Path, add: Callable[[EmailMessage], None], body: str = BODY) -> Path:
    m = _message(body)
    add(m)
    path = tmp_path / "meeting.eml"
    path.write_bytes(m.as_bytes(policy=email.policy.default))
    return path


def _texts(path: Path) -> list[bytes]:
    """The bytes of a file and, of an e-mail, every header and part decoded (nested too)."""
    raw = path.read_bytes()
    if path.suffix != ".eml":
        return [raw]
    out = [raw]
    for part in email.message_from_bytes(raw, policy=email.policy.default).walk():
        out += [f"{k}: {v}".encode() for k, v in part.items()]
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        if isinstance(payload, bytes):
            out += [payload, re.sub(rb"\r?\n[ \t]", b"", payload)]
    return out


def _assert_no_canary(out: Path) -> None:
    """No canary in any byte of any output but the reviewer's view (it shows the original)."""
    for path in out.rglob("*"):
        if path.is_file() and path.name != "review.html":
            for blob in _texts(path):
                for canary in CANARIES:
                    assert canary.encode() not in blob, (path.relative_to(out), canary)


@pytest.mark.parametrize(
    "add",
    [_calendar_attached, _calendar_inline, _calendar_as_application, _vcard, _forwarded],
    ids=["calendar", "inline-invite", "application-ics", "vcard", "forwarded"],
)
@pytest.mark.parametrize("mode", [("--pattern-only",), ()], ids=["patterns", "model"])
def test_no_part_of_an_email_keeps_a_name(
    tmp_path: Path, add: Callable[[EmailMessage], None], mode: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    code = _check(_eml(tmp_path, add), "foi", out, *mode)
    assert code in (10, 20, 30)
    _assert_no_canary(out)
    copies = [p for p in out.rglob("meeting.eml")]
    assert copies and (code != 10 or (out / "released" / "meeting.eml") in copies)
    if add is not _vcard:  # the invitation is kept, its people redacted
        text = b"\n".join(_texts(out / "documents" / "meeting" / "redacted" / "meeting.eml"))
        assert b"ORGANIZER;CN=[Person" in text and b"DTSTART:20240312T100000Z" in text


NOTES = "Case notes: the resident phoned twice about the bins in Marigold Lane."


def _with_notes(m: EmailMessage) -> None:
    """An attached Word document (redacted by its own path, then re-read)."""
    notes = docx.Document()
    notes.add_paragraph(NOTES)
    buf = io.BytesIO()
    notes.save(buf)
    word = "vnd.openxmlformats-officedocument.wordprocessingml.document"
    m.add_attachment(buf.getvalue(), "application", word, filename="notes.docx")


def _failed_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attached document's re-read finds a redacted string still there."""
    for fmt in (
        triage.documents.formats.text,
        triage.documents.formats.docx,
        triage.documents.formats.pdf,
    ):
        monkeypatch.setattr(fmt, "residual", lambda _out, _values: 1)


@pytest.mark.parametrize(
    ("fail", "body"),
    [
        (_failed_redaction, BODY),
        (None, "jane.canary@example.com\n\nj.canary@example.org\n"),  # mostly exempt
    ],
    ids=["attachment-redaction-failed", "mostly-exempt"],
)
def test_a_withheld_message_keeps_no_redacted_copy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail: Callable[[pytest.MonkeyPatch], None] | None,
    body: str,
) -> None:
    if fail is not None:
        fail(monkeypatch)
    path = _eml(tmp_path, _with_notes, body)
    out = tmp_path / "out"
    assert _check(path, "foi", out, "--pattern-only") == 30
    assert _decision(out) == "withhold"
    assert not [p for p in out.rglob("redacted")] + [p for p in out.rglob("meeting.eml")]
    assert not (out / "released").exists() and not (out / "proposed").exists()
    for blob in (
        b for p in out.rglob("*") if p.is_file() and p.name != "review.html" for b in _texts(p)
    ):
        assert b"Marigold Lane" not in blob
    library = tmp_path / "library"
    report = check_document(path, "foi", analyzer=_patterns(), out_dir=library)
    assert report.decision.value == "withhold" and not (library / "redacted").exists()


def test_an_attachment_whose_redaction_failed_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failed_redaction(monkeypatch)
    doc = load_document(_eml(tmp_path, _with_notes))
    result = apply(doc, propose(doc, _patterns()), tmp_path / "redacted.eml")
    parts = email.message_from_bytes(result.output.read_bytes(), policy=email.policy.default)
    assert "notes.docx" not in {p.get_filename() for p in parts.walk()}
    assert b"Marigold" not in b"".join(_texts(result.output))
    assert any(e.reason == "redaction failed: left out" for e in result.log)
    assert {p.forces.value for p in result.problems} >= {"withhold"}


def _patterns() -> TextAnalyzer:
    return TextAnalyzer.create(NlpSettings(model=None))


@pytest.mark.parametrize(
    "line",
    [
        'ATTENDEE;CN="Canary, Jane";ROLE=CHAIR:mailto:jane.canary@example.com',
        "DESCRIPTION:" + "Zoë's long agenda\\, item; " * 8,
        "TEL;WORK;VOICE:07700 900123",
    ],
    ids=["quoted", "long-utf8", "bare-params"],
)
def test_content_lines_survive_writing(line: str) -> None:
    parsed = doc_cards.parse(line)
    assert parsed is not None
    written = doc_cards.format_line(parsed)
    assert all(len(p.encode()) <= 75 for p in written.split("\r\n"))
    assert doc_cards.unfold(written) == [line]


def test_a_full_disk_withdraws_what_the_run_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'register.db'}"
    monkeypatch.setattr(triage.runner, "render_html", _full_disk)
    code = _check(
        _contacts(tmp_path),
        "open-data",
        tmp_path / "out",
        "--pattern-only",
        "--record",
        "--registry",
        url,
    )
    assert code == 1 and "cannot write the outputs" in capsys.readouterr().err
    assert main(["registry", "list", "--registry", url]) == 0
    listed = capsys.readouterr().out
    assert "contacts" not in listed
    assert main(["registry", "list", "--all", "--registry", url]) == 0
    assert "contacts" in capsys.readouterr().out  # kept on record, removed from checks


def test_an_output_folder_behind_a_link_is_written_in_place(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert _check(_contacts(tmp_path), "open-data", tmp_path / "link", "--pattern-only") == 10
    assert (tmp_path / "link").is_symlink() and _decision(tmp_path / "real") == RELEASING[1]
    assert {"notes.txt", "released/contacts.csv"} <= _files(tmp_path / "real")


def test_an_output_path_that_is_a_file_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").write_text("mine", encoding="utf-8")
    assert _check(_contacts(tmp_path), "open-data", tmp_path / "out", "--pattern-only") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("triage: fault: cannot write the outputs")
    assert (tmp_path / "out").read_text(encoding="utf-8") == "mine"
