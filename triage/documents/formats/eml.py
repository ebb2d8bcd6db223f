"""E-mail (``.eml``) documents for FOI: read into blocks, truly redact, re-check.

One walker (:class:`_Walk`, its text parts in ``eml_text``) reads a message (stdlib
``email``, ``policy.default``) into :class:`~triage.documents.model.Block` s and, in write
mode, builds the redacted message from the same walk, so block indexes always match. What a
requester would see is read:

- headers From, Sender, Reply-To, To, Cc, Bcc (one block per display name, kind
  ``email_name``, and per address, kind ``email_address``) and Subject; Date is kept as is;
- every text/plain and text/html body part (HTML: text nodes between block tags, whitespace
  collapsed as a browser does; ``alt``, ``title`` and ``href`` values; comments, scripts,
  hidden elements, meta/link tags and non-``cid`` images are removed on output);
- attachment file names, attached ``.txt .md .docx .pdf .eml`` documents (read and redacted by
  their own format's path, nested blocks located ``part N attachment ...``);
- CSV/XLSX attachments go through the tabular check
  (``triage.documents.tables.check_eml_tables``): the treated table is attached when the check
  releases it, otherwise the attachment is removed.

Calendar and contact parts (iCalendar, vCard) are read line by line (``TextParts.card``):
attendees' and organisers' names (``CN``) and ``mailto:`` addresses, a card's names, addresses,
phones and birth date are whole blocks; every other parameter and text value is read.

Anything that cannot be checked (images, archives, encrypted parts, binary calendar or card
values) is removed from the redacted copy and raises an ``attachment_not_checked`` problem
(``refer``); an attached document whose redaction failed is left out too (its problem stays).
Every other header (Received, Return-Path, Message-ID, DKIM, X-...) is dropped and logged.
Output is deterministic: fixed boundaries, quoted-printable text, base64 attachments, no
generated dates.

:func:`residual` (``eml_residual``) re-reads the output with a second path
(``policy.compat32``, RFC 2047 header decoding, every transfer encoding decoded, HTML
unescaped, ZIP XML parts, PDF text by ``pypdf`` when installed) and counts redacted strings
still present.
"""

from __future__ import annotations

import email
import io
import tempfile
from collections import Counter
from collections.abc import Mapping
from email.headerregistry import Address, Group
from email.message import EmailMessage, Message, MIMEPart
from pathlib import Path
from typing import Any

import pandas as pd

from triage.documents.formats import apply, load_document
from triage.documents.formats.cards import is_card
from triage.documents.formats.eml_mime import (
    ADDRESS_HEADERS,
    BAD_STRUCTURE,
    DEPTH,
    HANDLED_HEADERS,
    POLICY,
    REDACTED_DOMAIN,
    SIGNATURE_TYPES,
    TABLE_SUFFIXES,
    Removed,
    attachment_suffix,
    dropped_header,
    guard_depth,
    parse_message,
    part_text,
    stable_bytes,
)
from triage.documents.formats.eml_residual import eml_residual
from triage.documents.formats.eml_text import TextParts
from triage.documents.model import Document, LogEntry
from triage.documents.spans import value_spans
from triage.errors import DataInputError
from triage.models import Problem
from triage.vocab import Decision


class _Walk(TextParts):
    """Reads a message into blocks; with ``writing``, also writes the redacted message."""

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
            self.removed.append(Removed("email header Date", "email_header", "-", "unreadable"))
        if any(type(d).__name__ in BAD_STRUCTURE for p in msg.walk() for d in p.defects):
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
            if name.lower() not in HANDLED_HEADERS:
                counts[dropped_header(name)] += 1
        for (shown, exemption, reason), n in sorted(counts.items()):
            self.removed.append(
                Removed(f"{where} header {shown}", "email_header", exemption, f"{reason} ({n})")
            )

    def addresses(self, msg: EmailMessage, out: EmailMessage, name: str) -> None:
        groups: list[Any] = []
        for header in msg.get_all(name) or []:
            if getattr(header, "defects", None) or not hasattr(header, "groups"):
                self.removed.append(
                    Removed(f"email header {name}", "email_header", "s.40(2)", "unreadable")
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
        if ctype in ("text/plain", "text/html") and attachment_suffix(src) in (".txt", ".md", ""):
            filename = new_name = src.get_filename()
            if filename and filename.strip():
                where = f"part {number} filename"
                new_name = self.redacted(self.unit(where, "attachment", filename))
            text = part_text(src)
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
                Removed(f"part {number}", "signature", "-", "signature no longer verifies")
            )
            return False
        return self.attachment(src, number, dst)

    def attachment(self, src: Message, number: str, dst: Message) -> bool:
        ctype = src.get_content_type()
        filename = src.get_filename()
        new_name = filename
        if filename and filename.strip():
            new_name = self.redacted(self.unit(f"part {number} filename", "attachment", filename))
        suffix = attachment_suffix(src)
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
                Removed(f"part {number}", "attachment", "-", "table not released by the engine")
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
                    Removed(f"part {number}", "attachment", "-", "redaction failed: left out")
                )
                return None
            return stable_bytes(result.output.read_bytes())

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


def read(doc: Document, raw: bytes) -> None:
    """Read a message into ``doc`` (blocks, tables of CSV/XLSX attachments, problems)."""
    token = guard_depth()
    try:
        walk = _Walk(doc)
        walk.message(parse_message(raw))
    finally:
        DEPTH.reset(token)
    doc.blocks.extend(walk.blocks)
    doc.tables.update(walk.tables)
    doc.problems.extend(walk.problems)


def write(
    doc: Document,
    items: list[dict[str, Any]],
    every: list[dict[str, Any]],
    out: Path,
    labels: dict[str, str],
    tables: Mapping[str, tuple[bytes, str]] | None,
) -> tuple[list[LogEntry], list[Problem]]:
    """Write the redacted message to ``out``; returns log rows for what was removed beyond the
    proposals (headers, hidden HTML, unchecked parts) and the problems met.

    ``every`` holds all items (accepted or not: rejected ones matter to attached documents);
    ``tables`` maps a part number to the treated bytes of a CSV/XLSX attachment
    (``triage.documents.tables.check_eml_tables``); a table attachment without an entry is
    left out (``refer``).
    """
    token = guard_depth()
    try:
        walk = _Walk(doc, writing=True, proposals=every, labels=labels, tables=tables)
        msg = walk.message(parse_message(doc.path.read_bytes()))
    finally:
        DEPTH.reset(token)
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


def residual(out: Path, values: list[str]) -> int:
    """How many of ``values`` the written message still holds (:func:`eml_residual`)."""
    return eml_residual(out, values)


def table_parts(doc: Document) -> list[tuple[str, str, bytes]]:
    """``(part number, suffix, bytes)`` of each CSV/XLSX attachment of the message ``doc``."""
    walk = _Walk(doc)
    walk.message(parse_message(doc.path.read_bytes()))
    return walk.table_parts
