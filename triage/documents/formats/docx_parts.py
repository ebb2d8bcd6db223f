"""Every part of a DOCX beyond its paragraphs: read, removed or named.

A DOCX is a zip of XML parts: besides the paragraphs ``triage.documents.formats.docx`` reads,
every element text of every other XML node (field codes, deleted text, custom XML, charts,
glossary) and every attribute that carries free text (image descriptions and titles, revision
and comment authors and initials, field instructions, tooltips, document variables,
content-control and form-field texts, user ids of the people part) is a ``hidden`` unit, and so
is the target of every external relationship (hyperlinks: ``mailto:``, ``tel:``). Embedded
objects, ActiveX controls, macros, embedded fonts, printer settings and the thumbnail are
removed on redaction (the text of an embedded package is read first, so its identifiers are
redacted everywhere); a problem says so and asks for at least ``release_with_changes``. Images
and any other non-XML part cannot be checked: a problem naming them forces ``refer``.

The residual check walks the whole written file: :func:`docx_texts` (every XML text and
attribute value of every part, the bytes of the others).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.documents.spans import WORTH, readable
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
_SHOWN = 5


def xml_root(data: bytes) -> Any:
    """The lxml root of an XML part, parsed without resolving entities or fetching anything."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _local(name: Any) -> str:
    return str(name).rsplit("}", 1)[-1]


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
    return [(w, t) for w, t in units if WORTH.search(t)], problems


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
