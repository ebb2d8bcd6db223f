"""E-mail addresses."""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

#: "TLDs" that are really file extensions (``logo@2x.png``, ``icon@home.svg``)
_FILE_EXTENSIONS = frozenset(
    {
        *("png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "tif", "tiff", "css", "js"),
        *("json", "xml", "csv", "txt", "pdf", "doc", "docx", "xls", "xlsx", "zip", "gz"),
        *("html", "htm"),
    }
)


class EmailDetector(BaseDetector):
    """``name.surname+tag@example.co.uk``; domain labels and TLD are sanity-checked."""

    id: ClassVar[str] = "email"
    entity: ClassVar[Entity] = Entity.EMAIL_ADDRESS
    pattern: ClassVar[str] = (
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    )
    header_hints: ClassVar[tuple[str, ...]] = (r"e_?mail", r"(^|_)mail(_|$)")
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"_n$",
        r"num_",
        r"total",
        r"sent",
        r"flag",
    )
    text_score: ClassVar[float] = 0.85
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        (
            "email",
            r"(?<![\w.@+-])[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
            r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w@-])",
            0.85,
        ),
    )
    context: ClassVar[tuple[str, ...]] = ("email", "e-mail", "contact")

    def validate(self, value: str) -> bool:
        """Local part at most 64 characters, address 254, TLD not a file extension."""
        local, _, domain = value.rpartition("@")
        tld = domain.rsplit(".", 1)[-1].lower()
        return len(local) <= 64 and len(value) <= 254 and tld not in _FILE_EXTENSIONS
