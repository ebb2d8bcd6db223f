"""True redaction of FOI documents: propose, review, apply, log, decide.

Flow::

    doc = load_document(path)
    proposals = propose(doc, analyzer, officials)          # JSON-able; every item accepted
    # a reviewer flips "accepted" to false where a redaction is not wanted
    result = apply(path, proposals, out_path)              # applies accepted ones only
    write_log(result.log, out_dir); write_review_html(doc, proposals, out_dir / "review.html")

Redaction removes text, it does not cover it: TXT/MD are rewritten; DOCX paragraphs are
rewritten node by node (body, tables, headers, footers, footnotes, comments), tracked
deletions are dropped, core and app properties are cleared, embedded objects, macros, fonts
and the thumbnail are left out (``triage.doc_parts``), and a final sweep over every XML part of
the package (attributes and link targets included) replaces any remaining occurrence; PDF
uses PyMuPDF redaction annotations applied to the page (text layer removed, image pixels
under them blanked; on a page read by OCR the boxes are the words' boxes and no label text is
added, so the page stays an image), other annotations, attachments, bookmarks and metadata
are removed, and so are form fields and links holding a redacted string; the file is saved
with garbage collection. Every output is read again, whole (scanned pages by OCR again; every
part, attribute, object and stream of a DOCX or PDF), and any redacted string still present
is counted in ``ApplyResult.residual`` (the decision then fails closed); the images of a PDF
with scanned pages are also read back one by one (``triage.doc_ocr.pixel_residual``), so
pixels merely covered fail closed too.

Labels are consistent within a document: one number per person (``[Person 1]``, surname-only
mentions share their person's number), other entities get their exemption (``[s.40(2)]``,
``[s.31]``). Logs hold locations, entities, exemptions and reasons plus a masked sample
(``triage.masking.mask_value``), never the values.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from triage.doc_detect import (
    EXEMPTIONS,
    Detection,
    Finding,
    Officials,
    detect_document,
    exemption_title,
    normalise_name,
)
from triage.doc_parts import (
    docx_removed,
    docx_texts,
    drop_referrers,
    drop_relationships,
    pdf_texts,
    readable,
    rels_source,
    sweep_pdf_objects,
    xml_root,
)
from triage.documents import (
    CORE_PROPERTIES,
    Document,
    W,
    docx_paragraphs,
    load_document,
    paragraph_spans,
    paragraph_text_nodes,
)
from triage.errors import DataInputError
from triage.masking import mask_value
from triage.models import (
    DatasetReport,
    DatasetRisk,
    Problem,
    Report,
    RiskMetrics,
    RuleFiring,
)
from triage.models import (
    Finding as ReportFinding,
)
from triage.params import DOC_REFER_BELOW, DOC_WITHHOLD_SHARE, EngineParams
from triage.vocab import Decision, Destination, Severity

if TYPE_CHECKING:
    from triage.classifiers.text import TextAnalyzer
    from triage.engine import Engine
    from triage.rules import Rulebook

logger = logging.getLogger(__name__)

PROPOSALS_VERSION = "1"
#: findings scoring below this are low-confidence: the decision becomes ``refer``
REFER_BELOW = DOC_REFER_BELOW
#: share of content blocks exempt (see BLOCK_EXEMPT_COVER) above which the document is withheld
WITHHOLD_SHARE = DOC_WITHHOLD_SHARE
#: a content block counts as exempt when redactions cover this share of its non-space chars
BLOCK_EXEMPT_COVER = 0.8
LOG_FIELDS = ("id", "location", "entity", "exemption", "reason", "label", "masked_sample")


# --- proposals --------------------------------------------------------------------------


def _labels(doc: Document, findings: list[Finding]) -> list[str]:
    """A consistent label per finding: ``[Person N]`` per person, else ``[<exemption>]``."""
    people: dict[str, int] = {}
    surnames: dict[str, int] = {}
    labels: list[str] = []
    # full names first so that surname-only mentions find their person
    order = sorted(
        range(len(findings)),
        key=lambda i: (-len(_fragment(doc, findings[i]).split()), findings[i].block),
    )
    assigned: dict[int, str] = {}
    for i in order:
        f = findings[i]
        if f.entity != "PERSON":
            assigned[i] = f"[{f.exemption}]"
            continue
        name = normalise_name(_fragment(doc, f))
        words = name.split()
        key = name
        if len(words) == 1 and words[0] in surnames:
            number = surnames[words[0]]
        else:
            number = people.setdefault(key, 0)
            if number == 0:
                number = len({v for v in people.values() if v}) + 1
                people[key] = number
            if words:
                surnames.setdefault(words[-1], number)
        assigned[i] = f"[Person {number}]"
    # renumber persons in reading order so "[Person 1]" is the first one a reader meets
    first_seen: dict[str, int] = {}
    for i in range(len(findings)):
        lab = assigned[i]
        if lab.startswith("[Person ") and lab not in first_seen:
            first_seen[lab] = len(first_seen) + 1
    for i in range(len(findings)):
        lab = assigned[i]
        labels.append(f"[Person {first_seen[lab]}]" if lab in first_seen else lab)
    return labels


def _fragment(doc: Document, f: Finding | dict[str, Any]) -> str:
    if isinstance(f, Finding):
        return doc.blocks[f.block].text[f.start : f.end]
    return doc.blocks[int(f["block"])].text[int(f["start"]) : int(f["end"])]


def proposals_from_detection(doc: Document, detection: Detection) -> dict[str, Any]:
    """Proposals JSON (a dict) from a detection over ``doc``."""
    findings = detection.findings
    labels = _labels(doc, findings)
    items = []
    for n, (f, label) in enumerate(zip(findings, labels, strict=True), start=1):
        items.append(
            {
                "id": f"R{n:04d}",
                "block": f.block,
                "location": doc.blocks[f.block].location,
                "start": f.start,
                "end": f.end,
                "entity": f.entity,
                "exemption": f.exemption,
                "exemption_title": EXEMPTIONS[f.exemption].title,
                "score": round(f.score, 3),
                "reason": f.reason,
                "source": f.source,
                "label": label,
                "masked_sample": mask_value(_fragment(doc, f)),
                "accepted": True,
            }
        )
    return {
        "version": PROPOSALS_VERSION,
        "document": doc.name,
        "format": doc.format,
        "sha256": doc.sha256,
        "allow_listed": detection.allowed,
        "proposals": items,
    }


def propose(
    doc: Document | str | Path,
    analyzer: TextAnalyzer | None,
    officials: Officials | None = None,
) -> dict[str, Any]:
    """Detect and return proposed redactions (JSON-able dict, every item ``accepted: true``).

    Parameters
    ----------
    doc
        A loaded document or a path.
    analyzer
        ``TextAnalyzer.create(NlpSettings())``; None runs the security and deny patterns only.
    officials
        Allow/deny lists (``doc_detect.load_officials``).
    """
    document = doc if isinstance(doc, Document) else load_document(doc)
    return proposals_from_detection(document, detect_document(document, analyzer, officials))


def load_proposals(path: str | Path) -> dict[str, Any]:
    """Read a proposals JSON file written by :func:`write_proposals`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataInputError(f"{Path(path).name}: cannot read proposals") from exc
    if not isinstance(data, dict) or "proposals" not in data:
        raise DataInputError(f"{Path(path).name}: not a proposals file")
    return data


def write_proposals(proposals: dict[str, Any], path: str | Path) -> Path:
    """Write proposals as JSON (masked samples only)."""
    p = Path(path)
    p.write_text(json.dumps(proposals, indent=2), encoding="utf-8")
    return p


# --- apply ------------------------------------------------------------------------------


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


def redact_text(text: str, items: list[dict[str, Any]]) -> str:
    """``text`` with each item's ``[start, end)`` replaced by its label (overlaps merged)."""
    spans = sorted((int(i["start"]), int(i["end"]), str(i["label"])) for i in items)
    parts: list[str] = []
    pos = 0
    for start, end, label in spans:
        if end <= pos:
            continue
        start = max(start, pos)
        parts.append(text[pos:start])
        parts.append(label)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _by_block(items: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(int(item["block"]), []).append(item)
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
    ``triage.doc_eml.check_tables``; table attachments without one are left out (``refer``).

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
        _fragment(document, i)
        for i in proposals.get("proposals", [])
        if not i.get("accepted", False) and 0 <= int(i["block"]) < len(document.blocks)
    }
    values = sorted({_fragment(document, i) for i in items} - kept, key=len, reverse=True)
    labels = {_fragment(document, i): str(i["label"]) for i in items}
    labels = {k: v for k, v in labels.items() if k not in kept}
    problems: list[Problem] = []
    removed: list[LogEntry] = []
    if document.format in {"txt", "md"}:
        _apply_text(document, items, out)
    elif document.format == "docx":
        _apply_docx(document, items, out, labels)
    elif document.format == "pdf":
        problems = _apply_pdf(document, items, out)
    elif document.format == "eml":
        from triage.doc_eml import apply_eml, eml_residual

        every = list(proposals.get("proposals", []))
        removed, problems = apply_eml(document, every, out, labels, tables)
    else:
        raise DataInputError(f"{document.name}: redaction of .{document.format} is not supported")
    residual = eml_residual(out, values) if document.format == "eml" else _residual(out, values)
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
            masked_sample=mask_value(_fragment(document, i)),
        )
        for i in items
    ]
    log += removed  # e-mail headers, hidden HTML and unchecked parts removed on disclosure
    return ApplyResult(output=out, log=log, rejected=rejected, residual=residual, problems=problems)


#: a one-word redacted string shorter than this only counts as a whole token
SHORT_VALUE = 6


def value_pattern(value: str) -> re.Pattern[str]:
    """A redacted string, any run of whitespace between its words. A short one-word string
    (under ``SHORT_VALUE`` characters) only as a whole token, so a "bin" wrongly taken for a name
    leaves "bins" alone; a longer one anywhere, even glued to other letters."""
    words = value.split()
    body = r"\s+".join(re.escape(w) for w in words)
    if len(words) == 1 and len(words[0]) < SHORT_VALUE:
        return re.compile(rf"(?<!\w){body}(?!\w)")
    return re.compile(body)


def sweep(text: str, labels: Mapping[str, str]) -> str:
    """Every redacted string (longest first) left in ``text`` as a whole token, replaced by its
    label."""
    for value in sorted((v for v in labels if v.strip()), key=len, reverse=True):
        if value.split()[0] in text:  # cheap pre-check: the first word is there
            literal = labels[value].replace("\\", "\\\\")  # a label, never a group reference
            text = value_pattern(value).sub(literal, text)
    return text


def residual_count(texts: Sequence[str], values: Sequence[str]) -> int:
    """How many of ``values`` still occur in any of ``texts`` as whole tokens."""
    return sum(1 for v in values if v.strip() and any(value_pattern(v).search(t) for t in texts))


def _residual(out: Path, values: list[str]) -> int:
    """How many redacted strings can still be found anywhere in the output: its blocks
    (re-read) and, for DOCX and PDF, every text of the whole file (``triage.doc_parts``)."""
    document = load_document(out)
    texts = ["\n".join(b.text for b in document.blocks)]
    if document.format == "docx":
        texts += docx_texts(out)
    elif document.format == "pdf":
        texts += pdf_texts(out)
    return residual_count(texts, values)


def _apply_text(doc: Document, items: list[dict[str, Any]], out: Path) -> None:
    raw = doc.path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    spans = paragraph_spans(text)
    by_block = _by_block(items)
    pieces: list[str] = []
    pos = 0
    for index, (start, end) in enumerate(spans):
        pieces.append(text[pos:start])
        pieces.append(redact_text(text[start:end], by_block.get(index, [])))
        pos = end
    pieces.append(text[pos:])
    out.write_text("".join(pieces), encoding="utf-8")


def _rewrite_paragraph(p: Any, items: list[dict[str, Any]]) -> None:
    """Rewrite the ``w:t`` nodes of one paragraph: each span's text goes, its label lands in
    the first node it touched."""
    nodes = paragraph_text_nodes(p)
    for item in sorted(items, key=lambda i: -int(i["start"])):
        start, end, label = int(item["start"]), int(item["end"]), str(item["label"])
        pos = 0
        placed = False
        for t in nodes:
            text = t.text or ""
            n_start, n_end = pos, pos + len(text)
            pos = n_end
            if n_end <= start or n_start >= end:
                continue
            a, b = max(start, n_start) - n_start, min(end, n_end) - n_start
            t.text = text[:a] + ("" if placed else label) + text[b:]
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            placed = True


def _apply_docx(
    doc: Document, items: list[dict[str, Any]], out: Path, labels: dict[str, str]
) -> None:
    import docx

    document = docx.Document(str(doc.path))
    paragraphs = docx_paragraphs(document)
    by_block = _by_block(items)
    for index, (_, _, p) in enumerate(paragraphs):
        if index in by_block:
            _rewrite_paragraph(p, by_block[index])
    core = document.core_properties
    for prop in CORE_PROPERTIES:
        setattr(core, prop, "")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "staged.docx"
        document.save(str(staged))
        _sweep_docx(staged, out, labels)


def _sweep_docx(src: Path, out: Path, labels: dict[str, str]) -> None:
    """Copy the DOCX package, leaving out the parts ``triage.doc_parts`` removes (and their
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


def _apply_pdf(doc: Document, items: list[dict[str, Any]], out: Path) -> list[Problem]:
    import pymupdf

    problems: list[Problem] = []
    by_block = _by_block(items)
    with pymupdf.open(str(doc.path)) as pdf:
        for number, page in enumerate(pdf):
            for xref in [a.xref for a in page.annots()]:
                page.delete_annot(page.load_annot(xref))
            here = (f"page {number + 1}", f"page {number + 1} (OCR)")
            block = next((b for b in doc.blocks if b.location in here), None)
            if block is None:
                continue
            reading = doc.ocr_pages.get(block.index)
            for item in by_block.get(block.index, []):
                fragment = block.text[int(item["start"]) : int(item["end"])]
                found = False
                if reading is not None:  # scanned page: blank the words' pixels, add no text
                    boxes = reading.boxes(int(item["start"]), int(item["end"]))
                    for box in boxes:
                        page.add_redact_annot(pymupdf.Rect(box), fill=(0, 0, 0))
                    found = bool(boxes)
                else:
                    for piece in fragment.split("\n"):
                        piece = piece.strip()
                        if not piece:
                            continue
                        for rect in page.search_for(piece):
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
        _redact_off_page(pdf, [_fragment(doc, i) for i in items])
        _strip_pdf(pdf, [_fragment(doc, i) for i in items])
        pdf.set_metadata({})
        pdf.del_xml_metadata()
        pdf.set_toc([])
        pdf.save(str(out), garbage=4, deflate=True, clean=True, no_new_id=True)
    if doc.ocr_pages:  # scanned pages: their redacted strings must be gone from the pixels
        from triage.doc_ocr import pixel_residual

        scanned = [_fragment(doc, i) for i in items if int(i["block"]) in doc.ocr_pages]
        problems.extend(pixel_residual(out, scanned, doc.name))
    return problems


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


# --- log and review -----------------------------------------------------------------------


def write_log(
    log: list[LogEntry], out_dir: str | Path, stem: str = "redaction_log"
) -> tuple[Path, Path]:
    """Write the redaction log as CSV and JSON; returns both paths."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = d / f"{stem}.csv", d / f"{stem}.json"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(LOG_FIELDS))
        writer.writeheader()
        for entry in log:
            writer.writerow(asdict(entry))
    json_path.write_text(json.dumps([asdict(e) for e in log], indent=2), encoding="utf-8")
    return csv_path, json_path


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;
vertical-align:top;white-space:pre-wrap}th{background:#f3f3f3}
mark.o{background:#ffd7d7}mark.r{background:#222;color:#fff;padding:0 .2em}
mark.x{background:#e6e6e6;text-decoration:line-through}.loc{color:#666;font-size:.85em}
"""


def _marked(text: str, items: list[dict[str, Any]], redacted: bool) -> str:
    spans = sorted(items, key=lambda i: int(i["start"]))
    out: list[str] = []
    pos = 0
    for item in spans:
        start, end = int(item["start"]), int(item["end"])
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        title = html.escape(f"{item['id']} {item['entity']} {item['exemption']}", quote=True)
        if not item.get("accepted", False):
            out.append(
                f'<mark class="x" title="{title} rejected">{html.escape(text[start:end])}</mark>'
            )
        elif redacted:
            out.append(f'<mark class="r" title="{title}">{html.escape(str(item["label"]))}</mark>')
        else:
            out.append(f'<mark class="o" title="{title}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def review_html(doc: Document, proposals: dict[str, Any]) -> str:
    """Self-contained HTML: original beside redacted, each block with its proposals marked.

    For the reviewer only: the original column shows the values being redacted.
    """
    items = _by_block(list(proposals.get("proposals", [])))
    rows = []
    for block in doc.blocks:
        mine = items.get(block.index, [])
        rows.append(
            f'<tr><td class="loc">{html.escape(block.location)}</td>'
            f"<td>{_marked(block.text, mine, False)}</td>"
            f"<td>{_marked(block.text, mine, True)}</td></tr>"
        )
    accepted = sum(1 for i in proposals.get("proposals", []) if i.get("accepted"))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Redaction review: {html.escape(doc.name)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>Redaction review: {html.escape(doc.name)}</h1>"
        f"<p>{accepted} accepted of {len(proposals.get('proposals', []))} proposed redactions; "
        "reviewer copy, contains the original text: do not release.</p>"
        "<table><tr><th>Location</th><th>Original</th><th>Redacted</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def write_review_html(doc: Document, proposals: dict[str, Any], path: str | Path) -> Path:
    """Write :func:`review_html` to ``path``."""
    p = Path(path)
    p.write_text(review_html(doc, proposals), encoding="utf-8")
    return p


# --- decision -----------------------------------------------------------------------------

#: decision rules for documents (ids, outcomes, rationale, legal basis)
DOC_RULES: dict[str, tuple[Decision, str, str | None]] = {
    "doc-release-clean": (
        Decision.RELEASE,
        "No personal data or security-sensitive content was found in the document.",
        None,
    ),
    "doc-redact-exempt": (
        Decision.RELEASE_WITH_CHANGES,
        "Exempt passages were redacted; the rest of the document can be disclosed.",
        "FOIA s.17 (refusal notice for the redacted parts) with the exemptions logged",
    ),
    "doc-refer-low-confidence": (
        Decision.REFER,
        "Some findings have low confidence: a disclosure officer must confirm them.",
        None,
    ),
    "doc-withhold-mostly-exempt": (
        Decision.WITHHOLD,
        "Exempt content covers most of the document: redaction would leave nothing meaningful.",
        "FOIA s.17 refusal citing the exemptions in the log",
    ),
}


def _severity(exemption: str, entity: str) -> Severity:
    if exemption in {"s.24", "s.31", "s.38"}:
        return Severity.HIGH
    if entity in {
        "UK_NHS",
        "UK_NINO",
        "UK_PASSPORT",
        "UK_DRIVING_LICENCE",
        "CREDIT_CARD",
        "IBAN_CODE",
        "UK_SORT_CODE",
        "DATE_OF_BIRTH",
    }:
        return Severity.HIGH
    return Severity.MEDIUM


def mostly_exempt_share(doc: Document, items: list[dict[str, Any]]) -> float:
    """Share of content blocks (paragraphs/pages) that accepted redactions cover at least
    ``BLOCK_EXEMPT_COVER`` of (non-space characters)."""
    content = [b for b in doc.blocks if b.content and b.text.strip()]
    if not content:
        return 0.0
    by_block = _by_block(items)
    mostly = 0
    for b in content:
        covered: set[int] = set()
        for i in by_block.get(b.index, []):
            covered.update(range(int(i["start"]), int(i["end"])))
        chars = [k for k, c in enumerate(b.text) if not c.isspace()]
        if chars and sum(1 for k in chars if k in covered) >= BLOCK_EXEMPT_COVER * len(chars):
            mostly += 1
    return mostly / len(content)


def decide(
    doc: Document,
    proposals: dict[str, Any],
    destination: str = "foi",
    *,
    refer_below: float = REFER_BELOW,
    withhold_share: float = WITHHOLD_SHARE,
    environmental: bool = False,
    problems: list[Problem] | None = None,
) -> Report:
    """The FOI decision for a document from its (reviewed) proposals, as a ``Report``."""
    items = [i for i in proposals.get("proposals", []) if i.get("accepted")]
    fired: list[str] = []
    share = mostly_exempt_share(doc, items)
    low = [i for i in items if float(i["score"]) < refer_below]
    if not items:
        fired.append("doc-release-clean")
    else:
        fired.append("doc-redact-exempt")
    if low:
        fired.append("doc-refer-low-confidence")
    if items and share > withhold_share:
        fired.append("doc-withhold-mostly-exempt")
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i in items:
        grouped.setdefault((str(i["entity"]), str(i["exemption"])), []).append(i)
    findings = []
    for (entity, exemption), group in sorted(grouped.items()):
        places = sorted({str(g["location"]) for g in group})
        where = ", ".join(places[:5]) + (" ..." if len(places) > 5 else "")
        findings.append(
            ReportFinding(
                kind=f"document_{entity.lower()}",
                severity=_severity(exemption, entity),
                dataset=doc.name,
                message=f"{len(group)} {entity} passage(s) redacted under "
                f"{exemption_title(exemption, environmental)} ({where})",
                count=len(group),
            )
        )
    all_problems = list(doc.problems) + list(problems or [])
    rationale_extra = {
        "doc-refer-low-confidence": f" {len(low)} finding(s) scored below {refer_below}.",
        "doc-withhold-mostly-exempt": f" {share:.0%} of the content is mostly exempt "
        f"(threshold {withhold_share:.0%}).",
    }
    codes = sorted({str(i["exemption"]) for i in items})
    firings = []
    for rule in fired:
        outcome, rationale, basis = DOC_RULES[rule]
        if rule != "doc-release-clean" and codes:
            cited = "; ".join(exemption_title(c, environmental) for c in codes)
            basis = f"{basis}: {cited}" if basis else cited
        firings.append(
            RuleFiring(
                rule=rule,
                outcome=outcome,
                rationale=rationale + rationale_extra.get(rule, ""),
                legal_basis=basis,
                dataset=doc.name,
            )
        )
    decision = Decision.most_restrictive(
        [f.outcome for f in firings] + [p.forces for p in all_problems]
    )
    content_blocks = sum(1 for b in doc.blocks if b.content)
    return Report(
        decision=decision,
        destination=Destination(destination),
        datasets=[
            DatasetReport(
                name=doc.name,
                sha256=doc.sha256,
                rows=content_blocks,
                columns={},
                risk=DatasetRisk(before=RiskMetrics()),
                format=doc.format,
            )
        ],
        findings=findings,
        rules_fired=firings,
        problems=all_problems,
        decision_reason=next(f.rationale for f in firings if f.outcome == decision)
        if any(f.outcome == decision for f in firings)
        else "a problem forces this decision",
    )


def check_document(
    path: str | Path,
    destination: str = "foi",
    rulebook: Rulebook | None = None,
    *,
    analyzer: TextAnalyzer | None = None,
    officials: Officials | None = None,
    out_dir: str | Path | None = None,
    environmental: bool = False,
    table_engine: Callable[[], Engine] | None = None,
) -> Report:
    """Check one document for FOI: detect, propose, (optionally) redact, decide.

    Parameters
    ----------
    path
        ``.txt .md .docx .pdf .eml``.
    destination
        Normally ``foi``.
    rulebook
        Its params ``doc_refer_below`` and ``doc_withhold_share`` override the defaults.
    analyzer
        ``TextAnalyzer``; built with ``TextAnalyzer.create(NlpSettings())`` when None.
    officials
        Allow/deny lists.
    out_dir
        When given: ``proposals.json``, the redacted file (``redacted/<name>``, when the format
        can be redacted; removed again on ``withhold``), ``redaction_log.csv/json`` and
        ``review.html`` are written there.
    environmental
        Cite the EIR regulations instead of FOIA sections.
    table_engine
        Makes the tabular engine that checks CSV/XLSX attachments of an ``.eml`` (their treated
        form is attached) and the tables of a ``.docx`` (after redaction; changes it asks for
        force ``refer``), their reports merged; default: the shipped rulebook for
        ``destination`` (or ``rulebook``) with a default run context.
    """
    if analyzer is None:
        from triage.classifiers.text import TextAnalyzer
        from triage.context import NlpSettings

        analyzer = TextAnalyzer.create(NlpSettings())
    engine = rulebook.engine if rulebook is not None else EngineParams()
    doc = load_document(path)
    proposals = propose(doc, analyzer, officials)
    problems = list(analyzer.problems)
    from triage.doc_tables import check_docx_tables, default_table_engine, with_tables

    make_engine = table_engine or default_table_engine(destination, rulebook, analyzer)
    tables = None
    if doc.format == "eml":
        from triage.doc_eml import check_tables

        tables = check_tables(doc, make_engine)
    redacted: Document | None = None
    if out_dir is not None:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        write_proposals(proposals, d / "proposals.json")
        write_review_html(doc, proposals, d / "review.html")
        if doc.format in {"txt", "md", "docx", "pdf", "eml"}:
            files = tables.files if tables is not None else None
            result = apply(doc, proposals, d / "redacted" / doc.name, tables=files)
            write_log(result.log, d)
            problems.extend(result.problems)
            if doc.format == "docx" and (d / "redacted" / doc.name).exists():
                redacted = load_document(d / "redacted" / doc.name)
        else:
            problems.append(
                Problem(
                    kind="redaction_unsupported",
                    message=f"redacted .{doc.format} output is not produced; redact by hand",
                    dataset=doc.name,
                    forces=Decision.REFER,
                )
            )
    report = decide(
        doc,
        proposals,
        destination,
        refer_below=engine.doc_refer_below,
        withhold_share=engine.doc_withhold_share,
        environmental=environmental,
        problems=problems,
    )
    if doc.format == "docx":  # its tables as the redacted copy holds them
        tables = check_docx_tables(redacted or doc, make_engine)
    if tables is not None:
        report = with_tables(report, tables)
    if out_dir is not None and report.decision is Decision.WITHHOLD:  # no copy is kept
        shutil.rmtree(Path(out_dir) / "redacted", ignore_errors=True)
    return report


__all__ = [
    "DOC_RULES",
    "ApplyResult",
    "LogEntry",
    "apply",
    "check_document",
    "decide",
    "load_proposals",
    "propose",
    "redact_text",
    "review_html",
    "write_log",
    "write_proposals",
    "write_review_html",
]
