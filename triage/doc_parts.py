"""Every part of a DOCX or PDF beyond its paragraphs and pages: read, removed or named.

DOCX (a zip of XML parts): besides the paragraphs ``triage.documents`` reads, every element
text of every other XML node (field codes, deleted text, custom XML, charts, glossary) and every
attribute that carries free text (image descriptions and titles, revision and comment authors
and initials, field instructions, tooltips, document variables, content-control and form-field
texts, user ids of the people part) is a ``hidden`` unit, and so is the target of every
external relationship (hyperlinks: ``mailto:``, ``tel:``). Embedded objects, ActiveX
controls, macros, embedded fonts, printer settings and the thumbnail are removed on redaction
(the text of an embedded package is read first, so its identifiers are redacted everywhere);
a problem says so and asks for at least ``release_with_changes``. Images and any other
non-XML part cannot be checked: a problem naming them forces ``refer``.

PDF: the text of layers (optional content) that are off is read as page text; every metadata
value, the XMP packet, bookmarks, link targets, annotations' texts and attached files, form
fields (names, values, labels) and document-level attachments (read as documents where they are
one) are ``hidden`` units. Attachments are removed on redaction, and a problem says so.

The residual check walks the whole written file: :func:`docx_texts` (every XML text and
attribute value of every part, the bytes of the others) and :func:`pdf_texts` (page text,
annotations, widgets, links, metadata, XMP, bookmarks, attachments and every object and
decompressed stream).
"""

from __future__ import annotations

import io
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from triage.errors import DataInputError
from triage.masking import mask_value
from triage.models import Problem
from triage.vocab import Decision

#: DOCX parts left out of the redacted copy, by what they are
DOCX_REMOVED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^word/embeddings/", re.I), "embedded objects"),
    (re.compile(r"^word/activeX/", re.I), "ActiveX controls"),
    (re.compile(r"(^|/)vbaProject\.bin$|^word/vbaData\.xml$", re.I), "macros"),
    (re.compile(r"^word/fonts/", re.I), "embedded fonts"),
    (re.compile(r"^word/printerSettings/", re.I), "printer settings"),
    (re.compile(r"^docProps/thumbnail\.", re.I), "the thumbnail (a picture of the first page)"),
    (re.compile(r"^word/[^/]*afchunk[^/]*$", re.I), "alternative-format chunks"),
)
#: DOCX parts that cannot be checked, by what they are
DOCX_UNCHECKED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^word/media/", re.I), "images (their pixels are not read)"),
)
#: attributes (local names) that hold free text on any element
TEXT_ATTRS = frozenset({"descr", "title", "author", "initials", "alt", "instr", "tooltip"})
#: attributes that hold free text on the given elements: (element, attribute) local names
ELEMENT_ATTRS = frozenset(
    {("docPr", "name"), ("cNvPr", "name"), ("docVar", "name"), ("docVar", "val")}
    | {("alias", "val"), ("tag", "val"), ("statusText", "val"), ("helpText", "val")}
    | {("listEntry", "val"), ("presenceInfo", "userId"), ("person", "author")}
)
#: form-field children of ``w:ffData`` whose ``w:val`` is free text
FORM_FIELD_ATTRS = frozenset({"name", "default"})
_W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: namespaces whose attributes Office defines (anything else is read)
_OFFICE_NS = (
    "http://schemas.openxmlformats.org/",
    "http://schemas.microsoft.com/office/",
    "urn:schemas-microsoft-com:",
    "http://purl.org/dc/",
    "http://www.w3.org/2001/XMLSchema-instance",
)
_XML_NS = "http://www.w3.org/XML/1998/namespace"
#: parts of data (custom XML, custom properties): every attribute is read
_DATA_PARTS = re.compile(r"customXml/item\d*\.xml$|docProps/custom\.xml$", re.I)
#: words of the part names Office writes (any other part name is masked in reports)
_OFFICE_NAMES = (
    "document styles styleswitheffects settings websettings fonttable numbering theme "
    "header footer footnotes endnotes comments commentsextended commentsids "
    "commentsextensible people item itemprops core app custom thumbnail image media "
    "oleobject package microsoft excel word powerpoint worksheet presentation chart macro "
    "enabled binary activex font printersettings vbaproject vbadata colors style drawing "
    "data layout quickstyle glossary afchunk content types rels xml bin png jpeg jpg gif "
    "emf wmf tif tiff bmp svg xlsx xlsm xls docx docm doc pptx odttf sheet workbook "
    "sharedstrings calcchain worksheets embeddings docprops customxml fonts charts "
    "diagrams xl ppt drawings"
)
_OFFICE_WORDS = frozenset(_OFFICE_NAMES.split())
_WORTH = re.compile(r"[^\W\d_]{2}|\d{5}|@")
_SHOWN = 5


def xml_root(data: bytes) -> Any:
    """The lxml root of an XML part, parsed without resolving entities or fetching anything."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _local(name: Any) -> str:
    return str(name).rsplit("}", 1)[-1]


def readable(value: str) -> str:
    """A URL-ish value as a reader sees it: percent-decoding undone, ``mailto:`` spaced."""
    return re.sub(r"^(mailto|tel|sms|callto):(?!//)", r"\1: ", unquote(value), flags=re.I)


def _foreign(key: str, tag: str) -> bool:
    """True for an attribute outside the Office namespaces (its own, or its element's when it
    has none): a value Word does not define, so possibly anything."""
    ns = (key if key.startswith("{") else tag).partition("}")[0].lstrip("{")
    return not ns.startswith(_OFFICE_NS) and ns != _XML_NS


def _xml_units(root: Any, skip_text: bool, every_attr: bool) -> Iterator[tuple[str, str]]:
    """``(what, text)`` of one XML part: element texts and tails, XML comments and free-text
    attribute values."""
    for el in root.iter():
        if el.tail and el.tail.strip():
            yield ("text", el.tail)
        if not isinstance(el.tag, str):  # a comment or processing instruction
            yield ("XML comment", el.text or "")
            continue
        name = _local(el.tag)
        if el.text and el.text.strip() and not (skip_text and el.tag == _W_T):
            yield ("field code" if name == "instrText" else "text", el.text)
        parent = el.getparent()
        in_form = parent is not None and _local(parent.tag) == "ffData"
        for key, value in el.attrib.items():
            attr = _local(key)
            if (
                every_attr
                or attr in TEXT_ATTRS
                or (name, attr) in ELEMENT_ATTRS
                or (in_form and name in FORM_FIELD_ATTRS and attr == "val")
                or _foreign(key, el.tag)
            ):
                yield (f"{name} {attr}", value)
        if name == "Relationship" and el.get("TargetMode") == "External":
            yield ("link target", readable(el.get("Target", "")))


def _matches(name: str, table: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    return next((what for rx, what in table if rx.search(name)), None)


def docx_hidden(path: Path, text_parts: set[str]) -> tuple[list[tuple[str, str]], list[Problem]]:
    """``(location, text)`` of every hidden unit of the DOCX at ``path`` and the problems its
    removed and unchecked parts raise. ``text_parts`` are the zip names whose ``w:t`` text is
    already read as paragraphs."""
    units: list[tuple[str, str]] = []
    removed: dict[str, list[str]] = {}
    unchecked: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as zf:
        units.append(("zip comment", zf.comment.decode("utf-8", errors="replace")))
        for info in zf.infolist():
            name = info.filename
            shown = shown_part(name)
            if shown != name:  # a part named by hand: its name is read too
                units.append((f"{shown} part name", re.sub(r"[_/.]+", " ", name)))
            units.append((f"{shown} zip comment", info.comment.decode("utf-8", "replace")))
            gone = _matches(name, DOCX_REMOVED)
            if gone is not None:
                removed.setdefault(gone, []).append(name)
                units += [(f"{shown} {w}", t) for w, t in _package_units(zf.read(name))]
                continue
            if not name.endswith((".xml", ".rels")):
                what = _matches(name, DOCX_UNCHECKED) or "parts of unknown kind"
                unchecked.setdefault(what, []).append(name)
                continue
            root = xml_root(zf.read(name))
            if root.getroottree().docinfo.doctype:  # OOXML has none: entities, external reads
                raise DataInputError(f"{path.name}: {shown} declares a DTD; refused")
            every = bool(_DATA_PARTS.match(name))
            units += [(f"{shown} {w}", t) for w, t in _xml_units(root, name in text_parts, every)]
    problems = [
        _problem(
            "docx_part_removed",
            f"{what} removed from the redacted copy",
            names,
            path.name,
            Decision.RELEASE_WITH_CHANGES,
        )
        for what, names in sorted(removed.items())
    ] + [
        _problem(
            "docx_part_not_checked",
            f"{what} not checked: a person must look",
            names,
            path.name,
            Decision.REFER,
        )
        for what, names in sorted(unchecked.items())
    ]
    return [(w, t) for w, t in units if _WORTH.search(t)], problems


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


def _package_units(data: bytes) -> list[tuple[str, str]]:
    """Every element text and attribute value of the XML parts of an embedded zip package."""
    from lxml import etree

    if not data.startswith(b"PK"):
        return []
    out: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                if name.endswith((".xml", ".rels")):
                    root = xml_root(zf.read(name))
                    units = _xml_units(root, False, True)
                    out += [(f"{shown_part(name)} {w}", t) for w, t in units]
    except (zipfile.BadZipFile, etree.XMLSyntaxError):
        return []
    return out


def shown_part(name: str) -> str:
    """A part name fit for a report: each folder and file name as is when every word of it is
    one Office writes (``word/media/image1.png``), else masked (it may name a person)."""
    segments = []
    for segment in name.split("/"):
        words = [w for w in re.split(r"[^A-Za-z]+", segment) if w]
        known = all(w.lower() in _OFFICE_WORDS for w in words)
        segments.append(segment if known else mask_value(segment))
    return "/".join(segments)


def _problem(kind: str, what: str, names: list[str], dataset: str, forces: Decision) -> Problem:
    names = [shown_part(n) for n in names]
    shown = ", ".join(names[:_SHOWN]) + (" ..." if len(names) > _SHOWN else "")
    return Problem(kind=kind, message=f"{what}: {shown}", dataset=dataset, forces=forces)


def docx_removed(names: list[str]) -> set[str]:
    """The zip names of a DOCX that its redacted copy leaves out."""
    return {n for n in names if _matches(n, DOCX_REMOVED) is not None}


def rels_source(rels_name: str) -> str:
    """The part a relationships part belongs to (``word/_rels/document.xml.rels`` ->
    ``word/document.xml``; ``_rels/.rels`` -> the package, ``""``)."""
    folder, base = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), base.removesuffix(".rels"))


def drop_relationships(root: Any, rels_name: str, removed: set[str]) -> set[str]:
    """Remove from a relationships part the relationships to ``removed`` parts; their ids."""
    source = rels_source(rels_name)
    ids: set[str] = set()
    for rel in list(root):
        if rel.get("TargetMode") == "External":
            continue
        folder = posixpath.dirname(source)
        target = posixpath.normpath(posixpath.join(folder, rel.get("Target", "")))
        if target.lstrip("/") in removed:
            ids.add(rel.get("Id", ""))
            root.remove(rel)
    return ids


def drop_referrers(root: Any, ids: set[str]) -> None:
    """Remove the elements that refer to relationship ``ids`` (an OLE object's whole
    ``w:object``)."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or not any(
            k.startswith("{" + _R_NS + "}") and v in ids for k, v in el.attrib.items()
        ):
            continue
        target = el
        while target is not None and _local(target.tag) not in {"object", "altChunk"}:
            target = target.getparent()
        target = el if target is None else target
        parent = target.getparent()
        if parent is not None:
            parent.remove(target)


def docx_texts(path: Path) -> list[str]:
    """Every text of a written DOCX: each XML part's element texts and attribute values (URLs
    percent-decoded too), the bytes of every other part decoded."""
    texts: list[str] = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            texts.append(name)
            if not name.endswith((".xml", ".rels")):
                texts.append(data.decode("latin-1"))
                continue
            for el in xml_root(data).iter():
                texts += [el.text or "", el.tail or ""]
                for value in el.attrib.values():
                    texts += [value, readable(value)]
    return [t for t in texts if t.strip()]


# --- PDF ------------------------------------------------------------------------------------


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
    from triage.documents import is_document, load_document

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
        yield from ((f"object {xref} string", t) for t in texts if _WORTH.search(t))
        if pdf.xref_is_stream(xref) and xref not in contents and not _BINARY_STREAM.search(obj):
            stream = pdf.xref_stream(xref) or b""
            if re.search(r"/Subtype\s*/Form", obj):  # drawing operators: their strings only
                lines = _strings(stream)
            elif _binary(stream):  # an ICC profile, a function, packed data: its text runs
                lines = _TEXT_RUN.findall(stream.decode("latin-1"))
            else:
                lines = (_utf16(stream) or stream.decode("utf-8", errors="replace")).splitlines()
            yield from ((f"object {xref} stream", t) for t in lines if _WORTH.search(t))


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


__all__ = [
    "attachment_texts",
    "docx_hidden",
    "docx_removed",
    "docx_texts",
    "drop_referrers",
    "drop_relationships",
    "pdf_attachments",
    "pdf_document_units",
    "pdf_layers_on",
    "pdf_layers_restore",
    "pdf_object_units",
    "pdf_page_units",
    "pdf_texts",
    "readable",
    "rels_source",
    "shown_part",
    "stray_bytes",
    "stray_problem",
    "sweep_pdf_objects",
    "xml_root",
]
