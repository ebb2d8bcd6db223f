"""Every part of a PDF beyond its pages' text: read, removed or named.

The text of layers (optional content) that are off is read as page text; every metadata
value, the XMP packet, bookmarks, link targets, annotations' texts and attached files, form
fields (names, values, labels) and document-level attachments (read as documents where they are
one) are ``hidden`` units. Attachments are removed on redaction, and a problem says so. The
residual check walks the whole written file (:func:`pdf_texts`: page text, annotations,
widgets, links, metadata, XMP, bookmarks, attachments and every object and decompressed
stream).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from triage.documents.formats import is_document, load_document
from triage.documents.spans import WORTH, readable
from triage.errors import DataInputError


def pdf_layers_on(pdf: Any) -> list[int]:
    """Switch every optional content layer of ``pdf`` on (in memory), so that text a viewer
    hides in a layer that is off is read, searched and redacted like the rest; the numbers of
    the layers that were off, for :func:`pdf_layers_restore`."""
    off = [int(c["number"]) for c in pdf.layer_ui_configs() if not c.get("on")]
    for number in off:
        pdf.set_layer_ui_config(number, 0)
    return off


def pdf_layers_restore(pdf: Any, off: list[int]) -> None:
    """Switch the layers :func:`pdf_layers_on` found off off again."""
    for number in off:
        pdf.set_layer_ui_config(number, 2)


def _pdf_widget_texts(page: Any) -> Iterator[tuple[str, str]]:
    for widget in page.widgets() or []:
        for what in ("field_name", "field_label", "field_value"):
            value = getattr(widget, what, None)
            if isinstance(value, str) and value.strip():
                yield (f"form field {what.removeprefix('field_')}", value)
        for choice in widget.choice_values or []:
            yield ("form field choice", str(choice[0] if isinstance(choice, list) else choice))


def pdf_page_units(page: Any) -> Iterator[tuple[str, str]]:
    """``(what, text)`` of a page's text outside its visible area, annotations, form fields and
    link targets."""
    import pymupdf

    flags = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_MEDIABOX_CLIP
    whole = page.get_text("text", flags=flags, clip=pymupdf.INFINITE_RECT())
    visible = set(page.get_text("text").splitlines())
    for line in whole.splitlines():
        if line.strip() and line not in visible:
            yield ("text outside the page", line)
    for n, annot in enumerate(page.annots() or [], start=1):
        for key, value in (annot.info or {}).items():
            if isinstance(value, str) and value.strip():
                yield (f"annotation {n} {key}", value)
        if annot.type[1] == "FileAttachment":
            info = annot.file_info
            name = str(info.get("filename") or "file")
            yield (f"annotation {n} file name", f"{name} {info.get('description') or ''}")
            for what, text in attachment_texts(name, annot.get_file()):
                yield (f"annotation {n} file {what}", text)
    yield from _pdf_widget_texts(page)
    for link in page.get_links():
        for key in ("uri", "file"):
            if link.get(key):
                yield ("link target", readable(str(link[key])))


def pdf_document_units(pdf: Any) -> Iterator[tuple[str, str]]:
    """``(what, text)`` of a PDF's metadata, XMP packet and bookmarks."""
    for key, value in (pdf.metadata or {}).items():
        if isinstance(value, str) and value.strip():
            yield (f"metadata {key}", value)
    for text in _xmp_texts(pdf.get_xml_metadata() or ""):
        yield ("XMP metadata", text)
    for entry in pdf.get_toc(simple=True):
        yield ("bookmark", str(entry[1]))


def _xmp_texts(xmp: str) -> list[str]:
    texts = re.split(r"<[^>]*>", xmp) + re.findall(r'="([^"]*)"', xmp)
    return [t for t in texts if t.strip()]


def pdf_attachments(pdf: Any) -> Iterator[tuple[str, bytes, str]]:
    """``(name, content, description)`` of every document-level attachment."""
    for name in pdf.embfile_names():
        info = pdf.embfile_info(name)
        label = " ".join(str(info.get(k) or "") for k in ("filename", "ufilename", "desc"))
        yield name, pdf.embfile_get(name), label


def attachment_texts(name: str, content: bytes) -> list[tuple[str, str]]:
    """``(what, text)`` of an attachment: its blocks when it is a document, else its bytes
    decoded as text."""
    suffix = Path(name).suffix.lower()
    if is_document(name) and suffix not in {".txt", ".md"}:
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / f"attachment{suffix}"
            file.write_bytes(content)
            try:
                return [(b.location, b.text) for b in load_document(file).blocks]
            except DataInputError:
                return []
    text = content.decode("utf-8", errors="replace")
    return [(f"line {i}", line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def pdf_texts(path: Path) -> list[str]:
    """Every text of a written PDF: page text, annotations, form fields, links, metadata, XMP,
    bookmarks, attachments, and every object and decompressed stream as bytes."""
    import pymupdf

    texts: list[str] = []
    with pymupdf.open(str(path)) as pdf:
        pdf_layers_on(pdf)
        for page in pdf:
            texts.append(page.get_text("text"))
            texts += [t for _, t in pdf_page_units(page)]
        texts += [t for _, t in pdf_document_units(pdf)]
        for name, content, label in pdf_attachments(pdf):
            texts += [name, label, content.decode("latin-1")]
            texts += [t for _, t in attachment_texts(name, content)]
        texts += [t for _, t in pdf_object_units(pdf)]
        for xref in range(1, pdf.xref_length()):
            texts.append(pdf.xref_object(xref, compressed=False))
            if pdf.xref_is_stream(xref):
                stream = pdf.xref_stream(xref) or b""
                texts += [stream.decode("latin-1"), _utf16(stream)]
    return [t for t in texts if t.strip()]


_PDF_STRING = re.compile(
    rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)|<(?:FEFF|feff)[0-9A-Fa-f\s]*>", re.S
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
#: streams read as text: none of these (page contents, fonts, images, object and xref streams)
_BINARY_STREAM = re.compile(r"/Subtype\s*/Image|/FontFile|/Length[123]\b|/Type\s*/(ObjStm|XRef)")


def _pdf_string(token: bytes) -> str:
    """A PDF string literal or UTF-16 hex string, decoded."""
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1]).decode()
        raw = bytes.fromhex(digits + "0" * (len(digits) % 2))  # an odd last digit: 0 follows
    else:
        raw = re.sub(
            rb"\\([0-7]{1,3}|.)",
            lambda m: (
                bytes([int(m[1], 8) & 255]) if m[1][:1].isdigit() else _ESCAPES.get(m[1], m[1])
            ),
            token[1:-1],
            flags=re.S,
        )
    return _utf16(raw) if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


#: printable runs read out of a binary stream (what ``strings`` would show)
_TEXT_RUN = re.compile(r"[\x20-\x7e]{6,}")


def _binary(data: bytes) -> bool:
    """More than a tenth of the bytes are neither printable ASCII nor whitespace."""
    if not data or data.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    odd = sum(1 for b in data[:4096] if b < 9 or 13 < b < 32 or b > 126)
    return odd > 0.1 * min(len(data), 4096)


def pdf_object_units(pdf: Any) -> Iterator[tuple[str, str]]:
    """``(what, text)`` of every string of every PDF object and of every stream that is
    neither page content nor a font or image (XFA forms, scripts, XML): what no other reader
    sees (stray catalog entries, custom keys)."""
    contents = {x for page in pdf for x in page.get_contents()}
    for xref in range(1, pdf.xref_length()):
        obj = pdf.xref_object(xref, compressed=False)
        texts = _strings(obj.encode("latin-1", "replace"))
        yield from ((f"object {xref} string", t) for t in texts if WORTH.search(t))
        if pdf.xref_is_stream(xref) and xref not in contents and not _BINARY_STREAM.search(obj):
            stream = pdf.xref_stream(xref) or b""
            if re.search(r"/Subtype\s*/Form", obj):  # drawing operators: their strings only
                lines = _strings(stream)
            elif _binary(stream):  # an ICC profile, a function, packed data: its text runs
                lines = _TEXT_RUN.findall(stream.decode("latin-1"))
            else:
                lines = (_utf16(stream) or stream.decode("utf-8", errors="replace")).splitlines()
            yield from ((f"object {xref} stream", t) for t in lines if WORTH.search(t))


def sweep_pdf_objects(pdf: Any, holds: Callable[[str], bool]) -> None:
    """Blank every string of every PDF object for which ``holds`` is true (a redacted value
    left in a stray or custom key)."""

    def blank(m: re.Match[bytes]) -> bytes:
        return b"()" if holds(_pdf_string(m[0])) else m[0]

    for xref in range(1, pdf.xref_length()):
        obj = pdf.xref_object(xref, compressed=False).encode("latin-1", "replace")
        new = _PDF_STRING.sub(blank, obj)
        if new != obj:
            pdf.update_object(xref, new.decode("latin-1"))


def _strings(data: bytes) -> list[str]:
    return [_pdf_string(t) for t in _PDF_STRING.findall(data)]


def _utf16(data: bytes) -> str:
    return data.decode("utf-16", errors="ignore") if data.startswith(b"\xfe\xff") else ""
