"""E-mail (``.eml``) documents for FOI: read into blocks, truly redact, re-check.

One walker (:class:`_Walk`) reads a message (stdlib ``email``, ``policy.default``) into
:class:`~triage.documents.Block` s and, in write mode, builds the redacted message from the
same walk, so block indexes always match. What a requester would see is read:

- headers From, Sender, Reply-To, To, Cc, Bcc (one block per display name, kind
  ``email_name``, and per address, kind ``email_address``) and Subject; Date is kept as is;
- every text/plain and text/html body part (HTML: text nodes between block tags, whitespace
  collapsed as a browser does; ``alt``, ``title`` and ``href`` values; comments, scripts,
  hidden elements, meta/link tags and non-``cid`` images are removed on output);
- attachment file names, attached ``.txt .md .docx .pdf .eml`` documents (read and redacted by
  their own format's path, nested blocks located ``part N attachment ...``);
- CSV/XLSX attachments go through the tabular engine (:func:`check_tables`): the treated table
  is attached when the engine releases it, otherwise the attachment is removed.

Calendar and contact parts (iCalendar, vCard) are read line by line (:meth:`_Walk.card`):
attendees' and organisers' names (``CN``) and ``mailto:`` addresses, a card's names, addresses,
phones and birth date are whole blocks; every other parameter and text value is read.

Anything that cannot be checked (images, archives, encrypted parts, binary calendar or card
values) is removed from the redacted copy and raises an ``attachment_not_checked`` problem
(``refer``); an attached document whose redaction failed is left out too (its problem stays).
Every other header (Received, Return-Path, Message-ID, DKIM, X-...) is dropped and logged.
Output is deterministic: fixed boundaries, quoted-printable text, base64 attachments, no
generated dates.

:func:`eml_residual` re-reads the output with a second path (``policy.compat32``, RFC 2047
header decoding, every transfer encoding decoded, HTML unescaped, ZIP XML parts, PDF text by
``pypdf`` when installed) and counts redacted strings still present.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import io
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.headerregistry import Address, Group
from email.message import EmailMessage, Message, MIMEPart
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from triage.doc_cards import (
    KEPT_PARAMS,
    KEPT_VALUES,
    PERSONAL,
    Line,
    components,
    escape,
    fold,
    format_line,
    is_card,
    parse,
    unfold,
)
from triage.doc_redact import LogEntry, redact_text, residual_count, sweep, value_spans
from triage.doc_tables import TableCheck
from triage.documents import Block, Document, load_document, paragraph_spans
from triage.errors import DataInputError
from triage.models import Problem
from triage.vocab import Decision

if TYPE_CHECKING:
    from triage.engine import Engine
    from triage.workbook import LoadedTables

POLICY = email.policy.default
ADDRESS_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc")
#: headers rebuilt by the walker (content headers are regenerated)
_HANDLED = {h.lower() for h in (*ADDRESS_HEADERS, "Subject", "Date")} | {
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
}
#: dropped header (lower case, prefix match) -> (exemption, reason)
DROPPED_HEADERS: tuple[tuple[str, str, str], ...] = (
    ("received", "s.31", "mail routing: host names and IP addresses"),
    ("x-originating-ip", "s.31", "sender's IP address"),
    ("authentication-results", "s.31", "mail routing: host names and IP addresses"),
    ("arc-", "s.31", "mail signature or routing data (no longer verifies)"),
    ("dkim-signature", "s.31", "mail signature (no longer verifies after redaction)"),
    ("return-path", "s.40(2)", "envelope sender address"),
    ("delivered-to", "s.40(2)", "recipient mailbox"),
    ("message-id", "s.40(2)", "message identifier (may name an account or host)"),
    ("in-reply-to", "s.40(2)", "message identifier (may name an account or host)"),
    ("references", "s.40(2)", "message identifiers (may name accounts or hosts)"),
    ("thread-", "s.40(2)", "thread metadata (may repeat names or subjects)"),
    ("content-", "-", "MIME part metadata, not part of the displayed message"),
    ("x-", "-", "mail system header, not part of the displayed message"),
)
SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
TABLE_SUFFIXES = frozenset({".csv", ".xlsx"})
DOCUMENT_SUFFIXES = frozenset({".txt", ".md", ".docx", ".pdf", ".eml"})
_SUFFIX_BY_TYPE = {
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/pdf": ".pdf",
    "text/markdown": ".md",
    "message/rfc822": ".eml",
}
_RICH_TEXT = frozenset({"text/rtf", "text/enriched", "text/richtext"})
_BAD_STRUCTURE = ("StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect")
#: nested messages deeper than this are not read (an attachment bomb)
MAX_DEPTH = 3
_DEPTH: ContextVar[int] = ContextVar("eml_depth", default=0)
REDACTED_DOMAIN = "redacted.invalid"


def _decode_bytes(raw: bytes, charset: str | None) -> str:
    for enc in (charset, "utf-8", "cp1252"):
        if enc:
            try:
                return raw.decode(enc)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("latin-1")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    return _decode_bytes(raw, part.get_content_charset()).replace("\r\n", "\n").replace("\r", "\n")


def _suffix(part: Message) -> str:
    """The document or table suffix of an attachment, from its file name or else its type
    (other text types as ``.txt``; rich text is not plain text); ``""`` when unsupported."""
    suffix = Path(part.get_filename() or "").suffix.lower()
    if suffix in TABLE_SUFFIXES | DOCUMENT_SUFFIXES:
        return suffix
    ctype = part.get_content_type()
    plain = ctype.startswith("text/") and ctype not in _RICH_TEXT
    return _SUFFIX_BY_TYPE.get(ctype, ".txt" if plain else "")


def _dropped_header(name: str) -> tuple[str, str, str]:
    low = name.lower()
    for prefix, exemption, reason in DROPPED_HEADERS:
        if low.startswith(prefix):
            shown = name if prefix != "x-" else "X-..."
            return shown, exemption, reason
    return "(other)", "-", "header not part of the displayed message"


_PDF_ID = re.compile(rb"(/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<)([0-9A-Fa-f]+)(>)")


def _stable_bytes(data: bytes) -> bytes:
    """Attachment bytes made deterministic: ZIP packages (DOCX, XLSX) with fixed timestamps and
    no core.xml dates; PDF with its per-save file identifier replaced (same length, so the
    cross-reference offsets stay valid) by one derived from the content."""
    if data.startswith(b"%PDF"):
        blank = _PDF_ID.sub(lambda m: m.group(1) + b"0" * len(m.group(2)) + m.group(3), data)
        digest = hashlib.sha256(blank).hexdigest().upper().encode() * 4
        return _PDF_ID.sub(lambda m: m.group(1) + digest[: len(m.group(2))] + m.group(3), data)
    if not data.startswith(b"PK"):
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", body)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, body)
    return buf.getvalue()


# --- HTML -----------------------------------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl", "dt"}
    | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head"}
    | {"header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "table"}
    | {"tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul"}
)
_DROP_WITH_CONTENT = frozenset({"script", "template", "object", "iframe", "applet", "embed"})
_DROP_TAGS = frozenset({"meta", "link", "base"})
_ATTR_BLOCKS = ("alt", "title", "href")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|"
    r"(?:font-size|max-height|opacity)\s*:\s*0(?![.\d]*[1-9])",
    re.IGNORECASE,
)


@dataclass
class _Tok:
    kind: str  # start, startend, end, data, decl
    tag: str = ""
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    text: str = ""
    raw: bool = False  # data inside <style>/<script>: written unescaped


class _Lexer(HTMLParser):
    """HTML into tokens; comments, processing instructions and CDATA are counted, not kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.toks: list[_Tok] = []
        self.comments = 0
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.toks.append(_Tok("start", tag, list(attrs)))
        if tag in ("script", "style"):
            self._raw = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.toks.append(_Tok("startend", tag, list(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.toks.append(_Tok("end", tag))
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        self.toks.append(_Tok("data", text=data, raw=self._raw is not None))

    def handle_decl(self, decl: str) -> None:
        self.toks.append(_Tok("decl", text=decl))

    def handle_comment(self, data: str) -> None:
        self.comments += 1

    def handle_pi(self, data: str) -> None:
        self.comments += 1

    def unknown_decl(self, data: str) -> None:
        self.comments += 1


def _removal(tok: _Tok) -> str | None:
    """Why a start tag (and its element) is removed on output, or None to keep it."""
    attrs = {k: v or "" for k, v in tok.attrs}
    if tok.tag in _DROP_WITH_CONTENT:
        return "script or embedded object"
    if tok.tag in _DROP_TAGS:
        return "meta or link tag"
    if "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style", "")):
        return "hidden element"
    if tok.tag == "input" and attrs.get("type", "").lower() == "hidden":
        return "hidden element"
    if tok.tag == "img" and attrs.get("src", "").lower().startswith("data:"):
        return "embedded image"
    if tok.tag == "img" and not attrs.get("src", "").lower().startswith("cid:"):
        return "remote image"
    return None


def _matching_end(toks: list[_Tok], i: int) -> int:
    depth = 0
    for k in range(i, len(toks)):
        if toks[k].tag == toks[i].tag and toks[k].kind == "start":
            depth += 1
        elif toks[k].tag == toks[i].tag and toks[k].kind == "end":
            depth -= 1
            if depth == 0:
                return k
    return len(toks) - 1  # never closed: everything after it goes (fail safe)


def _attr_text(attrs: list[tuple[str, str | None]], clean: Callable[[str], str]) -> str:
    return "".join(
        f" {k}" if v is None else f' {k}="{html.escape(clean(v), quote=True)}"' for k, v in attrs
    )


def _emit(tok: _Tok, clean: Callable[[str], str]) -> str:
    if tok.kind == "start":
        return f"<{tok.tag}{_attr_text(tok.attrs, clean)}>"
    if tok.kind == "startend":
        return f"<{tok.tag}{_attr_text(tok.attrs, clean)} />"
    if tok.kind == "end":
        return f"</{tok.tag}>"
    if tok.kind == "decl":
        return f"<!{tok.text}>"
    return clean(tok.text) if tok.raw else html.escape(clean(tok.text), quote=False)


def _spans(items: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Accepted spans of one block, sorted, overlaps clipped (as ``redact_text`` does)."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for start, end, label in sorted(
        (int(i["start"]), int(i["end"]), str(i["label"])) for i in items
    ):
        start = max(start, pos)
        if end > start:
            out.append((start, end, label))
            pos = end
    return out


def _rewrite_nodes(
    toks: list[_Tok], chars: list[tuple[int, int]], items: list[dict[str, Any]]
) -> None:
    """Replace each span of a block's text in the text nodes it covers; the label lands in the
    first node, the markup between nodes is untouched."""
    for start, end, label in reversed(_spans(items)):
        (t0, c0), (t1, c1) = chars[start], chars[min(end, len(chars)) - 1]
        if t0 == t1:
            toks[t0].text = toks[t0].text[:c0] + label + toks[t0].text[c1 + 1 :]
            continue
        toks[t0].text = toks[t0].text[:c0] + label
        for k in range(t0 + 1, t1):
            if toks[k].kind == "data" and not toks[k].raw:
                toks[k].text = ""
        toks[t1].text = toks[t1].text[c1 + 1 :]


# --- the walker -----------------------------------------------------------------------------


@dataclass
class _Removed:
    location: str
    entity: str
    exemption: str
    reason: str


class _Walk:
    """Reads a message into blocks; with ``items`` given, also writes the redacted message."""

    def __init__(
        self,
        doc: Document,
        *,
        writing: bool = False,
        proposals: list[dict[str, Any]] | None = None,
        labels: Mapping[str, str] | None = None,
        tables: Mapping[str, tuple[bytes, str]] | None = None,
    ) -> None:
        self.doc = doc
        self.writing = writing
        self.blocks: list[Block] = []
        self.problems: list[Problem] = []
        self.removed: list[_Removed] = []
        self.tables: dict[str, pd.DataFrame] = {}
        self.table_parts: list[tuple[str, str, bytes]] = []
        self.treated = dict(tables or {})
        self.by_block: dict[int, list[dict[str, Any]]] = {}
        for item in proposals or []:
            self.by_block.setdefault(int(item["block"]), []).append(item)
        self.values = sorted((v for v in (labels or {}) if v.strip()), key=len, reverse=True)
        self.labels = dict(labels or {})

    # blocks
    def unit(self, location: str, kind: str, text: str) -> int:
        index = len(self.blocks)
        self.blocks.append(Block(index, location, kind, text))
        if self.writing:
            known = self.doc.blocks[index] if index < len(self.doc.blocks) else None
            if known is None or (known.location, known.text) != (location, text):
                raise DataInputError(f"{self.doc.name}: the message changed since it was read")
        return index

    def accepted(self, index: int) -> list[dict[str, Any]]:
        return [i for i in self.by_block.get(index, []) if i.get("accepted", False)]

    def clean(self, text: str) -> str:
        """Any redacted string left in ``text`` replaced by its label (a sweep)."""
        return sweep(text, self.labels)

    def redacted(self, index: int) -> str:
        return self.clean(redact_text(self.blocks[index].text, self.accepted(index)))

    def problem(self, kind: str, message: str) -> None:
        self.problems.append(
            Problem(kind=kind, message=message, dataset=self.doc.name, forces=Decision.REFER)
        )

    # message
    def message(self, msg: EmailMessage) -> EmailMessage:
        out = EmailMessage(policy=POLICY)
        self.headers(msg, "email")
        for name in ADDRESS_HEADERS:
            self.addresses(msg, out, name)
        subjects = [str(v) for v in msg.get_all("Subject") or []]
        new = []
        for n, subject in enumerate(subjects, start=1):
            if subject.strip():
                where = "email header Subject" + (f" {n}" if n > 1 else "")
                new.append(self.redacted(self.unit(where, "email_header", subject)))
        if new:
            out["Subject"] = " / ".join(new)
        date = msg.get("Date")
        if date is not None and not date.defects:
            out["Date"] = str(date)
        elif date is not None:
            self.removed.append(_Removed("email header Date", "email_header", "-", "unreadable"))
        if any(type(d).__name__ in _BAD_STRUCTURE for p in msg.walk() for d in p.defects):
            self.problem(
                "email_structure_damaged",
                "the MIME structure is damaged: part of the message may not have been read",
            )
        if msg.is_multipart():
            self.multipart(msg, "", out)
        else:
            self.leaf(msg, "1", out, root=True)
        return out

    def headers(self, part: Message, where: str) -> None:
        """Log the headers of ``part`` that are not written again (one row per kind)."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for name in part:
            if name.lower() not in _HANDLED:
                counts[_dropped_header(name)] += 1
        for (shown, exemption, reason), n in sorted(counts.items()):
            self.removed.append(
                _Removed(f"{where} header {shown}", "email_header", exemption, f"{reason} ({n})")
            )

    def addresses(self, msg: EmailMessage, out: EmailMessage, name: str) -> None:
        groups: list[Any] = []
        for header in msg.get_all(name) or []:
            if getattr(header, "defects", None) or not hasattr(header, "groups"):
                self.removed.append(
                    _Removed(f"email header {name}", "email_header", "s.40(2)", "unreadable")
                )
                self.problem(
                    "email_header_unreadable",
                    f"the {name} header cannot be read as addresses: removed, check by hand",
                )
                continue
            groups.extend(header.groups)
        written: list[Address | Group] = []
        n = 0
        for g, group in enumerate(groups, start=1):
            label = group.display_name
            if label is not None and label.strip():
                where = f"email header {name} group {g}"
                label = self.redacted(self.unit(where, "email_header", label))
            addrs = []
            for a in group.addresses:
                n += 1
                display = a.display_name
                if display.strip():
                    where = f"email header {name} name {n}"
                    display = self.redacted(self.unit(where, "email_name", display))
                spec = a.addr_spec
                if spec.strip():
                    where = f"email header {name} address {n}"
                    new_spec = self.redacted(self.unit(where, "email_address", spec))
                    if new_spec != spec:
                        local = new_spec.replace('"', "").replace("\\", "")
                        addrs.append(Address(display, local, REDACTED_DOMAIN))
                        continue
                addrs.append(Address(display, a.username, a.domain))
            if label is None:
                written.extend(addrs)
            else:
                written.append(Group(label, addrs))
        if written and self.writing:
            out[name] = written

    # parts
    def multipart(self, src: Message, number: str, dst: Message) -> bool:
        subtype = src.get_content_subtype()
        if subtype == "encrypted":
            self.drop(number or "1", src.get_content_type(), "encrypted content")
            return False
        if isinstance(dst, EmailMessage):
            dst["MIME-Version"] = "1.0"
        dst["Content-Type"] = f"multipart/{'mixed' if subtype == 'signed' else subtype}"
        kept = 0
        for i, child in enumerate(src.get_payload(), start=1):
            path = f"{number}.{i}" if number else str(i)
            if not isinstance(child, Message):
                continue
            new = MIMEPart(policy=POLICY)
            if child.is_multipart() and child.get_content_maintype() == "multipart":
                self.headers(child, f"part {path}")
                ok = self.multipart(child, path, new)
            else:
                ok = self.leaf(child, path, new)
            if ok:
                dst.attach(new)
                kept += 1
        if kept == 0 and isinstance(dst, EmailMessage):
            del dst["Content-Type"]
            dst.set_content("", charset="utf-8", cte="quoted-printable")
        return kept > 0

    def leaf(self, src: Message, number: str, dst: Message, *, root: bool = False) -> bool:
        if not root:
            self.headers(src, f"part {number}")
        ctype = src.get_content_type()
        if is_card(ctype, src.get_filename()):
            return self.card(src, number, dst)
        if ctype in ("text/plain", "text/html") and _suffix(src) in (".txt", ".md", ""):
            filename = new_name = src.get_filename()
            if filename and filename.strip():
                where = f"part {number} filename"
                new_name = self.redacted(self.unit(where, "attachment", filename))
            text = _part_text(src)
            new = self.html(text, number) if ctype == "text/html" else self.plain(text, number)
            if self.writing:
                assert isinstance(dst, MIMEPart)
                dst.set_content(
                    new,
                    subtype=ctype.split("/")[1],
                    charset="utf-8",
                    cte="quoted-printable",
                    disposition=src.get_content_disposition(),
                    filename=new_name,
                )
            return True
        if ctype in SIGNATURE_TYPES:
            self.removed.append(
                _Removed(f"part {number}", "signature", "-", "signature no longer verifies")
            )
            return False
        return self.attachment(src, number, dst)

    def card(self, src: Message, number: str, dst: Message) -> bool:
        """An iCalendar or vCard part, line by line (:mod:`triage.doc_cards`): names, addresses
        and contact data are whole blocks, other text values and parameters are read; binary
        or encoded values are removed, not checked."""
        ctype = src.get_content_type()
        filename = new_name = src.get_filename()
        if filename and filename.strip():
            new_name = self.redacted(self.unit(f"part {number} filename", "attachment", filename))
        lines: list[str] = []
        for k, raw in enumerate(unfold(_part_text(src)), start=1):
            where = f"part {number} {ctype} line {k}"
            line = parse(raw)
            if line is None:
                lines.append(fold(self.field(raw, where, "metadata")))
            elif line.binary:
                self.drop(f"{number} line {k}", line.prop, "binary or encoded value")
            else:
                lines.append(format_line(self.card_line(line, f"{where} {line.prop}")))
        if self.writing:
            assert isinstance(dst, MIMEPart)
            method = src.get_param("method")
            dst.set_content(
                "".join(lines),
                subtype=ctype.split("/")[1] if ctype.startswith("text/") else "calendar",
                charset="utf-8",
                cte="quoted-printable",
                disposition=src.get_content_disposition(),
                filename=new_name,
                params={"method": method} if isinstance(method, str) and method.isalpha() else {},
            )
        return True

    def card_line(self, line: Line, where: str) -> Line:
        """``line`` with its parameters and value redacted (a ``CN`` is a name)."""
        params: list[tuple[str, list[str] | None]] = []
        for key, values in line.params:
            upper = key.upper()
            if values is None or upper in KEPT_PARAMS:
                params.append((key, values and [self.clean(v) for v in values]))
                continue
            kind = "email_name" if upper == "CN" else "metadata"
            params.append((key, [self.field(v, f"{where} {upper}", kind) for v in values]))
        if line.prop in KEPT_VALUES:
            return Line(line.name, params, self.clean(line.value))
        pieces = components(line.value)
        kind = PERSONAL.get(line.prop, "metadata")
        new = [self.field(p, f"{where} value {i}", kind) for i, p in enumerate(pieces, start=1)]
        value = ";".join(map(escape, new)) if new != pieces else self.clean(line.value)
        return Line(line.name, params, value)

    def field(self, text: str, where: str, kind: str) -> str:
        """``text`` read as one block of ``kind`` and returned redacted; of a ``mailto:`` URI,
        the address it holds."""
        if text[:7].lower() == "mailto:":
            return text[:7] + self.field(text[7:], where, "email_address")
        if not text.strip():
            return text
        return self.redacted(self.unit(where, kind, text))

    def plain(self, text: str, number: str) -> str:
        pieces: list[str] = []
        pos = 0
        for i, (s, e) in enumerate(paragraph_spans(text), start=1):
            index = self.unit(f"part {number} text/plain paragraph {i}", "paragraph", text[s:e])
            pieces += [text[pos:s], self.redacted(index)]
            pos = e
        pieces.append(text[pos:])
        return self.clean("".join(pieces))

    def html(self, markup: str, number: str) -> str:
        lex = _Lexer()
        lex.feed(markup)
        lex.close()
        toks = lex.toks
        drop = [False] * len(toks)
        removed: Counter[str] = Counter({"comment": lex.comments} if lex.comments else {})
        i = 0
        while i < len(toks):
            why = _removal(toks[i]) if toks[i].kind in ("start", "startend") else None
            if why is not None:
                removed[why] += 1
                j = i
                if toks[i].kind == "start" and toks[i].tag not in _VOID:
                    j = _matching_end(toks, i)
                for k in range(i, j + 1):
                    drop[k] = True
                i = j
            i += 1
        text: list[str] = []
        chars: list[tuple[int, int]] = []
        gap: tuple[int, int] | None = None
        counters = {"paragraph": 0, "attribute": 0}

        def flush() -> None:
            if text:
                counters["paragraph"] += 1
                where = f"part {number} text/html paragraph {counters['paragraph']}"
                index = self.unit(where, "paragraph", "".join(text))
                if self.writing:
                    _rewrite_nodes(toks, list(chars), self.accepted(index))
            text.clear()
            chars.clear()

        for k, tok in enumerate(toks):
            if drop[k]:
                continue
            if tok.kind in ("start", "startend", "end"):
                if tok.tag in _BLOCK_TAGS:
                    flush()
                    gap = None
                for a, (key, value) in enumerate(tok.attrs):
                    if key in _ATTR_BLOCKS and value and value.strip():
                        counters["attribute"] += 1
                        where = f"part {number} text/html attribute {counters['attribute']}"
                        tok.attrs[a] = (key, self.redacted(self.unit(where, "metadata", value)))
                continue
            if tok.kind != "data" or tok.raw:
                continue
            for c, ch in enumerate(tok.text):
                if ch.isspace():
                    gap = gap or ((k, c) if text else None)
                    continue
                if gap is not None:
                    text.append(" ")
                    chars.append(gap)
                    gap = None
                text.append(ch)
                chars.append((k, c))
        flush()
        for why, n in sorted(removed.items()):
            if why == "embedded image":
                self.problem(
                    "attachment_not_checked",
                    f"part {number}: {n} embedded image(s) were not checked; removed",
                )
            self.removed.append(
                _Removed(
                    f"part {number} text/html",
                    "html_" + why.replace(" ", "_"),
                    "-",
                    f"{why} removed on disclosure ({n})",
                )
            )
        return "".join(_emit(t, self.clean) for k, t in enumerate(toks) if not drop[k])

    def drop(self, number: str, ctype: str, why: str) -> None:
        self.problem(
            "attachment_not_checked",
            f"part {number} ({ctype}, {why}) was not checked: it is left out of the redacted "
            "copy and needs a person",
        )
        self.removed.append(_Removed(f"part {number}", "attachment", "-", f"{why}: not checked"))

    def attachment(self, src: Message, number: str, dst: Message) -> bool:
        ctype = src.get_content_type()
        filename = src.get_filename()
        new_name = filename
        if filename and filename.strip():
            new_name = self.redacted(self.unit(f"part {number} filename", "attachment", filename))
        suffix = _suffix(src)
        if ctype == "message/rfc822":
            inner = src.get_payload(0) if src.is_multipart() else None
            payload = inner.as_bytes(policy=POLICY) if isinstance(inner, Message) else None
        else:
            decoded = src.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else None
        if payload is None or not suffix:
            self.drop(number, ctype, "unsupported type")
            return False
        if suffix in TABLE_SUFFIXES:
            data = self.table(number, suffix, payload)
        else:
            data = self.nested(number, suffix, payload)
        if data is None or not self.writing:
            return data is not None
        if suffix in TABLE_SUFFIXES and self.treated[number][1] != suffix:
            ctype = "text/csv"  # the engine wrote CSV (beyond XLSX limits)
            new_name = str(Path(new_name).with_suffix(".csv")) if new_name else new_name
        maintype, subtype = ctype.split("/")
        disposition = src.get_content_disposition() or "attachment"
        assert isinstance(dst, MIMEPart)
        if maintype == "message":
            inner_msg = email.message_from_bytes(data, policy=POLICY)
            dst.set_content(inner_msg, disposition=disposition, filename=new_name, cte="7bit")
        else:
            params = {"charset": "utf-8"} if maintype == "text" else {}
            dst.set_content(
                data,
                maintype=maintype,
                subtype=subtype,
                disposition=disposition,
                filename=new_name,
                cte="base64",
                params=params,
            )
        return True

    def table(self, number: str, suffix: str, payload: bytes) -> bytes | None:
        key = f"{self.doc.path.stem}_part{number}"
        try:
            if suffix == ".csv":
                frame = pd.read_csv(
                    io.BytesIO(payload), dtype=str, keep_default_na=False, encoding_errors="replace"
                )
            else:
                frame = pd.read_excel(io.BytesIO(payload), dtype=str).astype(object)
        except Exception as exc:  # a damaged table: named by type only
            self.drop(number, suffix, f"unreadable table ({type(exc).__name__})")
            return None
        self.tables[key] = frame
        self.table_parts.append((number, suffix, payload))
        if not self.writing:
            return payload
        treated = self.treated.get(number)
        if treated is None:
            self.problem(
                "attachment_not_checked",
                f"part {number} (table) was not released by the tabular check: it is left out "
                "of the redacted copy",
            )
            self.removed.append(
                _Removed(f"part {number}", "attachment", "-", "table not released by the engine")
            )
            return None
        return treated[0]

    def nested(self, number: str, suffix: str, payload: bytes) -> bytes | None:
        prefix = f"part {number} attachment "
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"part{number}{suffix}"
            path.write_bytes(payload)
            try:
                inner = load_document(path)
            except DataInputError:
                self.drop(number, suffix, "unreadable document")
                return None
            base = len(self.blocks)
            for block in inner.blocks:
                self.unit(prefix + block.location, block.kind, block.text)
            for p in inner.problems:
                self.problems.append(
                    p.model_copy(
                        update={"dataset": self.doc.name, "message": f"{prefix}{p.message}"}
                    )
                )
            if not self.writing:
                return payload
            from triage.doc_redact import apply

            rebased = [
                {**item, "block": int(item["block"]) - base}
                for index in range(base, len(self.blocks))
                for item in self.by_block.get(index, [])
            ]
            rebased += self.propagated(inner, rebased)
            proposals = {"sha256": inner.sha256, "proposals": rebased}
            result = apply(inner, proposals, Path(tmp) / "out" / path.name)
            for p in result.problems:
                self.problems.append(
                    p.model_copy(
                        update={"dataset": self.doc.name, "message": f"{prefix}{p.message}"}
                    )
                )
            if any(p.forces is Decision.WITHHOLD for p in result.problems):  # redaction failed
                self.removed.append(
                    _Removed(f"part {number}", "attachment", "-", "redaction failed: left out")
                )
                return None
            return _stable_bytes(result.output.read_bytes())

    def propagated(self, inner: Document, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items for every occurrence, in an attached document, of a string redacted anywhere
        in the message that its own proposals do not cover (the sweep, by the document's own
        redaction path)."""
        taken: dict[int, list[tuple[int, int]]] = {}
        for item in items:
            if item.get("accepted", False):
                taken.setdefault(int(item["block"]), []).append(
                    (int(item["start"]), int(item["end"]))
                )
        out: list[dict[str, Any]] = []
        for block in inner.blocks:
            spans = taken.setdefault(block.index, [])
            for value in self.values:
                for start, end in value_spans(value, block.text):
                    if all(end <= a or start >= b for a, b in spans):
                        spans.append((start, end))
                        out.append(
                            {
                                "id": f"S{len(out) + 1:04d}",
                                "block": block.index,
                                "location": block.location,
                                "start": start,
                                "end": end,
                                "entity": "propagated",
                                "exemption": "-",
                                "reason": "redacted elsewhere in the message",
                                "label": self.labels[value],
                                "accepted": True,
                            }
                        )
        return out


# --- public API -----------------------------------------------------------------------------


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=POLICY)
    assert isinstance(msg, EmailMessage)
    return msg


def _guard_depth() -> Any:
    depth = _DEPTH.get()
    if depth >= MAX_DEPTH:
        raise DataInputError("messages nested too deeply")
    return _DEPTH.set(depth + 1)


def load_eml(doc: Document, raw: bytes) -> None:
    """Read a message into ``doc`` (blocks, tables of CSV/XLSX attachments, problems)."""
    token = _guard_depth()
    try:
        walk = _Walk(doc)
        walk.message(_parse(raw))
    finally:
        _DEPTH.reset(token)
    doc.blocks.extend(walk.blocks)
    doc.tables.update(walk.tables)
    doc.problems.extend(walk.problems)


def apply_eml(
    doc: Document,
    proposals: list[dict[str, Any]],
    out: Path,
    labels: Mapping[str, str],
    tables: Mapping[str, tuple[bytes, str]] | None = None,
) -> tuple[list[LogEntry], list[Problem]]:
    """Write the redacted message to ``out``; returns log rows for what was removed beyond the
    proposals (headers, hidden HTML, unchecked parts) and the problems met.

    ``proposals`` are all items (accepted or not: rejected ones matter to attached documents);
    ``tables`` maps a part number to the treated bytes of a CSV/XLSX attachment
    (:func:`check_tables`); a table attachment without an entry is left out (``refer``).
    """
    token = _guard_depth()
    try:
        walk = _Walk(doc, writing=True, proposals=proposals, labels=labels, tables=tables)
        msg = walk.message(_parse(doc.path.read_bytes()))
    finally:
        _DEPTH.reset(token)
    if len(walk.blocks) != len(doc.blocks):
        raise DataInputError(f"{doc.name}: the message changed since it was read")
    tag = doc.sha256[:12]
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_triage_{tag}_{n}")
    out.write_bytes(msg.as_bytes(policy=POLICY))
    log = [
        LogEntry(f"X{n:04d}", r.location, r.entity, r.exemption, r.reason, "[removed]", "")
        for n, r in enumerate(walk.removed, start=1)
    ]
    return log, [p for p in walk.problems if p not in doc.problems]  # new ones only


_ATTR_VALUE = re.compile(r"""=\s*(?:"([^"]*)"|'([^']*)')""")


def _markup_texts(markup: str, sep: str) -> list[str]:
    """Text of HTML or XML with tags replaced by ``sep``, and its attribute values, unescaped
    (not the tags themselves: a short value could match a tag name by chance)."""
    values = [a or b for a, b in _ATTR_VALUE.findall(markup)]
    return [html.unescape(re.sub(r"<[^>]*>", sep, markup)), *map(html.unescape, values)]


def _payload_texts(payload: bytes, charset: str | None, ctype: str) -> list[str]:
    if payload.startswith(b"PK"):
        texts: list[str] = []
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as z:
                for name in z.namelist():
                    if name.endswith((".xml", ".rels")):
                        xml = z.read(name).decode("utf-8", "replace")
                        # nodes joined (a word split across runs) and apart (cells, strings)
                        texts += [*_markup_texts(xml, ""), _markup_texts(xml, " ")[0]]
        except zipfile.BadZipFile:
            texts.append(_decode_bytes(payload, charset))
        return texts
    if not payload.startswith(b"%PDF"):
        text = _decode_bytes(payload, charset)
        if is_card(ctype, None):  # folded lines read joined, values unescaped
            return [text, *(p for line in unfold(text) for p in components(line))]
        return [text, *_markup_texts(text, " ")] if ctype == "text/html" else [text]
    try:
        import pypdf
    except ImportError:
        return []  # the attached PDF was re-read by its own path when it was redacted
    reader = pypdf.PdfReader(io.BytesIO(payload))
    texts = [page.extract_text() or "" for page in reader.pages]
    return [*texts, " ".join(str(v) for v in (reader.metadata or {}).values())]


def eml_residual(path: Path, values: list[str]) -> int:
    """How many of ``values`` can still be found in the message at ``path``, read by a second
    path (``compat32``, RFC 2047 headers and every part decoded) plus the block reader."""
    values = [v for v in values if v.strip()]
    if not values:
        return 0
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    texts: list[str] = []
    for part in msg.walk():
        texts += [part.preamble or "", part.epilogue or ""]
        for _, value in part.items():
            try:
                texts.append(str(make_header(decode_header(str(value)))))
            except (LookupError, UnicodeError, ValueError):
                texts.append(str(value))
        texts.append(part.get_filename() or "")
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        if isinstance(payload, bytes):
            texts += _payload_texts(payload, part.get_content_charset(), part.get_content_type())
    texts += [b.text for b in load_document(path).blocks]
    return residual_count(texts, values)


# --- attached tables ------------------------------------------------------------------------


def check_tables(doc: Document, engine: Callable[[], Engine]) -> TableCheck | None:
    """Check the CSV/XLSX attachments of a message with the tabular engine (the same path as a
    table submitted on its own); None when there are none."""
    if doc.format != "eml":
        return None
    walk = _Walk(doc)
    walk.message(_parse(doc.path.read_bytes()))
    if not walk.table_parts:
        return None
    from triage.runner import load_tables, write_tables

    checker = engine()
    check = TableCheck(None, {}, label="attached table(s)")
    with tempfile.TemporaryDirectory() as tmp:
        loaded: list[tuple[str, LoadedTables]] = []
        for number, suffix, payload in walk.table_parts:
            path = Path(tmp) / f"{doc.path.stem}_part{number}{suffix}"
            path.write_bytes(payload)
            try:
                tables = load_tables(path, checker.ctx.limits)
            except DataInputError as exc:
                check.problems.append(
                    Problem(
                        kind="attachment_not_checked",
                        message=f"part {number} (table) cannot be read: {exc}",
                        dataset=doc.name,
                        forces=Decision.REFER,
                    )
                )
                continue
            loaded.append((number, tables))
            check.problems += [
                p.model_copy(update={"message": f"part {number}: {p.message}", "dataset": doc.name})
                for p in tables.problems
            ]
        if not loaded:
            return check
        result = checker.check([d for _, tables in loaded for d in tables.datasets])
        check.report = result.report
        if result.report.decision in (Decision.RELEASE, Decision.RELEASE_WITH_CHANGES):
            for number, tables in loaded:
                frames = {d.name: result.released.get(d.name, d.frame) for d in tables.datasets}
                formats = {d.name: d.format for d in tables.datasets}
                out = Path(tmp) / "out" / number
                written = write_tables(frames, formats, tables.sheets, out)
                if len(written) == 1:  # else left out, so referred (see apply_eml)
                    check.files[number] = (
                        _stable_bytes(written[0].read_bytes()),
                        written[0].suffix,
                    )
    return check


__all__ = [
    "apply_eml",
    "check_tables",
    "eml_residual",
    "load_eml",
]
