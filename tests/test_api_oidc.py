"""OIDC/JWT bearer tokens on the submission service: keys made in the test, a JWKS file,
tokens minted with PyJWT; SQLite and PostgreSQL; the ``triage serve`` flags."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from triage.api import cli_hooks
from triage.api.app import create_app
from triage.api.audit import entries, verify_audit
from triage.api.db import api_keys
from triage.api.jobs.worker import Worker
from triage.api.oidc import TokenVerifier, identity_hash
from triage.api.security import create_key
from triage.api.settings import ApiSettings, OidcSettings
from triage.cli import main
from triage.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ISS = "https://idp.example.test/realms/council"
AUD = "triage-api"
SECRET = b"s" * 40
REFERRALS = b"".join((EXAMPLES / "council_referrals.csv").read_bytes().splitlines(True)[:150])


@dataclass(frozen=True)
class Keys:
    """Private keys made for the test module (RSA 2048, EC P-256, a second RSA)."""

    rsa: Any
    ec: Any
    other_rsa: Any


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP256R1()),
        other_rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def write_jwks(path: Path, entries_: list[tuple[str, Any]]) -> Path:
    """A JWKS file with the public halves of ``(kid, private key)``."""
    out = []
    for kid, private in entries_:
        algo = RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else ECAlgorithm
        jwk = algo.to_jwk(private.public_key(), as_dict=True)
        out.append({**jwk, "kid": kid, "use": "sig"})
    path.write_text(json.dumps({"keys": out}), encoding="utf-8")
    return path


def claims(subject: str, roles: Any = ("submitter",), **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "sub": subject,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 600,
        "roles": list(roles) if isinstance(roles, tuple) else roles,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class Svc:
    client: TestClient
    worker: Worker
    keys: Keys
    settings: ApiSettings
    minted: list[str]

    def token(
        self,
        subject: str,
        roles: Any = ("submitter",),
        alg: str = "RS256",
        kid: str | None = None,
        key: Any = None,
        **changes: Any,
    ) -> str:
        if key is None:
            key = {"RS256": self.keys.rsa, "ES256": self.keys.ec, "HS256": SECRET}[alg]
        if kid is None and alg != "HS256":
            kid = "ec-1" if alg == "ES256" else "rsa-1"
        headers = {"kid": kid} if kid is not None else {}
        body = claims(subject, roles, **changes)
        token = jwt.encode(body, key, algorithm=alg, headers=headers)
        self.minted.append(token)
        return token

    def h(self, subject: str, roles: Any = ("submitter",), **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, roles, **kw)}"}


def oidc_settings(jwks: Path, **overrides: Any) -> OidcSettings:
    return OidcSettings(issuer=ISS, audience=AUD, jwks_path=jwks, **overrides)


def make_svc(tmp_path: Path, keys: Keys, db_url: str | None = None, **oidc: Any) -> Svc:
    jwks = write_jwks(tmp_path / "jwks.json", [("rsa-1", keys.rsa), ("ec-1", keys.ec)])
    settings = ApiSettings(
        db_url=db_url or f"sqlite:///{tmp_path / 'triage.db'}",
        data_dir=tmp_path / "data",
        nlp_model=None,
        oidc=oidc_settings(jwks, **oidc),
    )
    app = create_app(settings)
    return Svc(TestClient(app), Worker(settings, app.state.service.engine), keys, settings, [])


@pytest.fixture
def svc(tmp_path: Path, keys: Keys) -> Svc:
    return make_svc(tmp_path, keys)


def submit(svc: Svc, headers: dict[str, str], data: bytes = REFERRALS) -> str:
    res = svc.client.post(
        "/v1/submissions",
        headers=headers,
        files=[("files", ("referrals.csv", data, "text/csv"))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    return str(res.json()["id"])


def review(svc: Svc, sid: str, headers: dict[str, str]) -> httpx.Response:
    body = {"action": "withhold", "justification": "Names of residents in free text."}
    return svc.client.post(f"/v1/submissions/{sid}/review", headers=headers, json=body)


def run_workflow(svc: Svc) -> None:
    """Submit, status, report, isolation between subjects, reviewer queue and review."""
    sid = submit(svc, svc.h("alice"))
    assert svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).status_code == 200
    assert svc.worker.drain() == 1
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice", alg="ES256")).json()
    assert (status["status"], status["decision"], status["mine"]) == ("done", "refer", True)
    report = svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice"))
    assert report.status_code == 200 and report.json()["decision"] == "refer"
    for suffix in ("", "/report", "/report.html"):
        other = svc.client.get(f"/v1/submissions/{sid}{suffix}", headers=svc.h("bob"))
        assert other.status_code == 404
    assert svc.client.get("/v1/submissions", headers=svc.h("bob")).json() == []
    assert review(svc, sid, svc.h("alice")).status_code == 403  # a submitter
    rita = svc.h("rita", ("reviewer",))
    queue = svc.client.get("/v1/submissions?review_state=pending", headers=rita).json()
    assert [s["id"] for s in queue] == [sid]
    assert svc.client.post("/v1/submissions", headers=rita).status_code == 403
    done = review(svc, sid, rita)
    assert done.status_code == 200, done.text
    assert done.json()["final_decision"] == "withhold"
    # an admin may submit and review, but never their own submission
    own = submit(svc, svc.h("adam", ("admin",)))
    svc.worker.drain()
    assert review(svc, own, svc.h("adam", ("admin",))).status_code == 403
    assert review(svc, own, svc.h("rita", ("reviewer",))).status_code == 200
    assert verify_audit(svc.worker.engine) == []


def test_each_role_works_end_to_end(svc: Svc) -> None:
    run_workflow(svc)
    logged = entries(svc.worker.engine)
    actors = {e["actor"] for e in logged}
    assert {"oidc:alice", "oidc:rita", "oidc:adam"} <= actors
    review_entry = next(e for e in logged if e["action"] == "review")
    assert review_entry["actor"] == "oidc:rita"
    submitted = [e for e in logged if e["action"] == "submission"]
    assert [e["actor"] for e in submitted] == ["oidc:alice", "oidc:adam"]


def test_workflow_on_postgresql(tmp_path: Path, keys: Keys, pg_url: str) -> None:
    svc = make_svc(tmp_path, keys, db_url=pg_url)
    run_workflow(svc)
    with svc.worker.engine.connect() as conn:
        names = sorted(conn.execute(sa.select(api_keys.c.name)).scalars())
    assert names == ["oidc:adam", "oidc:alice", "oidc:bob", "oidc:rita"]


def test_one_owner_row_per_issuer_and_subject(svc: Svc) -> None:
    first = submit(svc, svc.h("alice"))
    second = submit(svc, svc.h("alice", alg="ES256"))  # another token, same subject
    listed = svc.client.get("/v1/submissions", headers=svc.h("alice")).json()
    assert {s["id"] for s in listed} == {first, second}
    with svc.worker.engine.connect() as conn:
        rows = conn.execute(sa.select(api_keys)).all()
    assert [(r.name, r.role) for r in rows] == [("oidc:alice", "submitter")]
    assert rows[0].key_hash == identity_hash(ISS, "alice")
    # the marker can never be used as an API key
    res = svc.client.get("/v1/submissions", headers={"X-API-Key": rows[0].key_hash})
    assert res.status_code == 401


def test_role_change_is_recorded_and_revocation_blocks(svc: Svc) -> None:
    assert svc.client.get("/v1/submissions", headers=svc.h("sam")).status_code == 200
    as_reviewer = svc.client.get("/v1/registry", headers=svc.h("sam", ("reviewer",)))
    assert as_reviewer.status_code == 200
    actions = [e["action"] for e in entries(svc.worker.engine)]
    assert actions == ["identity.create", "token.use", "identity.role"]
    assert entries(svc.worker.engine)[-1]["details"] == {"role": "reviewer", "was": "submitter"}
    with svc.worker.engine.begin() as conn:
        conn.execute(api_keys.update().values(revoked_at=sa.func.current_timestamp()))
    res = svc.client.get("/v1/submissions", headers=svc.h("sam"))
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    ("token_roles", "status", "role"),
    [
        (["triage-submit"], 200, "submitter"),
        (["triage-review", "triage-submit"], 200, "reviewer"),  # the most privileged wins
        (["triage-admin", "triage-review"], 200, "admin"),
        (["submitter"], 403, None),  # only mapped values count
        ([], 403, None),
    ],
)
def test_role_claim_mapping(
    tmp_path: Path, keys: Keys, token_roles: list[str], status: int, role: str | None
) -> None:
    svc = make_svc(
        tmp_path,
        keys,
        role_claim="realm_access.roles",
        role_map=(
            ("triage-submit", "submitter"),
            ("triage-review", "reviewer"),
            ("triage-admin", "admin"),
        ),
    )
    headers = svc.h("kim", roles=None, realm_access={"roles": token_roles})
    res = svc.client.get("/v1/submissions", headers=headers)
    assert res.status_code == status
    with svc.worker.engine.connect() as conn:
        stored = conn.execute(sa.select(api_keys.c.role)).scalars().all()
    assert stored == ([role] if role else [])


@pytest.mark.parametrize(
    ("claim_value", "status"),
    [("reviewer", 200), ("submitter reviewer", 200), ("viewer", 403), (7, 403)],
)
def test_role_claim_as_string(svc: Svc, claim_value: Any, status: int) -> None:
    res = svc.client.get("/v1/registry", headers=svc.h("kim", roles=claim_value))
    assert res.status_code == status


def _alg_none(svc: Svc) -> str:
    def seg(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{seg({'alg': 'none', 'typ': 'JWT', 'kid': 'rsa-1'})}.{seg(claims('eve'))}."
    svc.minted.append(token)
    return token


def _tampered(svc: Svc) -> str:
    head, _, sig = svc.token("eve").split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims("eve", ("admin",))).encode())
    token = f"{head}.{body.rstrip(b'=').decode()}.{sig}"
    svc.minted.append(token)
    return token


Mint = Callable[[Svc], str]

NEGATIVE: list[tuple[str, Mint, int, str]] = [
    ("expired", lambda s: s.token("eve", exp=int(time.time()) - 3600), 401, "expired"),
    ("not yet valid", lambda s: s.token("eve", nbf=int(time.time()) + 3600), 401, "not yet"),
    ("issued in future", lambda s: s.token("eve", iat=int(time.time()) + 3600), 401, "not yet"),
    ("wrong issuer", lambda s: s.token("eve", iss="https://evil.test"), 401, "issuer"),
    ("wrong audience", lambda s: s.token("eve", aud="other-api"), 401, "audience"),
    ("bad signature", lambda s: s.token("eve", key=s.keys.other_rsa), 401, "signature"),
    ("tampered claims", _tampered, 401, "signature"),
    ("unknown kid", lambda s: s.token("eve", kid="rsa-9"), 401, "key id is unknown"),
    ("no kid", lambda s: s.token("eve", kid=""), 401, "names no key"),
    ("RS256 with the EC kid", lambda s: s.token("eve", kid="ec-1"), 401, "key id is unknown"),
    ("alg none", _alg_none, 401, "algorithm"),
    ("HS256 not configured", lambda s: s.token("eve", alg="HS256"), 401, "algorithm"),
    ("no exp", lambda s: s.token("eve", exp=None), 401, "lacks the exp claim"),
    ("exp a string", lambda s: s.token("eve", exp="9999999999"), 401, "exp claim is not a"),
    ("nbf a string", lambda s: s.token("eve", nbf=str(int(time.time()))), 401, "nbf claim"),
    ("iat a string", lambda s: s.token("eve", iat=str(int(time.time()))), 401, "iat claim"),
    ("exp infinite", lambda s: s.token("eve", exp=float("inf")), 401, "malformed"),
    ("no nbf", lambda s: s.token("eve", nbf=None), 401, "lacks the nbf claim"),
    ("no iat", lambda s: s.token("eve", iat=None), 401, "lacks the iat claim"),
    ("no aud", lambda s: s.token("eve", aud=None), 401, "lacks the aud claim"),
    ("no iss", lambda s: s.token("eve", iss=None), 401, "lacks the iss claim"),
    ("no sub", lambda s: s.token("", sub=None), 401, "lacks the sub claim"),
    ("sub not a string", lambda s: s.token("eve", sub=42), 401, "malformed"),
    ("not a JWT", lambda s: "not.a-jwt", 401, "malformed"),
    ("empty bearer", lambda s: "", 401, "malformed"),
    ("no role claim", lambda s: s.token("eve", roles=None), 403, "no role"),
    ("unknown role", lambda s: s.token("eve", roles=("auditor",)), 403, "no role"),
]


@pytest.mark.parametrize(
    ("mint", "status", "reason"),
    [pytest.param(m, st, r, id=name) for name, m, st, r in NEGATIVE],
)
def test_bad_tokens_are_refused(svc: Svc, mint: Mint, status: int, reason: str) -> None:
    token = mint(svc)
    res = svc.client.get("/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == status
    assert res.headers["content-type"].startswith("application/problem+json")
    detail = res.json()["detail"]
    assert reason in detail and "\n" not in detail
    for part in (token, token.rpartition(".")[2]):
        assert len(part) < 8 or part not in res.text
    expected = 'Bearer error="invalid_token"' if status == 401 else "insufficient_scope"
    assert expected in res.headers["www-authenticate"]
    with svc.worker.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(api_keys)).scalar() == 0
    # a refused token is audited as a failed authentication (a 403 authenticated fine)
    logged = entries(svc.worker.engine)
    assert [e["action"] for e in logged] == (["auth.failed"] if status == 401 else [])
    assert all(len(part) < 8 or part not in str(logged) for part in (token, token[-8:]))


def test_clock_skew_leeway(tmp_path: Path, keys: Keys) -> None:
    svc = make_svc(tmp_path, keys, leeway_seconds=120)
    late = svc.h("eve", exp=int(time.time()) - 60)
    early = svc.h("eve", nbf=int(time.time()) + 60)
    assert svc.client.get("/v1/submissions", headers=late).status_code == 200
    assert svc.client.get("/v1/submissions", headers=early).status_code == 200
    too_late = svc.h("eve", exp=int(time.time()) - 300)
    assert svc.client.get("/v1/submissions", headers=too_late).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/submissions"),
        ("GET", "/v1/submissions/x"),
        ("GET", "/v1/submissions/x/report"),
        ("GET", "/v1/submissions/x/released/a.csv"),
        ("POST", "/v1/submissions/x/review"),
        ("POST", "/v1/submissions"),
        ("GET", "/v1/rulebooks"),
        ("POST", "/v1/rulebooks/validate"),
        ("GET", "/v1/registry"),
    ],
)
def test_every_route_takes_tokens(svc: Svc, method: str, path: str) -> None:
    bad = svc.client.request(method, path, headers=svc.h("adam", ("admin",), aud="x"))
    assert bad.status_code == 401
    good = svc.client.request(method, path, headers=svc.h("adam", ("admin",)))
    assert good.status_code not in (401, 403)
    none = svc.client.request(method, path)
    assert none.status_code == 401 and none.headers["www-authenticate"] == "ApiKey, Bearer"


def test_hs256_only_with_a_configured_secret(tmp_path: Path, keys: Keys) -> None:
    svc = make_svc(tmp_path, keys, hs256_secret=SECRET)
    assert svc.client.get("/v1/submissions", headers=svc.h("hal", alg="HS256")).status_code == 200
    wrong = svc.h("hal", alg="HS256", key=b"w" * 40)
    assert svc.client.get("/v1/submissions", headers=wrong).status_code == 401
    assert svc.client.get("/v1/submissions", headers=svc.h("hal")).status_code == 200  # RS256


def test_keys_and_tokens_together(tmp_path: Path, keys: Keys) -> None:
    svc = make_svc(tmp_path, keys)
    key = create_key(svc.worker.engine, "submitter", "alice")
    both = {"X-API-Key": key, **svc.h("alice")}
    assert svc.client.get("/v1/submissions", headers=both).status_code == 400
    assert svc.client.get("/v1/submissions", headers={"X-API-Key": key}).status_code == 200
    basic = {"X-API-Key": key, "Authorization": "Basic dXNlcjpwdw=="}
    assert svc.client.get("/v1/submissions", headers=basic).status_code == 200
    schema = svc.client.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}


def test_tokens_refused_when_oidc_is_off(tmp_path: Path, keys: Keys) -> None:
    settings = ApiSettings(
        db_url=f"sqlite:///{tmp_path / 'triage.db'}", data_dir=tmp_path / "d", nlp_model=None
    )
    client = TestClient(create_app(settings))
    token = jwt.encode(claims("eve"), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})
    res = client.get("/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401 and res.headers["www-authenticate"] == "ApiKey"
    assert "Bearer" not in client.get("/openapi.json").json()["components"]["securitySchemes"]


def test_token_never_logged_nor_audited(svc: Svc, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sid = submit(svc, svc.h("alice"))
    svc.worker.drain()
    svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice"))
    svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("bob"))
    for _, mint, _, _ in NEGATIVE:
        token = mint(svc)
        svc.client.get("/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert "bearer token refused" in caplog.text  # refusals are logged, by reason only
    audit_text = json.dumps(entries(svc.worker.engine))
    secrets = [t for t in svc.minted if t] + [t.split(".")[-1] for t in svc.minted if t]
    assert len(secrets) > 2 * len(NEGATIVE)
    for secret in secrets:
        if len(secret) >= 16:
            assert secret not in caplog.text
            assert secret not in audit_text
    assert "oidc:alice" in audit_text and verify_audit(svc.worker.engine) == []


def test_jwks_file_is_reread_when_it_changes(svc: Svc, tmp_path: Path) -> None:
    old = svc.h("alice")
    assert svc.client.get("/v1/submissions", headers=old).status_code == 200
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, [("rsa-2", svc.keys.other_rsa)])
    os.utime(jwks, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert svc.client.get("/v1/submissions", headers=old).status_code == 401
    new = svc.h("alice", kid="rsa-2", key=svc.keys.other_rsa)
    assert svc.client.get("/v1/submissions", headers=new).status_code == 200
    jwks.write_text("{broken", encoding="utf-8")
    os.utime(jwks, ns=(time.time_ns() + 2 * 10**9, time.time_ns() + 2 * 10**9))
    res = svc.client.get("/v1/submissions", headers=svc.h("alice", kid="rsa-2"))
    assert res.status_code == 503


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"algorithms": ("none",)}, "'none' is never accepted"),
        ({"algorithms": ("HS256",)}, "shared secret"),
        ({"algorithms": ("RS256", "XS999")}, "not supported"),
        ({"hs256_secret": b"short"}, "at least 32 bytes"),
        ({"jwks_path": None}, "needs a JWKS file"),
        ({"jwks_path": Path("/nonexistent/jwks.json")}, "cannot read JWKS file"),
        ({"algorithms": ("ES384",)}, "no signing key for ES384"),
        ({"audience": ""}, "issuer and an audience"),
        ({"leeway_seconds": -1}, "leeway"),
        ({"role_map": (("x", "boss"),)}, "unknown role 'boss'"),
    ],
)
def test_bad_oidc_settings_stop_the_app(
    tmp_path: Path, keys: Keys, changes: dict[str, Any], message: str
) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", [("rsa-1", keys.rsa), ("ec-1", keys.ec)])
    options: dict[str, Any] = {"issuer": ISS, "audience": AUD, "jwks_path": jwks, **changes}
    with pytest.raises(ConfigError, match=message):
        TokenVerifier(OidcSettings(**options))
    settings = ApiSettings(
        db_url=f"sqlite:///{tmp_path / 'triage.db'}",
        data_dir=tmp_path / "data",
        oidc=OidcSettings(**options),
    )
    with pytest.raises(ConfigError):
        create_app(settings)


def test_jwks_symmetric_keys_are_ignored(tmp_path: Path, keys: Keys) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", [("rsa-1", keys.rsa)])
    doc = json.loads(jwks.read_text())
    oct_key = base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode()
    doc["keys"].append({"kty": "oct", "kid": "hmac", "k": oct_key, "alg": "HS256"})
    jwks.write_text(json.dumps(doc))
    verifier = TokenVerifier(OidcSettings(issuer=ISS, audience=AUD, jwks_path=jwks))
    assert "HS256" not in verifier.accepted
    settings = ApiSettings(
        db_url=f"sqlite:///{tmp_path / 'triage.db'}",
        data_dir=tmp_path / "data",
        nlp_model=None,
        oidc=OidcSettings(issuer=ISS, audience=AUD, jwks_path=jwks),
    )
    client = TestClient(create_app(settings))
    token = jwt.encode(claims("eve"), SECRET, algorithm="HS256", headers={"kid": "hmac"})
    res = client.get("/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401 and "algorithm" in res.json()["detail"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"issuer": None, "audience": AUD}, "need --oidc-issuer"),
        ({"audience": None}, "needs --oidc-audience"),
        ({"role_map": ["reviewer"]}, "VALUE=ROLE"),
        ({"hs256_secret_file": Path("/nonexistent/secret")}, "cannot read the HS256 secret"),
    ],
)
def test_serve_option_errors(tmp_path: Path, kwargs: dict[str, Any], error: str) -> None:
    options: dict[str, Any] = {"issuer": ISS, "audience": AUD, "jwks": tmp_path / "j.json"}
    options.update(kwargs)
    with pytest.raises(ConfigError, match=error):
        cli_hooks.oidc_settings(
            options.pop("issuer"), options.pop("audience"), options.pop("jwks"), **options
        )


def test_serve_options_build_settings(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET + b"\n")
    built = cli_hooks.oidc_settings(
        ISS,
        AUD,
        None,
        hs256_secret_file=secret,
        role_map=["grp=a=reviewer"],
        role_claim="groups",
        leeway_seconds=5,
    )
    assert built is not None
    assert (built.algorithms, built.hs256_secret, built.role_map) == (
        (),
        SECRET,
        (("grp=a", "reviewer"),),
    )
    assert SECRET.decode() not in repr(built)
    assert cli_hooks.oidc_settings(None, None, None) is None
    assert main(["serve", "--oidc-audience", AUD, "--db-url", "sqlite:///x.db"]) == 2


@pytest.fixture
def live_oidc(tmp_path: Path, keys: Keys) -> Iterator[tuple[str, Path]]:
    """``triage serve`` with the OIDC flags on a free loopback port."""
    jwks = write_jwks(tmp_path / "jwks.json", [("rsa-1", keys.rsa)])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "server.log"
    command = [
        str(Path(sys.executable).with_name("triage")),
        "serve",
        "--port",
        str(port),
        "--db-url",
        f"sqlite:///{tmp_path / 'triage.db'}",
        "--data-dir",
        str(tmp_path / "data"),
        "--pattern-only",
        "--oidc-issuer",
        ISS,
        "--oidc-audience",
        AUD,
        "--oidc-jwks",
        str(jwks),
        "--oidc-algorithm",
        "RS256",
        "--oidc-role",
        "officer=submitter",
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = log.open("wb")
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        out.close()


def test_serve_flags_enable_tokens(live_oidc: tuple[str, Path], keys: Keys) -> None:
    base, log = live_oidc
    url = f"{base}/v1/submissions"
    token = jwt.encode(claims("olga", ("officer",)), keys.rsa, "RS256", headers={"kid": "rsa-1"})
    ok = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json() == []
    unmapped = jwt.encode(claims("olga"), keys.rsa, "RS256", headers={"kid": "rsa-1"})
    assert httpx.get(url, headers={"Authorization": f"Bearer {unmapped}"}).status_code == 403
    expired = jwt.encode(
        claims("olga", ("officer",), exp=int(time.time()) - 3600),
        keys.rsa,
        "RS256",
        headers={"kid": "rsa-1"},
    )
    res = httpx.get(url, headers={"Authorization": f"Bearer {expired}"})
    assert res.status_code == 401 and "expired" in res.json()["detail"]
    text = log.read_text()
    assert "/v1/submissions" in text  # the access log was written
    for t in (token, unmapped, expired):
        assert t.split(".")[-1] not in text
