"""The e-mail walker's text parts: plain text, HTML, calendar and contact lines (read and
written by the same code, so block indexes always match)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from email.message import Message, MIMEPart
from typing import Any

import pandas as pd

from triage.documents.formats.cards import (
    KEPT_PARAMS,
    KEPT_VALUES,
    PERSONAL,
    Line,
    components,
    escape,
    fold,
    format_line,
    parse,
    unfold,
)
from triage.documents.formats.eml_html import (
    ATTR_BLOCKS,
    BLOCK_TAGS,
    VOID_TAGS,
    Lexer,
    emit,
    matching_end,
    removal,
    rewrite_nodes,
)
from triage.documents.formats.eml_mime import Removed, part_text
from triage.documents.model import Block, Document, paragraph_spans
from triage.documents.spans import redact_text, sweep
from triage.errors import DataInputError
from triage.models import Problem
from triage.vocab import Decision


class TextParts:
    """Reads a message's text into blocks; with ``writing``, also writes the redacted text."""

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
        self.removed: list[Removed] = []
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

    def card(self, src: Message, number: str, dst: Message) -> bool:
        """An iCalendar or vCard part, line by line (``formats.cards``): names, addresses
        and contact data are whole blocks, other text values and parameters are read; binary
        or encoded values are removed, not checked."""
        ctype = src.get_content_type()
        filename = new_name = src.get_filename()
        if filename and filename.strip():
            new_name = self.redacted(self.unit(f"part {number} filename", "attachment", filename))
        lines: list[str] = []
        for k, raw in enumerate(unfold(part_text(src)), start=1):
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
        lex = Lexer()
        lex.feed(markup)
        lex.close()
        toks = lex.toks
        drop = [False] * len(toks)
        removed: Counter[str] = Counter({"comment": lex.comments} if lex.comments else {})
        i = 0
        while i < len(toks):
            why = removal(toks[i]) if toks[i].kind in ("start", "startend") else None
            if why is not None:
                removed[why] += 1
                j = i
                if toks[i].kind == "start" and toks[i].tag not in VOID_TAGS:
                    j = matching_end(toks, i)
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
                    rewrite_nodes(toks, list(chars), self.accepted(index))
            text.clear()
            chars.clear()

        for k, tok in enumerate(toks):
            if drop[k]:
                continue
            if tok.kind in ("start", "startend", "end"):
                if tok.tag in BLOCK_TAGS:
                    flush()
                    gap = None
                for a, (key, value) in enumerate(tok.attrs):
                    if key in ATTR_BLOCKS and value and value.strip():
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
                Removed(
                    f"part {number} text/html",
                    "html_" + why.replace(" ", "_"),
                    "-",
                    f"{why} removed on disclosure ({n})",
                )
            )
        return "".join(emit(t, self.clean) for k, t in enumerate(toks) if not drop[k])

    def drop(self, number: str, ctype: str, why: str) -> None:
        self.problem(
            "attachment_not_checked",
            f"part {number} ({ctype}, {why}) was not checked: it is left out of the redacted "
            "copy and needs a person",
        )
        self.removed.append(Removed(f"part {number}", "attachment", "-", f"{why}: not checked"))
