"""The second reading of a written e-mail: every header, part and attachment decoded."""

from __future__ import annotations

import email
import email.policy
import html
import io
import re
import zipfile
from email.header import decode_header, make_header
from pathlib import Path

from triage.documents.formats import load_document
from triage.documents.formats.cards import components, is_card, unfold
from triage.documents.formats.eml_mime import decode_bytes
from triage.documents.spans import residual_count

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
            texts.append(decode_bytes(payload, charset))
        return texts
    if not payload.startswith(b"%PDF"):
        text = decode_bytes(payload, charset)
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
