"""Stream a ``multipart/form-data`` submission straight into its submission folder.

Starlette's form parser spools every file part to a temporary file (through the thread pool,
chunk by chunk, once a part passes 1 MB) and the service then copied it to its folder: two
writes and dozens of thread hops per megabyte, which under a burst of uploads queue behind each
other. Here python-multipart's parser is fed the request stream directly and each file part is
written once, into its final place, with its content sniffed against its extension and its size
held to the limit. Writes go to the page cache (microseconds a chunk); hashing and making the
files durable (:func:`triage.api.services.uploads.finish_upload`) are left to the caller, in a
worker thread, where they run beside the event loop rather than inside it.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from triage.api.services.uploads import ALLOWED, safe_name, sniff
from triage.api.storage import create_private
from triage.errors import ConfigError, DataInputError

#: Bytes of a file part sniffed against its extension before anything is written.
SNIFF_BYTES = 8192


class UnsupportedCharset(DataInputError):
    """The multipart body names a charset that is not a text encoding (answered 415)."""


class RepeatedField(ConfigError):
    """A text field of the form was given more than once (answered 422)."""


def unique_name(name: str, used: set[str]) -> str:
    """``name``, or the first of ``stem-2.ext``, ``stem-3.ext``... that is not in ``used``
    (compared case-insensitively): repeated upload names are kept apart deterministically,
    in the order the parts arrive, whatever names the others already took."""
    if name.lower() not in used:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 2
    while True:
        candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
        if candidate.lower() not in used:
            return candidate
        n += 1


def text_charset(raw: bytes) -> str:
    """The Python codec of a multipart ``charset`` parameter; only text encodings.

    Raises
    ------
    UnsupportedCharset
        An unknown name, or a codec that is not a text encoding (``base64``, ``zlib``,
        ``rot13``...).
    """
    name = raw.decode("latin-1")
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UnsupportedCharset(f"unsupported charset {name[:40]!r}; use utf-8") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UnsupportedCharset(f"charset {name[:40]!r} is not a text encoding; use utf-8")
    return info.name


@dataclass
class StoredPart:
    """A file part written to the submission folder (not yet hashed or fsynced)."""

    name: str
    path: Path
    size: int = 0


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: str = ""
    text: bytearray | None = None
    stored: StoredPart | None = None
    handle: IO[bytes] | None = None
    head: bytearray = field(default_factory=bytearray)
    sniffed: bool = False


@dataclass
class StreamedForm:
    """What a streamed submission held: text fields and the stored file parts."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[StoredPart] = field(default_factory=list)


class _Receiver:
    """python-multipart callbacks writing file parts into ``folder``."""

    def __init__(
        self,
        folder: Path,
        *,
        charset: str,
        max_files: int,
        max_fields: int,
        file_limit: int,
    ) -> None:
        self.folder = folder
        self.charset = charset
        self.max_files = max_files
        self.max_fields = max_fields
        self.file_limit = file_limit
        self.form = StreamedForm()
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.used: set[str] = set()
        self.open_handles: list[IO[bytes]] = []
        self.ended = False

    # -- headers -----------------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise DataInputError("a form part has no name (Content-Disposition)")
        self.part.field_name = self._decode(options[b"name"])
        if b"filename" not in options:
            if len(self.form.fields) >= self.max_fields:
                raise DataInputError(f"too many form fields (at most {self.max_fields})")
            self.part.text = bytearray()
            return
        if self.part.field_name != "files":
            raise DataInputError(f"unexpected file part {self.part.field_name[:40]!r}; use 'files'")
        if len(self.form.files) >= self.max_files:
            raise DataInputError(f"too many files (at most {self.max_files})")
        index = len(self.form.files) + 1
        name = unique_name(safe_name(self._decode(options[b"filename"]), index), self.used)
        self.used.add(name.lower())
        path = self.folder / name
        if path.suffix.lower() not in ALLOWED:
            raise DataInputError(
                f"{name}: unsupported file type; use one of {', '.join(sorted(ALLOWED))}"
            )
        handle = os.fdopen(create_private(path), "wb")
        self.open_handles.append(handle)
        self.part.stored = StoredPart(name=name, path=path)
        self.part.handle = handle
        self.form.files.append(self.part.stored)

    # -- data --------------------------------------------------------------------------------
    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        part = self.part
        if part.text is not None:
            if len(part.text) + len(chunk) > 1_000_000:
                raise DataInputError(f"form field {part.field_name[:40]!r} is too long")
            part.text += chunk
            return
        stored = part.stored
        assert stored is not None and part.handle is not None
        stored.size += len(chunk)
        if stored.size > self.file_limit:
            raise DataInputError(
                f"{stored.name}: larger than the limit of {self.file_limit:,} bytes"
            )
        if not part.sniffed:
            part.head += chunk
            if len(part.head) >= SNIFF_BYTES:
                self._flush_head()
            return
        part.handle.write(chunk)

    def _flush_head(self) -> None:
        """Sniff the buffered first bytes against the extension, then write them."""
        part = self.part
        stored = part.stored
        assert stored is not None and part.handle is not None
        expected = ALLOWED[stored.path.suffix.lower()]
        found = sniff(bytes(part.head[:SNIFF_BYTES]))
        if part.head and found != expected:
            raise DataInputError(
                f"{stored.name}: content does not match the file type ({found} data)"
            )
        part.handle.write(part.head)
        part.head = bytearray()
        part.sniffed = True  # later chunks go straight to the file

    def on_part_end(self) -> None:
        part = self.part
        if part.text is not None:
            if part.field_name in self.form.fields:
                raise RepeatedField(f"form field {part.field_name[:40]!r} given more than once")
            self.form.fields[part.field_name] = self._decode(bytes(part.text))
            return
        stored = part.stored
        assert stored is not None and part.handle is not None
        if not part.sniffed:
            self._flush_head()
        if stored.size == 0:
            raise DataInputError(f"{stored.name}: the file is empty")
        part.handle.close()
        self.open_handles.remove(part.handle)

    def on_end(self) -> None:
        self.ended = True

    def _decode(self, raw: bytes) -> str:
        return raw.decode(self.charset, errors="replace")

    def close(self) -> None:
        for handle in self.open_handles:
            handle.close()
        self.open_handles.clear()


async def receive_form(
    content_type: str,
    stream: AsyncIterator[bytes],
    folder: Path,
    *,
    max_files: int,
    max_fields: int,
    file_limit: int,
) -> StreamedForm:
    """Parse a multipart body from ``stream``, writing its file parts into ``folder``.

    Raises
    ------
    DataInputError
        Not multipart, malformed, an unsupported or mismatched file type, an empty or oversized
        file, too many parts (:class:`UnsupportedCharset`: a charset that is not a text
        encoding). Files already written stay in ``folder`` for the caller to remove.
    RepeatedField
        A text field given more than once (``destination`` twice: which one was meant?).
    """
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise DataInputError("send the files as multipart/form-data")
    charset = text_charset(params.get(b"charset", b"utf-8"))
    receiver = _Receiver(
        folder,
        charset=charset,
        max_files=max_files,
        max_fields=max_fields,
        file_limit=file_limit,
    )
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": receiver.on_part_begin,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
            "on_end": receiver.on_end,
        },
    )
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise DataInputError("the multipart body is malformed") from None
    finally:
        receiver.close()
    if not receiver.ended:
        raise DataInputError("the multipart body ended early (no closing boundary)")
    return receiver.form
