"""PDF: read one block per page, write the redacted copy (PyMuPDF, imported lazily: AGPL, the
optional ``pdf`` extra).

A page without a text layer but with images is read by OCR (``triage.documents.ocr``, Debian's
tesseract): its block is located ``"page N (OCR)"``, its words and boxes are kept in
``Document.ocr_pages`` for redaction, and a ``pdf_page_ocr`` note (forces nothing) or, on
shaky OCR, a ``pdf_page_ocr_low_confidence`` problem (forces ``refer``) records it. Without
tesseract the page is a ``pdf_page_needs_ocr`` problem (forces ``refer``), unchecked.
Metadata, XMP, bookmarks, annotations, form fields, links and attachments are ``hidden``
blocks; attachments are removed on redaction, which a ``pdf_attachment_removed`` problem says.

Redaction annotations are applied to the page (text layer removed, image pixels under them
blanked; on a page read by OCR the boxes are the words' boxes and no label text is added, so
the page stays an image); other annotations, attachments, bookmarks and metadata are removed,
and so are form fields and links holding a redacted string; the file is saved with garbage
collection. The images of a PDF with scanned pages are read back one by one
(``triage.documents.ocr.pixel_residual``), so pixels merely covered fail closed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from triage.documents.formats import load_document
from triage.documents.formats.pdf_parts import (
    attachment_texts,
    pdf_attachments,
    pdf_document_units,
    pdf_layers_on,
    pdf_layers_restore,
    pdf_object_units,
    pdf_page_units,
    pdf_texts,
    sweep_pdf_objects,
)
from triage.documents.formats.stray import add_stray
from triage.documents.model import Block, Document, LogEntry, add_hidden, fragment
from triage.documents.ocr import pixel_residual, read_scanned_page
from triage.documents.spans import by_block, readable, residual_count, value_spans
from triage.errors import DataInputError
from triage.masking import mask_value
from triage.models import Problem
from triage.vocab import Decision


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
    add_hidden(doc, units)
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


def read(doc: Document, raw: bytes) -> None:
    """Pages (OCR where scanned), metadata, hidden texts, then bytes outside the file."""
    _load_pdf(doc, raw)
    add_stray(doc, raw)


def write(
    doc: Document,
    items: list[dict[str, Any]],
    every: list[dict[str, Any]],
    out: Path,
    labels: dict[str, str],
    tables: Mapping[str, tuple[bytes, str]] | None,
) -> tuple[list[LogEntry], list[Problem]]:
    """The redacted PDF: each accepted span under a redaction annotation applied to its page,
    then everything else that could hold it stripped; saved anew."""
    import pymupdf

    problems: list[Problem] = []
    grouped = by_block(items)
    with pymupdf.open(str(doc.path)) as pdf:
        off = pdf_layers_on(pdf)  # text in a hidden layer is searched and redacted too
        for number, page in enumerate(pdf):
            for xref in [a.xref for a in page.annots()]:
                page.delete_annot(page.load_annot(xref))
            here = (f"page {number + 1}", f"page {number + 1} (OCR)")
            block = next((b for b in doc.blocks if b.location in here), None)
            if block is None:
                continue
            reading = doc.ocr_pages.get(block.index)
            for item in grouped.get(block.index, []):
                covered = block.text[int(item["start"]) : int(item["end"])]
                found = False
                if reading is not None:  # scanned page: blank the words' pixels, add no text
                    boxes = reading.boxes(int(item["start"]), int(item["end"]))
                    for box in boxes:
                        page.add_redact_annot(pymupdf.Rect(box), fill=(0, 0, 0))
                    found = bool(boxes)
                else:
                    for piece in covered.split("\n"):
                        piece = piece.strip()
                        if not piece:
                            continue
                        for rect in _token_hits(page, piece):
                            page.add_redact_annot(
                                rect, text=str(item["label"]), fill=(0, 0, 0), text_color=(1, 1, 1)
                            )
                            found = True
                if not found:
                    problems.append(
                        Problem(
                            kind="redaction_not_located",
                            message=f"proposal {item['id']} ({item['location']}) could not be "
                            "located on the page",
                            dataset=doc.name,
                            forces=Decision.WITHHOLD,
                        )
                    )
            page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_PIXELS)  # type: ignore[attr-defined]
        _redact_off_page(pdf, [fragment(doc, i) for i in items])
        _strip_pdf(pdf, [fragment(doc, i) for i in items])
        pdf.set_metadata({})
        pdf.del_xml_metadata()
        pdf.set_toc([])
        pdf_layers_restore(pdf, off)
        pdf.save(str(out), garbage=4, deflate=True, clean=True, no_new_id=True)
    if doc.ocr_pages:  # scanned pages: their redacted strings must be gone from the pixels
        scanned = [fragment(doc, i) for i in items if int(i["block"]) in doc.ocr_pages]
        problems.extend(pixel_residual(out, scanned, doc.name))
    return [], problems


def _token_hits(page: Any, piece: str) -> list[Any]:
    """Where ``piece`` is on ``page`` (PyMuPDF's search, any case), less the hits of a one-word
    piece inside a longer word ("Lee" of "Leeds"), which the release rightly keeps."""
    hits = page.search_for(piece)
    if len(piece.split()) != 1 or not hits:
        return list(hits)
    words = page.get_text("words")
    low = piece.lower()
    kept = []
    for rect in hits:
        middle = (rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2
        around = [
            str(w[4]).lower()
            for w in words
            if w[0] <= middle[0] <= w[2] and w[1] <= middle[1] <= w[3] and low in str(w[4]).lower()
        ]
        if not around or any(value_spans(low, w) for w in around):
            kept.append(rect)
    return kept


def _redact_off_page(pdf: Any, values: list[str]) -> None:
    """Redact each redacted string drawn outside its page's visible area (text a reader never
    sees but a text extractor does)."""
    import pymupdf

    flags = pymupdf.TEXTFLAGS_SEARCH & ~pymupdf.TEXT_MEDIABOX_CLIP
    pieces = {p.strip() for v in values for p in v.split("\n") if p.strip()}
    for page in pdf:
        rects = [
            r
            for piece in pieces
            for r in page.search_for(piece, clip=pymupdf.INFINITE_RECT(), flags=flags)
            if not r.intersects(page.rect)
        ]
        for rect in rects:
            page.add_redact_annot(rect)
        if rects:
            page.apply_redactions()


def _strip_pdf(pdf: Any, values: list[str]) -> None:
    """Remove every attachment, each form field and link holding a redacted string, and blank
    any object string holding one."""
    for name in pdf.embfile_names():
        pdf.embfile_del(name)
    for page in pdf:
        for xref in [w.xref for w in page.widgets() or []]:
            widget = page.load_widget(xref)
            texts = [str(v) for v in (widget.field_name, widget.field_label, widget.field_value)]
            if residual_count(texts, values):
                page.delete_widget(widget)
        for link in page.get_links():
            if residual_count([readable(str(link.get("uri") or link.get("file") or ""))], values):
                page.delete_link(link)
    sweep_pdf_objects(pdf, lambda text: bool(residual_count([text], values)))


def residual(out: Path, values: list[str]) -> int:
    """How many redacted strings the written PDF still holds: its blocks (re-read) and every
    text of the file (``pdf_parts.pdf_texts``)."""
    document = load_document(out)
    texts = ["\n".join(b.text for b in document.blocks), *pdf_texts(out)]
    return residual_count(texts, values)
