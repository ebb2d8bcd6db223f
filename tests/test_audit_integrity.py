"""``audit verify`` catches tampering: an emptied log, a cut tail, a re-computed chain, and rows
changed behind the log's back (a decision flipped, a key promoted, register rows deleted, a
stored report edited); an untouched database passes. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from service_harness import Service, make_service

from triage import cli
from triage.api import anchor, keys
from triage.api.audit import GENESIS, _entry, checkpoint, entry_hash, verify_audit
from triage.api.db import api_keys, audit_head, audit_log, open_db, reviews, submissions
from triage.store.register import releases

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@dataclass
class Scenario:
    """A service database after a release, a reviewed referral and key changes."""

    url: str
    released: str
    reviewed: str


def _submit(svc: Service, name: str) -> str:
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", (name, (EXAMPLES / name).read_bytes(), "text/csv"))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    svc.worker.drain()
    return str(res.json()["id"])


def build(url: str, data_dir: Path) -> Scenario:
    svc = make_service(url, data_dir)
    released = _submit(svc, "air_quality.csv")
    reviewed = _submit(svc, "council_referrals.csv")
    res = svc.client.post(
        f"/v1/submissions/{reviewed}/review",
        headers=svc.h("rita"),
        json={"action": "approve_with_changes", "justification": "checked the proposal"},
    )
    assert res.status_code == 200, res.text
    assert svc.client.get("/v1/submissions", headers={"X-API-Key": "tri_wrong"}).status_code == 401
    bob = next(k.id for k in keys.list_keys(svc.engine) if k.name == "bob")
    keys.revoke_key(svc.engine, bob)
    with svc.engine.connect() as conn:
        registered = conn.execute(sa.select(sa.func.count()).select_from(releases)).scalar_one()
    assert registered >= 2  # the release and the approved proposal
    svc.engine.dispose()
    return Scenario(url, released, reviewed)


@pytest.fixture(scope="module")
def sqlite_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    base = tmp_path_factory.mktemp("scenario")
    return build(f"sqlite:///{base / 'triage.db'}", base / "data")


@pytest.fixture(params=["sqlite", "postgresql"])
def scenario(request: pytest.FixtureRequest, sqlite_scenario: Scenario, tmp_path: Path) -> Scenario:
    """A fresh copy of the scenario's SQLite database, or the scenario built on PostgreSQL."""
    if request.param == "postgresql":
        return build(request.getfixturevalue("pg_url"), tmp_path / "data")
    copy = tmp_path / "copy.db"
    source = sa.make_url(sqlite_scenario.url).database
    assert source
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return Scenario(f"sqlite:///{copy}", sqlite_scenario.released, sqlite_scenario.reviewed)


def _rechain(conn: sa.Connection, key: bytes) -> None:
    """Recompute every hash and sign the head with ``key`` (the attacker's guess)."""
    prev = GENESIS
    for row in conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all():
        digest = entry_hash(prev, _entry(row))
        conn.execute(
            audit_log.update().where(audit_log.c.seq == row.seq).values(prev_hash=prev, hash=digest)
        )
        prev = digest
        conn.execute(
            audit_head.update().values(
                seq=row.seq, hash=digest, hmac=anchor.head_mac(key, int(row.seq), digest)
            )
        )


def _edit_decision_entry(conn: sa.Connection, s: Scenario) -> None:
    row = conn.execute(
        sa.select(audit_log).where(
            audit_log.c.action == "decision", audit_log.c.subject == s.reviewed
        )
    ).one()
    details = json.loads(row.details) | {"decision": "release"}
    conn.execute(
        audit_log.update()
        .where(audit_log.c.seq == row.seq)
        .values(details=json.dumps(details, sort_keys=True, separators=(",", ":")))
    )
    conn.execute(
        submissions.update()
        .where(submissions.c.id == s.reviewed)
        .values(decision="release", final_decision="release", review_state=None)
    )
    conn.execute(reviews.delete())
    _rechain(conn, b"a guessed key of 32 bytes or more!")


def _cut_tail(conn: sa.Connection, s: Scenario) -> None:
    last = conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar_one()
    conn.execute(audit_log.delete().where(audit_log.c.seq > last - 2))


def _report_edited(conn: sa.Connection, s: Scenario) -> None:
    report = conn.execute(
        sa.select(submissions.c.report).where(submissions.c.id == s.released)
    ).scalar_one()
    report["rules_fired"] = []
    conn.execute(submissions.update().where(submissions.c.id == s.released).values(report=report))


def _min_release(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.min(releases.c.id))).scalar_one())


Tamper = Callable[[sa.Connection, Scenario], None]
TAMPERING: dict[str, tuple[Tamper, str]] = {
    "emptied log": (
        lambda c, s: c.execute(audit_log.delete()),
        "the log ends at entry 0 but its anchored head is entry",
    ),
    "emptied log and head": (
        lambda c, s: (c.execute(audit_log.delete()), c.execute(audit_head.delete())),
        "key 1: no audit entry created it",
    ),
    "cut tail": (_cut_tail, "(cut)"),
    "edited entry, chain recomputed": (
        _edit_decision_entry,
        "does not verify under the audit key",
    ),
    "decision flipped": (
        lambda c, s: c.execute(
            submissions.update().where(submissions.c.id == s.reviewed).values(decision="release")
        ),
        "decision release in the table, refer in the log",
    ),
    "final decision flipped": (
        lambda c, s: c.execute(
            submissions.update()
            .where(submissions.c.id == s.reviewed)
            .values(final_decision="release")
        ),
        "final decision release, the log says release_with_changes",
    ),
    "key promoted": (
        lambda c, s: c.execute(
            api_keys.update().where(api_keys.c.name == "alice").values(role="admin")
        ),
        "role admin in the table, submitter in the log",
    ),
    "key un-revoked": (
        lambda c, s: c.execute(
            api_keys.update().where(api_keys.c.name == "bob").values(revoked_at=None)
        ),
        "revoked in the audit log but active in the table",
    ),
    "key secret replaced": (
        lambda c, s: c.execute(
            api_keys.update()
            .where(api_keys.c.name == "rita")
            .values(key_hash=hashlib.sha256(b"mallory").hexdigest())
        ),
        "its secret was replaced outside the service",
    ),
    "register row deleted": (
        lambda c, s: c.execute(releases.delete().where(releases.c.id == _min_release(c))),
        "is missing from the register",
    ),
    "review row deleted": (
        lambda c, s: c.execute(reviews.delete()),
        "its review rows differ from its review entries",
    ),
    "stored report edited": (_report_edited, "the stored report does not match"),
}


def test_an_untouched_database_verifies(
    scenario: Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = open_db(scenario.url, create_audit_key=False)
    try:
        assert verify_audit(engine) == []
    finally:
        engine.dispose()
    assert cli.main(["audit", "verify", "--db-url", scenario.url]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_fails_verify(
    scenario: Scenario, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    tamper, expected = TAMPERING[case]
    engine = open_db(scenario.url, create_audit_key=False)
    try:
        with engine.begin() as conn:
            tamper(conn, scenario)
        problems = verify_audit(engine)
    finally:
        engine.dispose()
    assert any(expected in p for p in problems), problems
    assert cli.main(["audit", "verify", "--db-url", scenario.url]) == 1
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert logged == [f"audit: {p}" for p in problems]


def test_a_replayed_old_head_is_caught_by_a_checkpoint(scenario: Scenario, tmp_path: Path) -> None:
    engine = open_db(scenario.url, create_audit_key=False)
    try:
        with engine.connect() as conn:
            old_head = conn.execute(sa.select(audit_head)).one()._asdict()
        keys.revoke_key(engine, 1)  # one more entry: the head moves on
        out = tmp_path / "checkpoint.json"
        assert cli.main(["audit", "checkpoint", "--db-url", scenario.url, "--out", str(out)]) == 0
        assert json.loads(out.read_text())["seq"] == old_head["seq"] + 1
        with engine.begin() as conn:  # cut back to the old head, copied from a backup
            conn.execute(audit_log.delete().where(audit_log.c.seq > old_head["seq"]))
            conn.execute(audit_head.update().values(**old_head))
            conn.execute(api_keys.update().where(api_keys.c.id == 1).values(revoked_at=None))
        assert verify_audit(engine) == []  # the database alone cannot tell
        problems = verify_audit(engine, anchor.read_checkpoint(out))
        assert problems == [
            f"the log ends at entry {old_head['seq']}, behind the checkpoint at entry "
            f"{old_head['seq'] + 1} (cut)"
        ]
        assert (
            cli.main(["audit", "verify", "--db-url", scenario.url, "--checkpoint", str(out)]) == 1
        )
        forged = checkpoint(engine) | {"seq": 1}
        assert verify_audit(engine, forged) == [
            "the checkpoint (entry 1) does not verify under the audit key"
        ]
    finally:
        engine.dispose()


def test_a_checkpoint_is_refused_for_a_tampered_log(scenario: Scenario, tmp_path: Path) -> None:
    engine = open_db(scenario.url, create_audit_key=False)
    try:
        with engine.begin() as conn:
            conn.execute(api_keys.update().where(api_keys.c.id == 1).values(role="admin"))
    finally:
        engine.dispose()
    out = tmp_path / "checkpoint.json"
    assert cli.main(["audit", "checkpoint", "--db-url", scenario.url, "--out", str(out)]) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no audit key at"),
        (lambda p: (p.write_text("short"), p.chmod(0o600)), "shorter than 32 bytes"),
        (lambda p: (p.write_text("k" * 64), p.chmod(0o644)), "readable by others"),
    ],
)
def test_verify_without_a_usable_key_is_a_usage_error(
    sqlite_scenario: Scenario,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: Callable[[Path], object],
    message: str,
) -> None:
    path = tmp_path / "audit.key"
    setup(path)
    monkeypatch.setenv(anchor.AUDIT_KEY_ENV, str(path))
    assert cli.main(["audit", "verify", "--db-url", sqlite_scenario.url]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_another_services_key_fails_verify(
    sqlite_scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "other.key"
    assert len(anchor.load_audit_key(path, create=True)) == 64
    assert path.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(anchor.AUDIT_KEY_ENV, str(path))
    assert cli.main(["audit", "verify", "--db-url", sqlite_scenario.url]) == 1
