"""URLs with a scheme (``https://...``) or starting ``www.``."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}|localhost|[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
)


class UrlDetector(BaseDetector):
    """``https://example.org/path?q=1``, ``www.example.co.uk``; the host must be a domain with a
    letter TLD, ``localhost`` or an IPv4 address."""

    id: ClassVar[str] = "url"
    entity: ClassVar[Entity] = Entity.URL
    pattern: ClassVar[str] = r"(?i:(?:https?|ftp)://[^\s<>\"]+|www\.[^\s<>\"]+)"
    header_hints: ClassVar[tuple[str, ...]] = (r"url", r"link", r"website", r"web_?site", r"href")
    header_negatives: ClassVar[tuple[str, ...]] = (r"(?<!ac)count(?!r?y)", r"total")
    text_score: ClassVar[float] = 0.6
    text_patterns: ClassVar[tuple[tuple[str, str, float], ...]] = (
        (
            "url",
            r"(?<![\w@.])(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?]",
            0.6,
        ),
    )
    context: ClassVar[tuple[str, ...]] = ("url", "website", "link", "web")

    def normalise(self, value: str) -> str:
        """Prefix ``http://`` to scheme-less ``www.`` values."""
        return value if "://" in value else "http://" + value

    def validate(self, value: str) -> bool:
        """The network location parses and has a plausible host (``www.`` plus 2+ labels)."""
        try:
            parts = urlsplit(value)
            host = parts.hostname
            _ = parts.port
        except ValueError:
            return False
        if host is None or _HOST.fullmatch(host) is None:
            return False
        return not host.startswith("www.") or host.count(".") >= 2
