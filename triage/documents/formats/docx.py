"""DOCX: read every paragraph with its location, write the redacted copy.

Every ``w:p`` of the body (tables included), headers, footers, footnotes, endnotes and
comments is one block; its text is the concatenation of its ``w:t`` nodes (breaks and tabs as
white space), so redaction can rewrite those nodes. Core properties are ``metadata`` blocks.
Every other text of the package (alt text, field codes, link targets, revision and comment
authors, the people part, custom XML, embedded packages...) is a ``hidden`` block, and removed
or unchecked parts are problems (``triage.documents.formats.docx_parts``). Tables are also
returned as string DataFrames for the tabular check.

The redacted copy: paragraphs rewritten node by node, tracked deletions dropped, core and app
properties cleared, embedded objects, macros, fonts and the thumbnail left out, and a final
sweep over every XML part (attributes and link targets included) replaces any remaining
occurrence.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd

from triage.documents.formats import load_document
from triage.documents.formats.docx_parts import (
    docx_hidden,
    docx_removed,
    docx_texts,
    drop_referrers,
    drop_relationships,
    rels_source,
    xml_root,
)
from triage.documents.formats.stray import add_stray
from triage.documents.model import Block, Document, LogEntry, add_hidden
from triage.documents.spans import by_block, residual_count, sweep
from triage.models import Problem

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
    add_hidden(doc, units)
    doc.problems.extend(problems)
    for i, table in enumerate(document.tables, start=1):
        frame = docx_table_frame(table)
        if frame is not None:
            doc.tables[f"{doc.path.stem}_table{i}"] = frame


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


def read(doc: Document, raw: bytes) -> None:
    """Paragraphs, core properties, hidden texts, then bytes outside the package; tables."""
    _load_docx(doc)
    add_stray(doc, raw)


def _rewrite_paragraph(p: Any, items: list[dict[str, Any]]) -> None:
    """Rewrite the ``w:t`` nodes of one paragraph: each span's text goes, its label lands in
    the first node it touched."""
    pieces = paragraph_pieces(p)
    for item in sorted(items, key=lambda i: -int(i["start"])):
        start, end, label = int(item["start"]), int(item["end"]), str(item["label"])
        pos = 0
        placed = False
        for t, piece in pieces:
            text = (t.text or "") if t is not None else piece
            n_start, n_end = pos, pos + len(text)
            pos = n_end
            if t is None or n_end <= start or n_start >= end:
                continue  # a break or tab stays: only text nodes are rewritten
            a, b = max(start, n_start) - n_start, min(end, n_end) - n_start
            t.text = text[:a] + ("" if placed else label) + text[b:]
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            placed = True


def write(
    doc: Document,
    items: list[dict[str, Any]],
    every: list[dict[str, Any]],
    out: Path,
    labels: dict[str, str],
    tables: Mapping[str, tuple[bytes, str]] | None,
) -> tuple[list[LogEntry], list[Problem]]:
    """The document with each accepted span's text nodes rewritten, every other part swept."""
    import docx

    document = docx.Document(str(doc.path))
    paragraphs = docx_paragraphs(document)
    grouped = by_block(items)
    for index, (_, _, p) in enumerate(paragraphs):
        if index in grouped:
            _rewrite_paragraph(p, grouped[index])
    core = document.core_properties
    for prop in CORE_PROPERTIES:
        setattr(core, prop, "")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "staged.docx"
        document.save(str(staged))
        _sweep_docx(staged, out, labels)
    return [], []


def _sweep_docx(src: Path, out: Path, labels: dict[str, str]) -> None:
    """Copy the DOCX package, leaving out the parts ``docx_parts`` removes (and their
    relationships and referrers), dropping tracked deletions and app/custom properties values
    and replacing any remaining redacted string in any XML text or attribute value (link
    targets percent-decoded first)."""

    def clean(s: str) -> str:
        return sweep(s, labels)

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        removed = docx_removed(zin.namelist())
        xml = {
            i.filename: xml_root(zin.read(i.filename))
            for i in zin.infolist()
            if i.filename.endswith((".xml", ".rels")) and i.filename not in removed
        }
        for name, root in list(xml.items()):
            if name.endswith(".rels"):
                ids = drop_relationships(root, name, removed)
                if ids and rels_source(name) in xml:
                    drop_referrers(xml[rels_source(name)], ids)
        for override in list(xml["[Content_Types].xml"]):
            if override.get("PartName", "").lstrip("/") in removed:
                xml["[Content_Types].xml"].remove(override)
        for info in zin.infolist():
            if info.filename in removed:
                continue
            data = zin.read(info.filename)
            if info.filename in xml:
                data = _clean_part(info.filename, xml[info.filename], clean)
            info.comment, info.extra = b"", b""  # zip member comments and extra fields
            info.date_time = (1980, 1, 1, 0, 0, 0)  # the same bytes on every run
            zout.writestr(info, data)


#: app and custom property elements whose text is cleared
_CLEARED = frozenset({"Company", "Manager", "lpwstr"})


def _clean_part(name: str, root: Any, clean: Callable[[str], str]) -> bytes:
    """One XML part with tracked deletions and property values gone and redacted strings
    swept out of every text and attribute."""
    from lxml import etree

    for deleted in list(root.iter(W + "del")):
        parent = deleted.getparent()
        if parent is not None:
            parent.remove(deleted)
    if name in {"docProps/app.xml", "docProps/custom.xml"}:
        for el in root.iter():
            if isinstance(el.tag, str) and etree.QName(el).localname in _CLEARED:
                el.text = ""
    for el in root.iter():
        if isinstance(el.text, str) and el.text:
            el.text = clean(el.text)
        if isinstance(el.tail, str) and el.tail:
            el.tail = clean(el.tail)
        for key, value in el.attrib.items():
            swept = clean(value)
            if key == "Target" and el.get("TargetMode") == "External":
                decoded = unquote(value)
                swept = value if clean(decoded) == decoded else clean(decoded)
            el.set(key, swept)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def residual(out: Path, values: list[str]) -> int:
    """How many redacted strings the written DOCX still holds: its blocks (re-read) and every
    text of the package (``docx_parts.docx_texts``)."""
    document = load_document(out)
    texts = ["\n".join(b.text for b in document.blocks), *docx_texts(out)]
    return residual_count(texts, values)
