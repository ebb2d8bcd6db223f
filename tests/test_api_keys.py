"""Keys are listed, revoked, rotated and expire; failed authentications are throttled per
address and audited (never the secret); OIDC identities can be refused before or after they
are first seen. Through the CLI and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from service_harness import Service, make_service

from triage import cli
from triage.api import keys
from triage.api.audit import entries, verify_audit
from triage.api.db import open_db
from triage.api.oidc import VerifiedToken, identity_principal
from triage.api.security import Role, create_key
from triage.errors import ConfigError


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'triage.db'}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_key_lifecycle_through_the_cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, token, _ = run(capsys, "key", "create", "--role", "reviewer", "--name", "rita",
                         "--expires-in", "30", "--db-url", db_url)  # fmt: skip
    token = token.strip()
    assert code == 0 and token.startswith("tri_")
    code, listing, _ = run(capsys, "key", "list", "--db-url", db_url)
    header, line = listing.splitlines()
    assert header.split("\t")[:5] == ["id", "kind", "name", "role", "state"]
    fields = line.split("\t")
    assert fields[:5] == ["1", "key", "rita", "reviewer", "active"]
    assert fields[6] != "-" and fields[8] == "-" and token not in listing
    code, new, _ = run(capsys, "key", "rotate", "1", "--db-url", db_url)
    assert code == 0 and new.strip().startswith("tri_") and new.strip() != token
    assert run(capsys, "key", "revoke", "1", "--db-url", db_url)[:2] == (0, "key 1 revoked\n")
    code, listing, _ = run(capsys, "key", "list", "--db-url", db_url)
    assert listing.splitlines()[1].split("\t")[4] == "revoked"
    assert run(capsys, "audit", "verify", "--db-url", db_url)[0] == 0
    engine = open_db(db_url)
    try:
        actions = [e["action"] for e in entries(engine, "key:1")]
        assert actions == ["key.create", "key.rotate", "key.revoke"]
        assert not any(token in str(e) or new.strip() in str(e) for e in entries(engine))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["key", "revoke", "7"], "no key 7"),
        (["key", "rotate", "7"], "no key 7"),
        (["key", "create", "--role", "admin", "--name", "a", "--expires-in", "0"], "expiry"),
        (["key", "revoke-identity", "--issuer", " ", "--subject", "s"], "needs an issuer"),
    ],
)
def test_bad_key_commands_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv, "--db-url", f"sqlite:///{tmp_path / 'k.db'}")
    assert (code, out) == (2, "") and message in err and err.count("\n") == 1


def _status(svc: Service, key: str) -> tuple[int, str]:
    res = svc.client.get("/v1/submissions", headers={"X-API-Key": key})
    return res.status_code, res.json().get("detail", "") if res.status_code != 200 else ""


def test_revoked_rotated_and_expired_keys_are_refused(db_url: str, tmp_path: Path) -> None:
    svc = make_service(db_url, tmp_path / "data")
    alice, bob = (
        next(k.id for k in keys.list_keys(svc.engine) if k.name == n) for n in ("alice", "bob")
    )
    assert _status(svc, svc.keys["alice"]) == (200, "")
    keys.revoke_key(svc.engine, alice)
    assert _status(svc, svc.keys["alice"]) == (401, "the API key has been revoked")
    new = keys.rotate_key(svc.engine, bob)
    assert _status(svc, svc.keys["bob"]) == (401, "the API key is not valid")
    assert _status(svc, new) == (200, "")
    brief = create_key(svc.engine, "submitter", "carol", expires_in_days=1e-6)
    time.sleep(0.2)
    assert _status(svc, brief) == (401, "the API key has expired")
    with pytest.raises(ConfigError, match="already revoked"):
        keys.revoke_key(svc.engine, alice)
    used = {k.name: k.last_used_at for k in keys.list_keys(svc.engine)}
    assert used["bob"] is not None and used["rita"] is None
    assert verify_audit(svc.engine) == []


def test_failed_authentications_are_throttled_and_audited(db_url: str, tmp_path: Path) -> None:
    svc = make_service(db_url, tmp_path / "data", auth_failure_burst=3, auth_failure_rate=0.01)
    guesses = [f"tri_guess{i}" for i in range(3)]
    assert [_status(svc, g)[0] for g in guesses] == [401, 401, 401]
    res = svc.client.get("/v1/submissions", headers={"X-API-Key": "tri_guess3"})
    assert res.status_code == 429 and int(res.headers["Retry-After"]) >= 1
    # while throttled, even a valid key is not looked at from this address
    assert _status(svc, svc.keys["alice"])[0] == 429
    failed = [e for e in entries(svc.engine) if e["action"] == "auth.failed"]
    assert [e["details"]["reason"] for e in failed] == ["the API key is not valid"] * 3
    assert {e["details"]["address"] for e in failed} == {"testclient"}
    assert not any(g in str(entries(svc.engine)) for g in [*guesses, "tri_guess3"])
    assert verify_audit(svc.engine) == []


def test_missing_credentials_are_not_counted_as_failures(tmp_path: Path) -> None:
    svc = make_service(f"sqlite:///{tmp_path / 't.db'}", tmp_path / "data", auth_failure_burst=1)
    assert [svc.client.get("/v1/submissions").status_code for _ in range(3)] == [401] * 3
    assert _status(svc, svc.keys["alice"]) == (200, "")


@pytest.mark.parametrize("seen_first", [True, False])
def test_an_oidc_identity_is_refused_once_revoked(
    db_url: str, capsys: pytest.CaptureFixture[str], seen_first: bool
) -> None:
    engine = open_db(db_url)
    token = VerifiedToken("https://idp.example", "alice@example.gov.uk", Role.ADMIN)
    try:
        if seen_first:
            assert identity_principal(engine, token) is not None
        code, out, _ = run(capsys, "key", "revoke-identity", "--issuer", token.issuer,
                           "--subject", token.subject, "--db-url", db_url)  # fmt: skip
        assert code == 0 and out == "identity revoked (key 1)\n"
        assert identity_principal(engine, token) is None
        (info,) = keys.list_keys(engine)
        assert (info.kind, info.name) == ("oidc", "oidc:alice@example.gov.uk")
        with pytest.raises(ConfigError, match=r"no secret to rotate|already revoked"):
            keys.rotate_key(engine, 1)
        assert entries(engine, "key:1")[-1]["action"] == "identity.revoke"
        assert verify_audit(engine) == []
    finally:
        engine.dispose()
