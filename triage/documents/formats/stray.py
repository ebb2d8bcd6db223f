"""Bytes outside a DOCX's or PDF's structure: read as hidden text, left out of the copy."""

from __future__ import annotations

import io
import zipfile

from triage.documents.model import Document, add_hidden
from triage.models import Problem
from triage.vocab import Decision


def stray_bytes(raw: bytes, fmt: str) -> bytes:
    """The bytes of a DOCX or PDF outside its structure: before the first zip part or after
    the zip directory (and comment); before ``%PDF`` or after the last ``%%EOF``."""
    if fmt == "pdf":
        start, end = raw.find(b"%PDF"), raw.rfind(b"%%EOF")
        tail = raw[end + 5 :] if end >= 0 else b""
        return raw[: max(start, 0)] + (b"" if tail.strip(b"\r\n\x00 ") == b"" else tail)
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        first = min((i.header_offset for i in zf.infolist()), default=0)
        eocd = raw.rfind(b"PK\x05\x06")
        end = eocd + 22 + len(zf.comment) if eocd >= 0 else len(raw)
    return raw[:first] + raw[end:]


def stray_problem(data: bytes, dataset: str) -> Problem:
    """The problem stray bytes raise: left out of the copy written anew."""
    return Problem(
        kind="stray_bytes_removed",
        message=f"{len(data)} byte(s) outside the file's structure are left out of the "
        "redacted copy",
        dataset=dataset,
        forces=Decision.RELEASE_WITH_CHANGES,
    )


def add_stray(doc: Document, raw: bytes) -> None:
    """Bytes outside a DOCX's or PDF's structure as ``hidden`` blocks, and a problem."""
    data = stray_bytes(raw, doc.format)
    if data:
        lines = data.decode("latin-1").splitlines()
        add_hidden(doc, [("bytes outside the file", line) for line in lines if line.strip()])
        doc.problems.append(stray_problem(data, doc.name))
