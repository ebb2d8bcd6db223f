"""E-mail parts and headers: what is read, what is dropped, bytes made deterministic."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
import zipfile
from contextvars import ContextVar
from dataclasses import dataclass
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

from triage.errors import DataInputError

POLICY = email.policy.default
ADDRESS_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc")
#: headers rebuilt by the walker (content headers are regenerated)
HANDLED_HEADERS = {h.lower() for h in (*ADDRESS_HEADERS, "Subject", "Date")} | {
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
}
#: dropped header (lower case, prefix match) -> (exemption, reason)
DROPPED_HEADERS: tuple[tuple[str, str, str], ...] = (
    ("received", "s.31", "mail routing: host names and IP addresses"),
    ("x-originating-ip", "s.31", "sender's IP address"),
    ("authentication-results", "s.31", "mail routing: host names and IP addresses"),
    ("arc-", "s.31", "mail signature or routing data (no longer verifies)"),
    ("dkim-signature", "s.31", "mail signature (no longer verifies after redaction)"),
    ("return-path", "s.40(2)", "envelope sender address"),
    ("delivered-to", "s.40(2)", "recipient mailbox"),
    ("message-id", "s.40(2)", "message identifier (may name an account or host)"),
    ("in-reply-to", "s.40(2)", "message identifier (may name an account or host)"),
    ("references", "s.40(2)", "message identifiers (may name accounts or hosts)"),
    ("thread-", "s.40(2)", "thread metadata (may repeat names or subjects)"),
    ("content-", "-", "MIME part metadata, not part of the displayed message"),
    ("x-", "-", "mail system header, not part of the displayed message"),
)
SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
TABLE_SUFFIXES = frozenset({".csv", ".xlsx"})
DOCUMENT_SUFFIXES = frozenset({".txt", ".md", ".docx", ".pdf", ".eml"})
_SUFFIX_BY_TYPE = {
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/pdf": ".pdf",
    "text/markdown": ".md",
    "message/rfc822": ".eml",
}
_RICH_TEXT = frozenset({"text/rtf", "text/enriched", "text/richtext"})
BAD_STRUCTURE = ("StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect")
#: nested messages deeper than this are not read (an attachment bomb)
MAX_DEPTH = 3
DEPTH: ContextVar[int] = ContextVar("eml_depth", default=0)
REDACTED_DOMAIN = "redacted.invalid"


def decode_bytes(raw: bytes, charset: str | None) -> str:
    for enc in (charset, "utf-8", "cp1252"):
        if enc:
            try:
                return raw.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("latin-1")


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    return decode_bytes(raw, part.get_content_charset()).replace("\r\n", "\n").replace("\r", "\n")


def attachment_suffix(part: Message) -> str:
    """The document or table suffix of an attachment, from its file name or else its type
    (other text types as ``.txt``; rich text is not plain text); ``""`` when unsupported."""
    suffix = Path(part.get_filename() or "").suffix.lower()
    if suffix in TABLE_SUFFIXES | DOCUMENT_SUFFIXES:
        return suffix
    ctype = part.get_content_type()
    plain = ctype.startswith("text/") and ctype not in _RICH_TEXT
    return _SUFFIX_BY_TYPE.get(ctype, ".txt" if plain else "")


def dropped_header(name: str) -> tuple[str, str, str]:
    low = name.lower()
    for prefix, exemption, reason in DROPPED_HEADERS:
        if low.startswith(prefix):
            shown = name if prefix != "x-" else "X-..."
            return shown, exemption, reason
    return "(other)", "-", "header not part of the displayed message"


_PDF_ID = re.compile(rb"(/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<)([0-9A-Fa-f]+)(>)")


def stable_bytes(data: bytes) -> bytes:
    """Attachment bytes made deterministic: ZIP packages (DOCX, XLSX) with fixed timestamps and
    no core.xml dates; PDF with its per-save file identifier replaced (same length, so the
    cross-reference offsets stay valid) by one derived from the content."""
    if data.startswith(b"%PDF"):
        blank = _PDF_ID.sub(lambda m: m.group(1) + b"0" * len(m.group(2)) + m.group(3), data)
        digest = hashlib.sha256(blank).hexdigest().upper().encode() * 4
        return _PDF_ID.sub(lambda m: m.group(1) + digest[: len(m.group(2))] + m.group(3), data)
    if not data.startswith(b"PK"):
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", body)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, body)
    return buf.getvalue()


@dataclass
class Removed:
    """A part of a message left out of the redacted copy, and why (a log row)."""

    location: str
    entity: str
    exemption: str
    reason: str


def parse_message(raw: bytes) -> EmailMessage:
    """The message in ``raw`` (``policy.default``)."""
    msg = email.message_from_bytes(raw, policy=POLICY)
    assert isinstance(msg, EmailMessage)
    return msg


def guard_depth() -> Any:
    """One level deeper into nested messages (a token to reset); refused past ``MAX_DEPTH``."""
    depth = DEPTH.get()
    if depth >= MAX_DEPTH:
        raise DataInputError("messages nested too deeply")
    return DEPTH.set(depth + 1)
