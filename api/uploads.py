"""Upload handling: safe names, content sniffing, decompression-bomb checks, durable writes."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import BinaryIO

from triage.errors import DataInputError
from triage.io import check_zip_bomb

#: Accepted file extensions and the content kind each must sniff as.
ALLOWED: dict[str, str] = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
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
_CHUNK = 1024 * 1024


def safe_name(client_name: str | None, index: int) -> str:
    """A file name safe to store and show: the last path component only, limited to
    letters, digits, ``._-``, no leading dot, at most 100 characters; ``upload-N`` if empty."""
    raw = (client_name or "").replace("\\", "/").split("/")[-1]
    raw = unicodedata.normalize("NFKC", raw)
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", raw)
    stem, dot, ext = cleaned.rpartition(".")
    if not dot:
        stem, ext = cleaned, ""
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:90] or f"upload-{index}"
    return f"{stem}.{ext[:10].lower()}" if ext else stem


def sniff(head: bytes) -> str:
    """The content kind of a file from its first bytes: zip, parquet, text or binary."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
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


def store_upload(upload: BinaryIO, dest: Path, limit: int) -> tuple[int, str]:
    """Copy an uploaded file object to ``dest`` (fsynced); returns (size, sha256).

    Blocking: call it from a worker thread, not the event loop.

    Raises
    ------
    DataInputError
        The extension is not accepted, the content does not match it, or it is a zip bomb.
    """
    kind = ALLOWED.get(dest.suffix.lower())
    if kind is None:
        raise DataInputError(
            f"{dest.name}: unsupported file type; use one of {', '.join(sorted(ALLOWED))}"
        )
    digest = hashlib.sha256()
    size = 0
    first = True
    upload.seek(0)
    with dest.open("xb") as fh:
        while True:
            chunk = upload.read(_CHUNK)
            if not chunk:
                break
            if first:
                found = sniff(chunk[:8192])
                if found != kind:
                    raise DataInputError(
                        f"{dest.name}: content does not match the file type ({found} data)"
                    )
                first = False
            size += len(chunk)
            if size > limit:
                raise DataInputError(f"{dest.name}: larger than the limit of {limit:,} bytes")
            digest.update(chunk)
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    if size == 0:
        raise DataInputError(f"{dest.name}: the file is empty")
    if dest.suffix.lower() == ".xlsx":
        check_zip_bomb(dest)
    elif dest.suffix.lower() == ".zip":
        check_zip(dest)
    return size, digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
