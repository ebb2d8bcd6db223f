"""The document model: text blocks with stable locations, and what redaction logs.

A document is read (``triage.documents.formats``) into :class:`Block` s, each a piece of text
with a stable location ("body paragraph 3", "page 2", "header1 paragraph 1", "comments
paragraph 2", "metadata title", "email header Subject"...). The same block order is used by
detection and redaction, so a proposal's ``(block, start, end)`` points at the same characters
when the file is read again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from triage.documents.ocr import OcrPage
from triage.models import Problem


@dataclass(frozen=True)
class Block:
    """One piece of a document's text.

    Attributes
    ----------
    index
        Position in the document's block list (stable across reads of the same file).
    location
        Human location: ``"body paragraph 3"``, ``"page 2"``, ``"metadata author"``.
    kind
        ``paragraph``, ``page``, ``header``, ``footer``, ``comment``, ``note``, ``metadata``,
        ``email_header``, ``email_name``, ``email_address``, ``contact_phone``,
        ``contact_place``, ``contact_date`` (calendar and vCard parts), ``attachment`` or
        ``hidden`` (alt text, field codes, link targets, authors, attachments: see
        ``triage.documents.formats.docx_parts``).
    text
        The text itself.
    """

    index: int
    location: str
    kind: str
    text: str

    @property
    def content(self) -> bool:
        """True for body text (paragraphs, pages), the basis of the withhold share."""
        return self.kind in {"paragraph", "page"}


@dataclass
class Document:
    """A loaded document: text blocks, embedded tables and problems (no raw values)."""

    path: Path
    format: str
    sha256: str
    blocks: list[Block]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: OCR readings of scanned PDF pages, by block index (``triage.documents.ocr``)
    ocr_pages: dict[int, OcrPage] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """File name."""
        return self.path.name

    @property
    def chars(self) -> int:
        """Characters of text over all blocks."""
        return sum(len(b.text) for b in self.blocks)


@dataclass(frozen=True)
class LogEntry:
    """One applied redaction, without its value."""

    id: str
    location: str
    entity: str
    exemption: str
    reason: str
    label: str
    masked_sample: str


@dataclass
class ApplyResult:
    """Output of :func:`apply`."""

    output: Path
    log: list[LogEntry]
    rejected: int = 0
    residual: int = 0
    problems: list[Problem] = field(default_factory=list)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each non-blank paragraph of ``text`` (blank-line separated)."""
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"\S(?:.|\n(?![ \t]*\n))*", text):
        end = m.end()
        while end > m.start() and text[end - 1].isspace():
            end -= 1
        spans.append((m.start(), end))
    return spans


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: runs of lines separated by blank lines (kept verbatim)."""
    text = text.replace("\r\n", "\n")
    return [text[s:e] for s, e in paragraph_spans(text)]


def add_hidden(doc: Document, units: list[tuple[str, str]]) -> None:
    """Append each hidden unit whose text no block holds yet, as a ``hidden`` block."""
    seen = {b.text for b in doc.blocks}
    for location, text in units:
        if text not in seen:
            seen.add(text)
            doc.blocks.append(Block(len(doc.blocks), location, "hidden", text))


class Located(Protocol):
    """Anything that points at ``[start, end)`` of a block (a detection finding)."""

    @property
    def block(self) -> int:
        """The block's index."""

    @property
    def start(self) -> int:
        """Where the span starts."""

    @property
    def end(self) -> int:
        """Where the span ends (exclusive)."""


def fragment(doc: Document, f: Located | dict[str, Any]) -> str:
    """The text a finding or a proposal item covers."""
    if isinstance(f, dict):
        return doc.blocks[int(f["block"])].text[int(f["start"]) : int(f["end"])]
    return doc.blocks[f.block].text[f.start : f.end]
