"""Documents for FOI: load ``.txt``, ``.md``, ``.docx``, ``.eml`` and ``.pdf`` text with locations.

A document is read into :class:`Block` s, each a piece of text with a stable location
("body paragraph 3", "page 2", "header1 paragraph 1", "comments paragraph 2", "metadata title",
"email header Subject"...). The same block order is used by detection and redaction
(``triage.doc_detect``, ``triage.doc_redact``), so a proposal's ``(block, start, end)`` points
at the same characters when the file is read again.

DOCX: every ``w:p`` of the body (tables included), headers, footers, footnotes, endnotes and
comments is one block; its text is the concatenation of its ``w:t`` nodes (no tabs or breaks),
so redaction can rewrite those nodes. Core properties are ``metadata`` blocks. Every other text
of the package (alt text, field codes, link targets, revision and comment authors, the people
part, custom XML, embedded packages...) is a ``hidden`` block, and removed or unchecked parts
are problems (``triage.doc_parts``). Tables are also returned as string DataFrames for the
tabular path.

PDF: one block per page (PyMuPDF, imported lazily: AGPL, the optional ``pdf`` extra). A page
without a text layer but with images is read by OCR (``triage.doc_ocr``, Debian's tesseract):
its block is located ``"page N (OCR)"``, its words and boxes are kept in
``Document.ocr_pages`` for redaction, and a ``pdf_page_ocr`` note (forces nothing) or, on
shaky OCR, a ``pdf_page_ocr_low_confidence`` problem (forces ``refer``) records it. Without
tesseract the page is a ``pdf_page_needs_ocr`` problem (forces ``refer``), unchecked.
Metadata, XMP, bookmarks, annotations, form fields, links and attachments are ``hidden``
blocks; attachments are removed on redaction, which a ``pdf_attachment_removed`` problem says.

EML (``triage.doc_eml``): address headers (one block per display name and per address),
Subject, every text/plain and text/html part, attachment names and attached documents as
blocks; CSV and XLSX attachments as DataFrames (checked by the tabular engine).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triage.doc_ocr import OcrPage, read_scanned_page
from triage.doc_parts import (
    attachment_texts,
    docx_hidden,
    pdf_attachments,
    pdf_document_units,
    pdf_layers_on,
    pdf_object_units,
    pdf_page_units,
    stray_bytes,
    stray_problem,
)
from triage.errors import DataInputError
from triage.masking import mask_value
from triage.models import Problem
from triage.vocab import Decision

logger = logging.getLogger(__name__)

#: suffix -> document format
FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".eml": "eml",
    ".pdf": "pdf",
}
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"
#: DOCX parts whose paragraphs are read and redacted: (partname regex, label)
DOCX_TEXT_PARTS: tuple[tuple[str, str], ...] = (
    (r"^/word/document\.xml$", "body"),
    (r"^/word/(header\d*)\.xml$", ""),
    (r"^/word/(footer\d*)\.xml$", ""),
    (r"^/word/(footnotes)\.xml$", ""),
    (r"^/word/(endnotes)\.xml$", ""),
    (r"^/word/(comments\w*)\.xml$", ""),
)
#: core properties read as metadata blocks (and cleared by redaction)
CORE_PROPERTIES: tuple[str, ...] = (
    "title",
    "subject",
    "author",
    "keywords",
    "comments",
    "last_modified_by",
    "category",
    "content_status",
    "identifier",
)


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
        ``triage.doc_parts``).
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
    #: OCR readings of scanned PDF pages, by block index (``triage.doc_ocr``)
    ocr_pages: dict[int, OcrPage] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """File name."""
        return self.path.name

    @property
    def chars(self) -> int:
        """Characters of text over all blocks."""
        return sum(len(b.text) for b in self.blocks)


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
        if fmt in {"txt", "md"}:
            _load_text(doc, _decode(raw))
        elif fmt == "docx":
            _load_docx(doc)
        elif fmt == "pdf":
            _load_pdf(doc, raw)
        else:
            _load_eml(doc, raw)
        if fmt in {"docx", "pdf"}:  # after the paragraphs: their blocks come first
            _stray(doc, raw)
    except DataInputError:
        raise
    except Exception as exc:  # parser faults: name the file and error type only
        raise DataInputError(f"{p.name}: cannot read {fmt} ({type(exc).__name__})") from exc
    return doc


def _stray(doc: Document, raw: bytes) -> None:
    """Bytes outside a DOCX's or PDF's structure as ``hidden`` blocks, and a problem."""
    data = stray_bytes(raw, doc.format)
    if data:
        lines = data.decode("latin-1").splitlines()
        _add_hidden(doc, [("bytes outside the file", line) for line in lines if line.strip()])
        doc.problems.append(stray_problem(data, doc.name))


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


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


def _load_text(doc: Document, text: str) -> None:
    for i, para in enumerate(split_paragraphs(text), start=1):
        doc.blocks.append(Block(len(doc.blocks), f"paragraph {i}", "paragraph", para))


# --- DOCX ---------------------------------------------------------------------------------


def docx_text_parts(document: Any) -> list[tuple[str, Any]]:
    """``(label, part)`` for each DOCX part holding redactable paragraphs, in a stable order."""
    found: list[tuple[int, str, str, Any]] = []
    for part in document.part.package.iter_parts():
        name = str(part.partname)
        for order, (rx, label) in enumerate(DOCX_TEXT_PARTS):
            m = re.match(rx, name)
            if m:
                found.append((order, name, label or m.group(1), part))
                break
    found.sort(key=lambda t: (t[0], t[1]))
    return [(label, part) for _, _, label, part in found]


def part_element(part: Any) -> Any:
    """The lxml root of a DOCX part (XmlPart's element, or the parsed blob of a plain Part)."""
    element = getattr(part, "element", None)
    if element is not None:
        return element
    from lxml import etree

    root = etree.fromstring(part.blob)
    part._triage_root = root  # kept so redaction can write it back
    return root


#: run elements a reader sees as white space between words: line breaks and tabs
_RUN_BREAKS = {W + "br": "\n", W + "cr": "\n", W + "tab": "\t"}


def paragraph_pieces(paragraph: Any) -> list[tuple[Any | None, str]]:
    """``(w:t node, its text)`` of ``paragraph`` itself in reading order, with each line break
    and tab of its runs as ``(None, "\\n")`` or ``(None, "\\t")``: words either side of a
    break are two words ("Ann" / "Lee"), never one ("AnnLee")."""
    pieces: list[tuple[Any | None, str]] = []
    for el in paragraph.iter(W + "t", *_RUN_BREAKS):
        owner = el.getparent()
        if el.tag != W + "t" and (owner is None or owner.tag != W + "r"):
            continue  # a tab stop of the paragraph's properties, not a tab in its text
        while owner is not None and owner.tag != W + "p":
            owner = owner.getparent()
        if owner is paragraph:
            pieces.append((el, el.text or "") if el.tag == W + "t" else (None, _RUN_BREAKS[el.tag]))
    return pieces


def paragraph_text(paragraph: Any) -> str:
    """The text of ``paragraph`` itself, breaks and tabs as ``\\n`` and ``\\t``."""
    return "".join(text for _, text in paragraph_pieces(paragraph))


def paragraph_text_nodes(paragraph: Any) -> list[Any]:
    """The ``w:t`` nodes that belong to ``paragraph`` itself (not to nested paragraphs)."""
    nodes = []
    for t in paragraph.iter(W + "t"):
        parent = t.getparent()
        while parent is not None and parent.tag != W + "p":
            parent = parent.getparent()
        if parent is paragraph:
            nodes.append(t)
    return nodes


def _kind_of_part(label: str) -> str:
    for prefix, kind in (
        ("header", "header"),
        ("footer", "footer"),
        ("comments", "comment"),
        ("footnotes", "note"),
        ("endnotes", "note"),
    ):
        if label.startswith(prefix):
            return kind
    return "paragraph"


def docx_paragraphs(document: Any) -> list[tuple[str, str, Any]]:
    """``(location, kind, w:p element)`` for every non-empty paragraph, in block order."""
    out: list[tuple[str, str, Any]] = []
    for label, part in docx_text_parts(document):
        root = part_element(part)
        n = 0
        for p in root.iter(W + "p"):
            text = paragraph_text(p)
            if not text.strip():
                continue
            n += 1
            out.append((f"{label} paragraph {n}", _kind_of_part(label), p))
    return out


def _load_docx(doc: Document) -> None:
    import docx

    document = docx.Document(str(doc.path))
    for location, kind, p in docx_paragraphs(document):
        doc.blocks.append(Block(len(doc.blocks), location, kind, paragraph_text(p)))
    core = document.core_properties
    for prop in CORE_PROPERTIES:
        value = getattr(core, prop, None)
        if isinstance(value, str) and value.strip():
            doc.blocks.append(Block(len(doc.blocks), f"metadata {prop}", "metadata", value))
    text_parts = {str(part.partname).lstrip("/") for _, part in docx_text_parts(document)}
    units, problems = docx_hidden(doc.path, text_parts)
    _add_hidden(doc, units)
    doc.problems.extend(problems)
    for i, table in enumerate(document.tables, start=1):
        frame = docx_table_frame(table)
        if frame is not None:
            doc.tables[f"{doc.path.stem}_table{i}"] = frame


def _add_hidden(doc: Document, units: list[tuple[str, str]]) -> None:
    """Append each hidden unit whose text no block holds yet, as a ``hidden`` block."""
    seen = {b.text for b in doc.blocks}
    for location, text in units:
        if text not in seen:
            seen.add(text)
            doc.blocks.append(Block(len(doc.blocks), location, "hidden", text))


def docx_table_frame(table: Any) -> pd.DataFrame | None:
    """A DOCX table as a string DataFrame (first row as header), or None when it has < 2 rows."""
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    if len(rows) < 2:
        return None
    width = max(len(r) for r in rows)
    header = [h.strip() or f"column_{j + 1}" for j, h in enumerate(rows[0] + [""] * width)][:width]
    seen: dict[str, int] = {}
    names = []
    for h in header:
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h}_{seen[h]}")
    data = [r + [""] * (width - len(r)) for r in rows[1:]]
    return pd.DataFrame(data, columns=names, dtype=object)


# --- PDF ----------------------------------------------------------------------------------


def _load_pdf(doc: Document, raw: bytes) -> None:
    try:
        import pymupdf
    except ImportError as exc:
        raise DataInputError(
            f"{doc.path.name}: PDF support needs the optional 'pdf' extra (PyMuPDF)"
        ) from exc
    with pymupdf.open(stream=raw, filetype="pdf") as pdf:
        pdf_layers_on(pdf)  # a layer a viewer hides is read all the same
        for number, page in enumerate(pdf, start=1):
            text = page.get_text("text")
            location = f"page {number}"
            if not text.strip() and page.get_images():
                reading, problem = read_scanned_page(page, number, doc.name)
                doc.problems.append(problem)
                if reading is not None:
                    doc.ocr_pages[len(doc.blocks)] = reading
                    text, location = reading.text, f"page {number} (OCR)"
            doc.blocks.append(Block(len(doc.blocks), location, "page", text))
        meta = pdf.metadata or {}
        for key in ("title", "author", "subject", "keywords"):
            value = meta.get(key)
            if isinstance(value, str) and value.strip():
                doc.blocks.append(Block(len(doc.blocks), f"metadata {key}", "metadata", value))
        _pdf_hidden(doc, pdf)


def _pdf_hidden(doc: Document, pdf: Any) -> None:
    """The PDF's hidden texts as blocks; its attachments named (masked) as to be removed."""
    units = [(f"page {n} {w}", t) for n, p in enumerate(pdf, 1) for w, t in pdf_page_units(p)]
    units += list(pdf_document_units(pdf))
    units += list(pdf_object_units(pdf))
    names = []
    for n, (name, content, label) in enumerate(pdf_attachments(pdf), start=1):
        names.append(mask_value(name))
        units += [(f"attachment {n} name", f"{name} {label}")]
        units += [(f"attachment {n} {w}", t) for w, t in attachment_texts(name, content)]
    _add_hidden(doc, units)
    if pdf.version_count > 1:  # incremental updates: what earlier revisions held is not read
        doc.problems.append(
            Problem(
                kind="pdf_revisions_removed",
                message=f"{pdf.version_count - 1} earlier revision(s) of the file (incremental "
                "updates) are left out of the redacted copy, saved anew",
                dataset=doc.name,
                forces=Decision.RELEASE_WITH_CHANGES,
            )
        )
    if names:
        doc.problems.append(
            Problem(
                kind="pdf_attachment_removed",
                message=f"{len(names)} attachment(s) removed from the redacted copy: "
                + ", ".join(names[:5]),
                dataset=doc.name,
                forces=Decision.RELEASE_WITH_CHANGES,
            )
        )


# --- EML ----------------------------------------------------------------------------------


def _load_eml(doc: Document, raw: bytes) -> None:
    """Headers, bodies, attachment names and attached documents as blocks (``triage.doc_eml``)."""
    from triage.doc_eml import load_eml

    load_eml(doc, raw)
