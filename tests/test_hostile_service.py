"""Hostile requests and conditions for the submission service: each answers a 4xx (never a
500) in bounded time, stores nothing it should not, and keeps the data private at rest."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_harness import Service, make_service

from triage.api.db import submissions

CSV = b"site,reading\nA,1\nB,2\nC,3\n"
BOUNDARY = "hostile-boundary"


def _multipart(charset: str | None = None, fields: list[tuple[str, str]] | None = None) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
        for n, v in fields or [("destination", "open-data")]
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + CSV
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post_raw(svc: Service, body: bytes, charset: str | None = None) -> object:
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    if charset is not None:
        kind += f"; charset={charset}"
    return svc.client.post(
        "/v1/submissions", headers={**svc.h("alice"), "content-type": kind}, content=body
    )


def _stored(svc: Service) -> tuple[int, list[str]]:
    """Submission rows, and the submission folders on disk."""
    with svc.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one()
    folder = svc.settings.data_dir / "submissions"
    return int(rows), sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def quiet(svc: Service) -> Service:
    """The service whose client answers an unhandled error as the 500 a real client sees."""
    svc.client = TestClient(svc.client.app, raise_server_exceptions=False)
    return svc


# ---- bad requests answer 4xx and store nothing ----------------------------------------------

DEEP = 5000


@pytest.mark.parametrize(
    ("charset", "fields", "status", "detail"),
    [
        pytest.param(cs, None, 415, "not a text encoding", id=f"charset-{cs}")
        for cs in ("base64", "zlib", "rot13", "bz2_codec")
    ]
    + [
        pytest.param("no-such-codec", None, 415, "unsupported charset", id="charset-unknown"),
        pytest.param(
            None,
            [("destination", "internal"), ("destination", "open-data")],
            422,
            "'destination' given more than once",
            id="destination-twice",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("recipient", "a"), ("recipient", "b")],
            422,
            "'recipient' given more than once",
            id="recipient-twice",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("context", "a: " + "[" * DEEP + "]" * DEEP)],
            422,
            "nested deeper than",
            id="yaml-flow-nesting",
        ),
        pytest.param(
            None,
            [
                ("destination", "open-data"),
                ("context", "".join(f"{' ' * i}- \n" for i in range(40))),
            ],
            422,
            "nested deeper than",
            id="yaml-block-nesting",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("context", '{"a": ' * DEEP + "1" + "}" * DEEP)],
            422,
            "nested deeper than",
            id="json-nesting",
        ),
        pytest.param(
            None,
            [
                ("destination", "open-data"),
                ("context", "a: &x [1]\nb: [" + ", ".join(["*x"] * 200) + "]"),
            ],
            422,
            "aliases",
            id="yaml-alias-bomb",
        ),
        pytest.param(
            None,
            [("destination", "open-data"), ("context", "a: [unclosed")],
            422,
            "not valid YAML",
            id="yaml-broken",
        ),
    ],
)
def test_hostile_forms_answer_4xx_and_store_nothing(
    quiet: Service,
    charset: str | None,
    fields: list[tuple[str, str]] | None,
    status: int,
    detail: str,
) -> None:
    started = time.monotonic()
    res = _post_raw(quiet, _multipart(charset, fields), charset)
    assert time.monotonic() - started < 10
    assert res.status_code == status, res.text  # type: ignore[attr-defined]
    assert res.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert detail in res.json()["detail"]  # type: ignore[attr-defined]
    assert _stored(quiet) == (0, [])


@pytest.mark.parametrize(
    ("names", "stored"),
    [
        (["a.csv", "a-3.csv", "a.csv"], ["a.csv", "a-3.csv", "a-2.csv"]),
        (["a.csv", "a-2.csv", "a.csv", "A.csv"], ["a.csv", "a-2.csv", "a-3.csv", "A-4.csv"]),
        (["x/a.csv", "y/a.csv", "a.csv"], ["a.csv", "a-2.csv", "a-3.csv"]),
        (["a.txt", "A.TXT", "a.txt"], ["a.txt", "A-2.txt", "a-3.txt"]),
    ],
)
def test_repeated_upload_names_are_kept_apart(
    quiet: Service, names: list[str], stored: list[str]
) -> None:
    """Repeated names are de-duplicated deterministically (``stem-N``, the first free N), so
    every file is checked; the status names each stored file with its hash."""
    data = [CSV + f"D,{i}\n".encode() for i in range(len(names))]
    files = [("files", (n, d, "text/plain")) for n, d in zip(names, data, strict=True)]
    res = quiet.client.post(
        "/v1/submissions", headers=quiet.h("alice"), files=files, data={"destination": "internal"}
    )
    assert res.status_code == 202, res.text
    status = quiet.client.get(f"/v1/submissions/{res.json()['id']}", headers=quiet.h("alice"))
    assert [f["name"] for f in status.json()["files"]] == stored
    folder = quiet.settings.data_dir / "submissions" / res.json()["id"] / "input"
    assert [(folder / n).read_bytes() for n in stored] == data


@pytest.mark.parametrize(
    "query",
    [
        "offset=9223372036854775808",
        "offset=" + "9" * 40,
        "offset=10000001",
        "offset=-1",
        "limit=9223372036854775808",
        "limit=0",
        "limit=1e3",
    ],
)
def test_huge_or_bad_paging_values_answer_422(quiet: Service, query: str) -> None:
    res = quiet.client.get(f"/v1/submissions?{query}", headers=quiet.h("alice"))
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")


def test_largest_offset_still_answers(quiet: Service) -> None:
    res = quiet.client.get("/v1/submissions?offset=10000000", headers=quiet.h("alice"))
    assert res.status_code == 200 and res.json() == []


# ---- a full disk --------------------------------------------------------------------------


def _submit(svc: Service, data: bytes = CSV, headers: dict[str, str] | None = None) -> object:
    return svc.client.post(
        "/v1/submissions",
        headers=headers or svc.h("alice"),
        files=[("files", ("a.csv", data, "text/csv"))],
        data={"destination": "open-data"},
    )


@pytest.mark.parametrize("where", ["below-minimum", "enospc-while-writing"])
def test_full_disk_answers_507_and_loses_nothing_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    db_url = f"sqlite:///{tmp_path / 'triage.db'}"
    svc = make_service(db_url, tmp_path / "data")
    first = _submit(svc)
    assert first.status_code == 202  # type: ignore[attr-defined]
    alice = svc.h("alice")
    kept = sorted(p.name for p in (svc.settings.data_dir / "submissions").iterdir())
    if where == "below-minimum":  # more free bytes demanded than any disk has
        svc = make_service(db_url, tmp_path / "data", min_free_bytes=2**62)
        assert svc.client.get("/readyz").status_code == 503
        assert svc.client.get("/readyz").json()["reason"] == "disk full"
    else:  # the kernel's own ENOSPC: the upload is written to /dev/full
        from triage.api import upload_stream

        monkeypatch.setattr(
            upload_stream, "create_private", lambda path: os.open("/dev/full", os.O_WRONLY)
        )
    svc.client = TestClient(svc.client.app, raise_server_exceptions=False)
    res = _submit(svc, CSV * 2000, alice)
    assert res.status_code == 507, res.text  # type: ignore[attr-defined]
    assert res.json()["title"] == "Insufficient Storage"  # type: ignore[attr-defined]
    assert sorted(p.name for p in (svc.settings.data_dir / "submissions").iterdir()) == kept
    sid = first.json()["id"]  # type: ignore[attr-defined]
    again = svc.client.get(f"/v1/submissions/{sid}", headers=alice)
    assert again.status_code == 200 and again.json()["files"][0]["name"] == "a.csv"


def test_readyz_is_ready_with_room_on_disk(svc: Service) -> None:
    assert svc.client.get("/readyz").json() == {"status": "ready"}


# ---- at rest ------------------------------------------------------------------------------


def _modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            out[path.relative_to(root).as_posix()] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_data_database_and_results_are_private(svc: Service) -> None:
    """The data folder and every folder under it 0700, every file 0600 (uploads, answers,
    results, reports, released files), the SQLite file and its -wal/-shm 0600, whatever the
    test process's umask."""
    old = os.umask(0o022)
    try:
        res = svc.client.post(
            "/v1/submissions",
            headers=svc.h("alice"),
            files=[("files", ("a.csv", CSV, "text/csv"))],
            data={"destination": "open-data", "context": "{}"},
        )
        assert res.status_code == 202, res.text
        assert svc.worker.drain() == 1
    finally:
        os.umask(old)
    modes = _modes(svc.settings.data_dir)
    files = [p for p in modes if (svc.settings.data_dir / p).is_file()]
    assert any(p.endswith("/report.json") for p in files)
    assert any(p.endswith("/input/a.csv") for p in files)
    assert any(p.endswith("/context.yaml") for p in files)
    wrong = {p: oct(m) for p, m in modes.items() if m != (0o600 if p in files else 0o700)}
    assert wrong == {}
    database = Path(svc.settings.db_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{database}{suffix}").stat().st_mode) == 0o600, suffix
