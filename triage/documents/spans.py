"""Spans of text: redacting them, finding a redacted string again as whole tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

#: text worth checking: two letters, five digits or an ``@``
WORTH = re.compile(r"[^\W\d_]{2}|\d{5}|@")


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


def by_block(items: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Proposal items grouped by their block index."""
    out: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(int(item["block"]), []).append(item)
    return out


def readable(value: str) -> str:
    """A URL-ish value as a reader sees it: percent-decoding undone, ``mailto:`` spaced."""
    return re.sub(r"^(mailto|tel|sms|callto):(?!//)", r"\1: ", unquote(value), flags=re.I)


#: a redacted string shorter than this is never split from letters glued to it ("Ann" of
#: "JoAnn"); a longer one is, where a lower-case letter meets a capital ("xxWhitcombe")
SHORT_VALUE = 6


@lru_cache(maxsize=4096)
def value_pattern(value: str) -> re.Pattern[str]:
    """A redacted string, any run of whitespace between its words (candidates only: see
    :func:`value_spans` for the token test)."""
    return re.compile(r"\s+".join(re.escape(w) for w in value.split()))


def _joined(a: str, b: str, camel: bool) -> bool:
    """True when characters ``a`` and ``b`` side by side are inside one token: two digits, or
    two letters (unless ``camel`` and a lower-case letter meets a capital)."""
    if a.isdigit() and b.isdigit():
        return True
    if a.isalpha() and b.isalpha():
        return not (camel and a.islower() and b.isupper())
    return False


def value_spans(value: str, text: str) -> list[tuple[int, int]]:
    """Where ``value`` occurs in ``text`` as whole tokens: each end of the match either meets a
    character of another kind (space, punctuation, a digit beside a letter) or the text's end,
    so "Lee" is not in "Leeds", "07700900123" not in "0770090012345", but "x@y.com" is in
    "mailto:x@y.com" and "Ann Lee" in "Ann Lee Road"."""
    words = value.split()
    if not words or words[0] not in text:
        return []
    camel = len(value.strip()) >= SHORT_VALUE
    rx = value_pattern(value)
    out: list[tuple[int, int]] = []
    pos = 0
    while (m := rx.search(text, pos)) is not None:
        start, end = m.span()
        if (start > 0 and _joined(text[start - 1], text[start], camel)) or (
            end < len(text) and _joined(text[end - 1], text[end], camel)
        ):
            pos = start + 1  # inside a longer token: an overlapping match may still be one
            continue
        out.append((start, end))
        pos = end
    return out


def sweep(text: str, labels: Mapping[str, str]) -> str:
    """Every redacted string (longest first) left in ``text`` as whole tokens, replaced by its
    label."""
    for value in sorted((v for v in labels if v.strip()), key=len, reverse=True):
        for start, end in reversed(value_spans(value, text)):
            text = text[:start] + labels[value] + text[end:]
    return text


def residual_count(texts: Sequence[str], values: Sequence[str]) -> int:
    """How many of ``values`` still occur in any of ``texts`` as whole tokens."""
    return sum(1 for v in values if v.strip() and any(value_spans(v, t) for t in texts))
