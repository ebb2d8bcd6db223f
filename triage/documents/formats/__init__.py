"""Document formats behind one lazy table: each format's module reads it AND writes it.

:data:`FORMATS` maps a suffix to a format and :data:`HANDLERS` a format to the module that
reads a file into :class:`~triage.documents.model.Block` s (``read``), writes its redacted copy
(``write``) and counts the redacted strings the copy still holds (``residual``). A module is
imported the first time its format is met (PDF needs PyMuPDF, AGPL, the optional ``pdf``
extra), as the transform registry does.

Redaction removes text, it does not cover it: TXT/MD are rewritten (``text``); DOCX paragraphs
node by node, every other part swept (``docx``, ``docx_parts``); PDF by redaction annotations
applied to the page (``pdf``, ``pdf_parts``); e-mail part by part (``eml``). Every output is
read again, whole, and any redacted string still present is counted in
``ApplyResult.residual`` (the decision then fails closed).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol, cast

from triage.documents.model import ApplyResult, Document, LogEntry, fragment
from triage.errors import DataInputError
from triage.masking import mask_value
from triage.models import Problem
from triage.vocab import Decision

#: suffix -> document format
FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".eml": "eml",
    ".pdf": "pdf",
}
#: document format -> the module that reads and writes it
HANDLERS: dict[str, str] = {
    "txt": "triage.documents.formats.text",
    "md": "triage.documents.formats.text",
    "docx": "triage.documents.formats.docx",
    "pdf": "triage.documents.formats.pdf",
    "eml": "triage.documents.formats.eml",
}


class DocumentFormat(Protocol):
    """What a format's module provides."""

    def read(self, doc: Document, raw: bytes) -> None:
        """Append the blocks (tables, problems) of the file's bytes ``raw`` to ``doc``."""

    def write(
        self,
        doc: Document,
        items: list[dict[str, Any]],
        every: list[dict[str, Any]],
        out: Path,
        labels: dict[str, str],
        tables: Mapping[str, tuple[bytes, str]] | None,
    ) -> tuple[list[LogEntry], list[Problem]]:
        """Write the redacted copy of ``doc`` to ``out`` from its accepted ``items`` (``every``:
        accepted or not); log rows of what went beyond the items, and the problems met."""

    def residual(self, out: Path, values: list[str]) -> int:
        """How many of ``values`` the written copy at ``out`` still holds."""


@cache
def handler(fmt: str) -> DocumentFormat:
    """The module reading and writing ``fmt``, imported on first use."""
    return cast(DocumentFormat, importlib.import_module(HANDLERS[fmt]))


def document_format(path: Path) -> str | None:
    """The document format of ``path`` by suffix, or None when it is not a document."""
    return FORMATS.get(path.suffix.lower())


def is_document(path: str | Path) -> bool:
    """True when ``path`` has a document suffix (``.txt .md .docx .eml .pdf``)."""
    return document_format(Path(path)) is not None


def load_document(path: str | Path) -> Document:
    """Read a document into blocks (and tables).

    Raises
    ------
    DataInputError
        Missing file, unknown suffix, or a file the reader cannot parse (no values quoted).
    """
    p = Path(path)
    fmt = document_format(p)
    if fmt is None:
        raise DataInputError(f"{p.name}: not a document (.txt .md .docx .eml .pdf)")
    if not p.is_file():
        raise DataInputError(f"{p.name}: file not found")
    raw = p.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    doc = Document(path=p, format=fmt, sha256=sha, blocks=[])
    try:
        handler(fmt).read(doc, raw)
    except DataInputError:
        raise
    except Exception as exc:  # parser faults: name the file and error type only
        raise DataInputError(f"{p.name}: cannot read {fmt} ({type(exc).__name__})") from exc
    return doc


def _accepted(doc: Document, proposals: dict[str, Any]) -> list[dict[str, Any]]:
    if proposals.get("sha256") not in (None, doc.sha256):
        raise DataInputError(f"{doc.name}: proposals were made for a different version of the file")
    out = []
    for item in proposals.get("proposals", []):
        if not item.get("accepted", False):
            continue
        block = int(item["block"])
        if not 0 <= block < len(doc.blocks):
            raise DataInputError(f"{doc.name}: proposal {item.get('id')} points outside the file")
        out.append(item)
    return out


def apply(
    doc: Document | str | Path,
    proposals: dict[str, Any],
    out_path: str | Path,
    *,
    tables: Mapping[str, tuple[bytes, str]] | None = None,
) -> ApplyResult:
    """Apply the accepted proposals to the document and write the redacted file.

    ``tables`` (``.eml`` only): treated CSV/XLSX attachments by part number, from
    ``triage.documents.tables.check_eml_tables``; table attachments without one are left out
    (``refer``).

    Raises
    ------
    DataInputError
        Proposals for another file version, or a format that cannot be redacted.
    """
    document = doc if isinstance(doc, Document) else load_document(doc)
    items = _accepted(document, proposals)
    rejected = sum(1 for i in proposals.get("proposals", []) if not i.get("accepted", False))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # a string a reviewer kept somewhere is neither swept out nor counted as residual
    kept = {
        fragment(document, i)
        for i in proposals.get("proposals", [])
        if not i.get("accepted", False) and 0 <= int(i["block"]) < len(document.blocks)
    }
    values = sorted({fragment(document, i) for i in items} - kept, key=len, reverse=True)
    labels = {fragment(document, i): str(i["label"]) for i in items}
    labels = {k: v for k, v in labels.items() if k not in kept}
    if document.format not in HANDLERS:
        raise DataInputError(f"{document.name}: redaction of .{document.format} is not supported")
    writer = handler(document.format)
    every = list(proposals.get("proposals", []))
    removed, problems = writer.write(document, items, every, out, labels, tables)
    residual = writer.residual(out, values)
    if residual:
        problems.append(
            Problem(
                kind="redaction_incomplete",
                message=f"{residual} redacted string(s) still present in the output",
                dataset=document.name,
                forces=Decision.WITHHOLD,
            )
        )
    log = [
        LogEntry(
            id=str(i["id"]),
            location=str(i["location"]),
            entity=str(i["entity"]),
            exemption=str(i["exemption"]),
            reason=str(i["reason"]),
            label=str(i["label"]),
            masked_sample=mask_value(fragment(document, i)),
        )
        for i in items
    ]
    log += removed  # e-mail headers, hidden HTML and unchecked parts removed on disclosure
    return ApplyResult(output=out, log=log, rejected=rejected, residual=residual, problems=problems)
