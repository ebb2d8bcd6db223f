"""Plain text and Markdown: one block per paragraph, rewritten paragraph by paragraph."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from triage.documents.formats import load_document
from triage.documents.model import Block, Document, LogEntry, paragraph_spans, split_paragraphs
from triage.documents.spans import by_block, redact_text, residual_count
from triage.models import Problem


def read(doc: Document, raw: bytes) -> None:
    """One ``paragraph`` block per blank-line separated paragraph."""
    for i, para in enumerate(split_paragraphs(_decode(raw)), start=1):
        doc.blocks.append(Block(len(doc.blocks), f"paragraph {i}", "paragraph", para))


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def write(
    doc: Document,
    items: list[dict[str, Any]],
    every: list[dict[str, Any]],
    out: Path,
    labels: dict[str, str],
    tables: Mapping[str, tuple[bytes, str]] | None,
) -> tuple[list[LogEntry], list[Problem]]:
    """The text with each accepted span replaced by its label."""
    raw = doc.path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    spans = paragraph_spans(text)
    grouped = by_block(items)
    pieces: list[str] = []
    pos = 0
    for index, (start, end) in enumerate(spans):
        pieces.append(text[pos:start])
        pieces.append(redact_text(text[start:end], grouped.get(index, [])))
        pos = end
    pieces.append(text[pos:])
    out.write_text("".join(pieces), encoding="utf-8")
    return [], []


def residual(out: Path, values: list[str]) -> int:
    """How many redacted strings the written text still holds."""
    document = load_document(out)
    return residual_count(["\n".join(b.text for b in document.blocks)], values)
