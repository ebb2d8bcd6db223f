"""Security of the submission service: authentication, authorisation, limits, uploads,
headers, rate limiting, logs."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_harness import Service, make_service

from triage.api.db import api_keys, files
from triage.api.security import hash_token
from triage.api.services.uploads import safe_name

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CSV = b"site,reading\nA,1\nB,2\n"


def secured(tmp_path: Path, **overrides: object) -> Service:
    """The service with a 64 KB upload limit (and ``overrides``)."""
    options: dict[str, object] = {"max_upload_bytes": 64 * 1024, **overrides}
    return make_service(f"sqlite:///{tmp_path / 'triage.db'}", tmp_path / "data", **options)


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    return secured(tmp_path)


def post(svc: Service, who: str | None, name: str, data: bytes) -> object:
    return svc.client.post(
        "/v1/submissions",
        headers=svc.h(who) if who else {},
        files=[("files", (name, data, "application/octet-stream"))],
        data={"destination": "open-data"},
    )


def submit(svc: Service, who: str) -> str:
    res = post(svc, who, "readings.csv", (EXAMPLES / "air_quality.csv").read_bytes()[:20000])
    assert res.status_code == 202, res.text  # type: ignore[attr-defined]
    return str(res.json()["id"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/submissions"),
        ("GET", "/v1/submissions/x"),
        ("GET", "/v1/submissions/x/report"),
        ("GET", "/v1/submissions/x/report.html"),
        ("GET", "/v1/submissions/x/released/a.csv"),
        ("POST", "/v1/submissions/x/review"),
        ("POST", "/v1/submissions"),
        ("GET", "/v1/rulebooks"),
        ("POST", "/v1/rulebooks/validate"),
        ("GET", "/v1/registry"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_every_route_needs_a_valid_key(
    svc: Service, method: str, path: str, key: str | None
) -> None:
    headers = {} if key is None else {"X-API-Key": key}
    res = svc.client.request(method, path, headers=headers)
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["status"] == 401


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        ("rita", "POST", "/v1/submissions", None),
        (
            "alice",
            "POST",
            "/v1/submissions/{sid}/review",
            {"action": "withhold", "justification": "x"},
        ),
        ("alice", "GET", "/v1/registry", None),
    ],
)
def test_wrong_role_is_forbidden(
    svc: Service, who: str, method: str, path: str, body: dict[str, str] | None
) -> None:
    sid = submit(svc, "bob")
    res = svc.client.request(method, path.format(sid=sid), headers=svc.h(who), json=body)
    assert res.status_code == 403


@pytest.mark.parametrize("suffix", ["", "/report", "/report.html", "/released/readings.csv"])
def test_another_submitters_submission_is_not_found(svc: Service, suffix: str) -> None:
    sid = submit(svc, "bob")
    svc.worker.drain()
    res = svc.client.get(f"/v1/submissions/{sid}{suffix}", headers=svc.h("alice"))
    assert res.status_code == 404
    assert svc.client.get("/v1/submissions", headers=svc.h("alice")).json() == []
    assert len(svc.client.get("/v1/submissions", headers=svc.h("bob")).json()) == 1
    assert len(svc.client.get("/v1/submissions", headers=svc.h("rita")).json()) == 1


def test_revoked_key_is_refused(svc: Service) -> None:
    with svc.worker.engine.begin() as conn:
        conn.execute(
            api_keys.update()
            .where(api_keys.c.key_hash == hash_token(svc.keys["alice"]))
            .values(revoked_at=sa.func.current_timestamp())
        )
    assert svc.client.get("/v1/submissions", headers=svc.h("alice")).status_code == 401


def test_keys_are_stored_hashed(svc: Service) -> None:
    with svc.worker.engine.connect() as conn:
        stored = set(conn.execute(sa.select(api_keys.c.key_hash)).scalars())
    assert not set(svc.keys.values()) & stored
    assert {hash_token(k) for k in svc.keys.values()} == stored


def test_oversized_upload_refused_by_content_length(svc: Service) -> None:
    res = post(svc, "alice", "big.csv", b"a,b\n" + b"1,2\n" * 20_000)
    assert res.status_code == 413  # type: ignore[attr-defined]
    assert not list((svc.settings.data_dir).rglob("big.csv"))


def test_oversized_upload_refused_while_streaming(svc: Service) -> None:
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="destination"\r\n\r\n'
        f'open-data\r\n--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:  # chunked: no Content-Length
        yield head
        for _ in range(40):
            yield b"1,2\n" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    res = svc.client.post(
        "/v1/submissions",
        headers={**svc.h("alice"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body(),
    )
    assert res.status_code == 413
    assert not list((svc.settings.data_dir).rglob("big.csv"))


@pytest.mark.parametrize(
    ("client_name", "stored"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\windows\\evil.csv", "evil.csv"),
        ("/abs/path/data.csv", "data.csv"),
        ("....csv", "upload-1.csv"),
        ("na me;rm -rf.csv", "na_me_rm_-rf.csv"),
    ],
)
def test_path_traversal_names_are_neutralised(svc: Service, client_name: str, stored: str) -> None:
    res = post(svc, "alice", client_name, CSV)
    assert res.status_code == 202, res.text  # type: ignore[attr-defined]
    sid = res.json()["id"]  # type: ignore[attr-defined]
    info = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert info["files"][0]["name"] == stored
    with svc.worker.engine.connect() as conn:
        path = conn.execute(sa.select(files.c.stored_path)).scalar_one()
    assert path == f"submissions/{sid}/input/{stored}"
    written = (svc.settings.data_dir / path).resolve()
    assert written.is_file() and written.is_relative_to(svc.settings.data_dir.resolve())


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("x.exe", b"MZ\x90\x00", 400),
        ("x.csv", b"\x00\x01\x02binary", 400),
        ("x.xlsx", b"site,reading\n", 400),
        ("x.parquet", b"a,b\n1,2\n", 400),
        ("x.csv", b"", 400),
    ],
)
def test_content_is_sniffed(svc: Service, name: str, data: bytes, status: int) -> None:
    res = post(svc, "alice", name, data)
    assert res.status_code == status  # type: ignore[attr-defined]
    assert not list((svc.settings.data_dir / "submissions").iterdir())


def _bomb(member: str, size: int) -> bytes:
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open(member, "w", force_zip64=True) as fh,
    ):
        chunk = b"\x00" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "member", "size"),
    [("bomb.zip", "a.csv", 20 * 1024**2), ("bomb.xlsx", "xl/sheet1.xml", 210 * 1024**2)],
)
def test_zip_bombs_are_refused(tmp_path: Path, name: str, member: str, size: int) -> None:
    svc = secured(tmp_path, max_upload_bytes=1024 * 1024)
    data = _bomb(member, size)
    assert len(data) < 1024 * 1024
    res = post(svc, "alice", name, data)
    assert res.status_code == 400  # type: ignore[attr-defined]
    assert "decompression bomb" in res.json()["detail"]  # type: ignore[attr-defined]


def test_security_headers(svc: Service) -> None:
    for res in (
        svc.client.get("/healthz"),
        svc.client.get("/v1/submissions"),
        post(svc, "alice", "big.csv", b"1" * 100_000),
    ):
        headers = res.headers  # type: ignore[attr-defined]
        assert "default-src" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


def test_rate_limit(tmp_path: Path) -> None:
    svc = secured(tmp_path, rate_per_second=0.01, rate_burst=3)
    codes = [svc.client.get("/v1/rulebooks", headers=svc.h("alice")).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    res = svc.client.get("/v1/rulebooks", headers=svc.h("alice"))
    assert int(res.headers["retry-after"]) >= 1
    assert svc.client.get("/v1/rulebooks", headers=svc.h("bob")).status_code == 200


def test_internal_errors_hide_details(svc: Service) -> None:
    from triage.api.routes import health

    def boom() -> None:
        raise RuntimeError("secret detail /etc/shadow")

    app = svc.client.app
    app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    client = TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]
    res = client.get("/boom")
    assert res.status_code == 500
    assert "secret" not in res.text and res.json()["title"] == "Internal Server Error"
    assert health.router is not None


def test_nothing_sensitive_in_logs(svc: Service, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sid = submit(svc, "alice")
    svc.worker.drain()
    svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice"))
    text = caplog.text
    assert svc.keys["alice"] not in text
    assert "AQ-001" not in text  # no cell value


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("a/b/c.CSV", "c.csv"),
        ("", "upload-3"),
        (".hidden", "upload-3.hidden"),
        ("x" * 300 + ".csv", "x" * 90 + ".csv"),
    ],
)
def test_safe_name(raw: str, safe: str) -> None:
    assert safe_name(raw, 3) == safe
