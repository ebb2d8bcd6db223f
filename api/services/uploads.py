"""Upload handling: safe names, content sniffing, decompression-bomb checks, triage answers."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from pathlib import Path

import yaml

from triage.errors import ConfigError, DataInputError
from triage.io.limits import check_zip_bomb
from triage.io.names import identifying_file_name

#: Accepted file extensions and the content kind each must sniff as.
ALLOWED: dict[str, str] = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".md": "text",
    ".eml": "text",
    ".docx": "zip",
    ".pdf": "pdf",
    ".json": "text",
    ".ndjson": "text",
    ".geojson": "text",
    ".xlsx": "zip",
    ".zip": "zip",
    ".parquet": "parquet",
}
#: A .zip upload is refused when it expands beyond this many bytes in total ...
ZIP_MAX_UNCOMPRESSED = 500 * 1024**2
#: ... or when members expand more than this ratio (and beyond 10 MB).
ZIP_MAX_RATIO = 100
#: Triage answers (YAML or JSON) nested deeper than this are refused before they are loaded
#: (PyYAML composes recursively: thousands of ``[`` would end in a RecursionError).
ANSWERS_MAX_DEPTH = 32
#: ... and so are answers with more aliases than this (``*ref`` expansion bombs).
ANSWERS_MAX_ALIASES = 100


def safe_name(client_name: str | None, index: int) -> str:
    """A file name safe to store and show: the last path component only, limited to
    letters, digits, ``._-``, no leading dot, at most 100 characters; ``upload-N`` if empty,
    ``dataset-N`` (its suffix kept) if the name may identify a person
    (:func:`triage.io.names.identifying_file_name`)."""
    raw = (client_name or "").replace("\\", "/").split("/")[-1]
    raw = unicodedata.normalize("NFKC", raw)
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", raw)
    stem, dot, ext = cleaned.rpartition(".")
    if not dot:
        stem, ext = cleaned, ""
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:90] or f"upload-{index}"
    if identifying_file_name(raw) or identifying_file_name(f"{stem}.{ext}"):
        stem = f"dataset-{index}"  # never stored, shown or logged as given (issue 13)
    return f"{stem}.{ext[:10].lower()}" if ext else stem


def sniff(head: bytes) -> str:
    """The content kind of a file from its first bytes: zip, parquet, pdf, text or binary."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM
        return "text"
    if b"\x00" in head:
        return "binary"
    return "text"


def check_zip(path: Path) -> None:
    """Refuse a .zip that is not a zip or expands like a decompression bomb."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise DataInputError(f"{path.name}: not a readable zip archive") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    ratio = total / max(packed, 1)
    if total > ZIP_MAX_UNCOMPRESSED or (ratio > ZIP_MAX_RATIO and total > 10 * 1024**2):
        raise DataInputError(
            f"{path.name}: refused: expands to {total:,} bytes ({ratio:,.0f}x compression), "
            "a possible decompression bomb"
        )


def finish_upload(path: Path) -> str:
    """Hash a written upload, make it durable (fsync) and refuse archives that expand like
    bombs; returns its SHA-256 (hex).

    Blocking: call it from a worker thread, not the event loop (hashing releases the GIL).

    Raises
    ------
    DataInputError
        An XLSX or zip that is unreadable or a possible decompression bomb.
    """
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        os.fsync(fh.fileno())
    if path.suffix.lower() == ".xlsx":
        check_zip_bomb(path)
    elif path.suffix.lower() in (".zip", ".docx"):
        check_zip(path)
    return digest


def parse_answers(text: str) -> object:
    """Parse triage answers sent as YAML or JSON text, refusing hostile shapes first.

    The text is scanned as a stream of events (iteratively, no recursion) before it is
    composed, so deep nesting and alias bombs are refused without building anything.

    Raises
    ------
    ConfigError
        Not valid YAML or JSON, nested deeper than :data:`ANSWERS_MAX_DEPTH`, or more than
        :data:`ANSWERS_MAX_ALIASES` aliases.
    """
    depth = aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > ANSWERS_MAX_DEPTH:
                    raise ConfigError(f"context is nested deeper than {ANSWERS_MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > ANSWERS_MAX_ALIASES:
                    raise ConfigError(f"context has more than {ANSWERS_MAX_ALIASES} aliases")
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        raise ConfigError("context is not valid YAML or JSON") from None
