"""HTML bodies of e-mail: tokens, what is removed on output, text nodes rewritten in place."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl", "dt"}
    | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head"}
    | {"header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "table"}
    | {"tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul"}
)
_DROP_WITH_CONTENT = frozenset({"script", "template", "object", "iframe", "applet", "embed"})
_DROP_TAGS = frozenset({"meta", "link", "base"})
ATTR_BLOCKS = ("alt", "title", "href")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|"
    r"(?:font-size|max-height|opacity)\s*:\s*0(?![.\d]*[1-9])",
    re.IGNORECASE,
)


@dataclass
class Tok:
    kind: str  # start, startend, end, data, decl
    tag: str = ""
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    text: str = ""
    raw: bool = False  # data inside <style>/<script>: written unescaped


class Lexer(HTMLParser):
    """HTML into tokens; comments, processing instructions and CDATA are counted, not kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.toks: list[Tok] = []
        self.comments = 0
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.toks.append(Tok("start", tag, list(attrs)))
        if tag in ("script", "style"):
            self._raw = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.toks.append(Tok("startend", tag, list(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.toks.append(Tok("end", tag))
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        self.toks.append(Tok("data", text=data, raw=self._raw is not None))

    def handle_decl(self, decl: str) -> None:
        self.toks.append(Tok("decl", text=decl))

    def handle_comment(self, data: str) -> None:
        self.comments += 1

    def handle_pi(self, data: str) -> None:
        self.comments += 1

    def unknown_decl(self, data: str) -> None:
        self.comments += 1


def removal(tok: Tok) -> str | None:
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


def matching_end(toks: list[Tok], i: int) -> int:
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


def emit(tok: Tok, clean: Callable[[str], str]) -> str:
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


def rewrite_nodes(
    toks: list[Tok], chars: list[tuple[int, int]], items: list[dict[str, Any]]
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
