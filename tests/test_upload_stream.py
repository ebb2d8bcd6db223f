"""The streamed multipart receiver: files written once into place, sniffed, hashed, limited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.api.services.upload_stream import SNIFF_BYTES, StreamedForm, receive_form
from triage.errors import DataInputError

CSV = b"ward,count\nAbbey,12\nCastle,7\n"


def _body(
    files: list[tuple[str, bytes]], data: dict[str, str] | None = None, field: str = "files"
) -> tuple[str, bytes]:
    request = httpx.Request(
        "POST",
        "http://test/",
        files=[(field, (name, content, "application/octet-stream")) for name, content in files],
        data=data or {},
    )
    return request.headers["content-type"], request.read()


async def _chunks(body: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    pos, i = 0, 0
    while pos < len(body):
        size = sizes[i % len(sizes)] if sizes else len(body)
        yield body[pos : pos + size]
        pos += size
        i += 1


def _receive(
    folder: Path,
    content_type: str,
    body: bytes,
    sizes: list[int] | None = None,
    *,
    max_files: int = 5,
    file_limit: int = 10_000_000,
) -> StreamedForm:
    return asyncio.run(
        receive_form(
            content_type,
            _chunks(body, sizes or [65536]),
            folder,
            max_files=max_files,
            max_fields=20,
            file_limit=file_limit,
        )
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("wards.csv", CSV),
        ("big.csv", b"a,b\n" + b"1,2\n" * 50_000),
        ("sheet.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        ("letter.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("reply.pdf", b"%PDF-1.7\n" + b"\x00" * 100),
        ("data.parquet", b"PAR1" + b"\x00" * 100),
        ("mail.eml", b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"),
        ("notes.md", b"# Notes\n"),
    ],
)
def test_accepted_files_are_written_once_in_place(
    tmp_path: Path, name: str, content: bytes
) -> None:
    ctype, body = _body([(name, content)], {"destination": "open-data", "purpose": "p"})
    form = _receive(tmp_path, ctype, body)
    assert form.fields == {"destination": "open-data", "purpose": "p"}
    [part] = form.files
    assert part.name == name
    assert part.path.read_bytes() == content
    assert part.size == len(content)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(
    ("files", "field", "message"),
    [
        ([("x.csv", b"\x00\x01binary")], "files", "does not match the file type"),
        ([("x.xlsx", b"a,b\n1,2\n")], "files", "does not match the file type"),
        ([("x.pdf", b"not a pdf")], "files", "does not match the file type"),
        ([("x.exe", b"MZ")], "files", "unsupported file type"),
        ([("x.csv", b"")], "files", "the file is empty"),
        ([("x.csv", b"a\n" * 600)], "files", "larger than the limit"),
        ([(f"f{i}.csv", CSV) for i in range(6)], "files", "too many files"),
        ([("x.csv", CSV)], "attachment", "unexpected file part"),
    ],
)
def test_refused_uploads(
    tmp_path: Path, files: list[tuple[str, bytes]], field: str, message: str
) -> None:
    ctype, body = _body(files, field=field)
    with pytest.raises(DataInputError, match=message):
        _receive(tmp_path, ctype, body, file_limit=1000)


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b"{}", "multipart/form-data"),
        ("multipart/form-data", b"--x\r\n", "multipart/form-data"),  # no boundary
        ("multipart/form-data; boundary=xyz", b"garbage without boundary", "malformed"),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\na,b\n',
            "ended early",
        ),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--xyz--\r\n",
            "no name",
        ),
    ],
)
def test_malformed_bodies(tmp_path: Path, content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(DataInputError, match=message):
        _receive(tmp_path, content_type, body)


@pytest.mark.parametrize(
    ("client_names", "stored"),
    [
        (["../../etc/passwd.csv"], ["passwd.csv"]),
        (["C:\\Users\\x\\wards.csv"], ["wards.csv"]),
        (["a.csv", "A.csv"], ["a.csv", "A-2.csv"]),
        (["r\u00e9sum\u00e9 (1).csv"], ["r_sum_1.csv"]),
    ],
)
def test_names_are_made_safe_and_unique(
    tmp_path: Path, client_names: list[str], stored: list[str]
) -> None:
    ctype, body = _body([(n, CSV) for n in client_names])
    form = _receive(tmp_path, ctype, body)
    assert [p.name for p in form.files] == stored
    assert all(p.path.parent == tmp_path for p in form.files)


@settings(max_examples=40, deadline=None)
@given(
    content=st.binary(min_size=1, max_size=3 * SNIFF_BYTES).map(lambda b: b"id,v\n" + b),
    sizes=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=8),
)
def test_any_chunking_gives_the_same_file(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, sizes: list[int]
) -> None:
    content = content.replace(b"\x00", b"0")  # text content sniffs as text
    folder = tmp_path_factory.mktemp("chunks")
    ctype, body = _body([("d.csv", content)], {"destination": "foi"})
    form = _receive(folder, ctype, body, sizes)
    assert form.files[0].path.read_bytes() == content
    assert form.fields == {"destination": "foi"}


def test_finish_upload_returns_the_files_sha256(tmp_path: Path) -> None:
    import hashlib

    from triage.api.services.uploads import finish_upload

    content = b"a,b\n" + b"1,2\n" * 100_000
    ctype, body = _body([("d.csv", content)])
    [part] = _receive(tmp_path, ctype, body).files
    assert finish_upload(part.path) == hashlib.sha256(content).hexdigest()
