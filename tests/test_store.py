"""The register of releases on SQLite: schema, URLs, errors, restarts, concurrency, CLI helpers."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import sqlite3
import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from triage import registry_cli
from triage.errors import ConfigError, StoreError
from triage.store import register as store
from triage.store.register import (
    HEAD_REVISION,
    NewRelease,
    ReleaseStore,
    UnknownReleaseError,
    resolve_registry_url,
    safe_url,
)

T0 = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
FINGERPRINT: dict[str, Any] = {
    "version": 1,
    "columns": {"age": {"minhash": list(range(64)), "distinct": 40}},
    "qi_combinations": [{"columns": ["age", "sex"], "hashes": {"ab12": 3, "cd34": 1}}],
}


def _release(name: str = "a.csv", **kw: Any) -> NewRelease:
    values: dict[str, Any] = {
        "name": name,
        "dataset_sha256": "ab" * 32,
        "rows": 10,
        "columns": {"age": {"role": "quasi_identifier", "entities": []}},
        "fingerprint": FINGERPRINT,
        "released_at": T0,
        "created_by": "tester",
        "destination": "open-data",
        "recipient": "public",
        "purpose": "transparency",
    }
    values.update(kw)
    return NewRelease(**values)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'deep' / 'er' / 'registry.db'}"


# ---- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        ("sqlite:///x.db", {"TRIAGE_REGISTRY": "sqlite:///y.db"}, "sqlite:///x.db"),
        (None, {"TRIAGE_REGISTRY": "sqlite:///y.db"}, "sqlite:///y.db"),
        (None, {"TRIAGE_REGISTRY": "  "}, "DEFAULT"),
        (None, {}, "DEFAULT"),
    ],
)
def test_resolve_url(
    given: str | None, env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "default_registry_url", lambda: "DEFAULT")
    assert resolve_registry_url(given, env) == expected


def test_default_url_is_in_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app: str(tmp_path / "data" / app))
    default = store.default_registry_url()
    assert default == f"sqlite:///{tmp_path / 'data' / 'triage' / 'registry.db'}"
    with ReleaseStore.open(None, {}) as s:
        assert s.count() == 0
    assert (tmp_path / "data" / "triage" / "registry.db").is_file()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:sekrit@h/db", "postgresql+psycopg://u:***@h/db"),
        ("sqlite:///a/b.db", "sqlite:///a/b.db"),
        ("not a url with sekrit", "(unparsable URL)"),
    ],
)
def test_safe_url_hides_password(url: str, shown: str) -> None:
    assert safe_url(url) == shown


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u:sekrit@h/db", "unsupported registry database"),
        ("nonsense", "not a database URL"),
        ("postgresql+psycopg://postgres:sekrit@127.0.0.1:1/test", "cannot open registry"),
    ],
)
def test_bad_or_unreachable_url_is_one_clean_line(url: str, fragment: str) -> None:
    with pytest.raises(StoreError) as info:
        ReleaseStore.open(url)
    message = str(info.value)
    assert fragment in message
    assert "sekrit" not in message
    assert "\n" not in message


def test_not_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot open registry") as info:
        ReleaseStore.open(f"sqlite:///{path}")
    assert "\n" not in str(info.value)


# ---- schema ---------------------------------------------------------------------------------


def test_open_creates_schema_with_sqlite_settings(url: str) -> None:
    with ReleaseStore.open(url) as s:
        assert s.revision == HEAD_REVISION == "0004"
        assert s.dialect == "sqlite"
        engine = s._engine
        with engine.connect() as conn:
            pragma = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "foreign_keys", "busy_timeout")
            }
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            tables = set(sa.inspect(conn).get_table_names())
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": store.SQLITE_BUSY_TIMEOUT_MS,
    }
    assert version == HEAD_REVISION
    assert {"releases", "alembic_version"} <= tables


def test_newer_unknown_revision_is_refused(url: str) -> None:
    ReleaseStore.open(url).close()
    path = sa.make_url(url).database
    assert path
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match=r"revision 9999.*upgrade triage"):
        ReleaseStore.open(url)


def test_foreign_releases_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE releases (x INTEGER)")
    with pytest.raises(StoreError, match="not made by triage"):
        ReleaseStore.open(f"sqlite:///{path}")


def test_reopening_is_idempotent(url: str) -> None:
    for _ in range(3):
        with ReleaseStore.open(url) as s:
            assert s.revision == HEAD_REVISION


# ---- repository -----------------------------------------------------------------------------


def test_add_get_list_remove(url: str) -> None:
    later = T0 + dt.timedelta(days=1)
    with ReleaseStore.open(url) as s:
        first = s.add(_release("a.csv"))
        second = s.add(
            _release("b.csv", released_at=later.astimezone(dt.timezone(dt.timedelta(hours=1))))
        )
        assert first != second
        got = s.get(second)
        assert got.name == "b.csv"
        assert got.released_at == later and got.released_at.tzinfo == dt.UTC
        assert got.fingerprint == FINGERPRINT
        assert got.columns == {"age": {"role": "quasi_identifier", "entities": []}}
        assert [r.name for r in s.list_releases()] == ["a.csv", "b.csv"]
        removed = s.remove(first, "admin", later, "registered in error")
        assert removed.removed and removed.removed_by == "admin"
        assert removed.removal_reason == "registered in error"
        assert [r.id for r in s.list_releases()] == [second]
        assert [r.id for r in s.list_releases(include_removed=True)] == [first, second]
        assert [r.id for r in s.active_records()] == [second]
        assert (s.count(), s.count(include_removed=True)) == (1, 2)
        assert s.get(first).removed_at == later  # still on record
        with pytest.raises(UnknownReleaseError):
            s.remove(first, "admin", later)
        with pytest.raises(UnknownReleaseError):
            s.get(12345)


@pytest.mark.parametrize(
    ("fingerprint", "summary"),
    [
        ({"a": 1}, {"a": 1}),
        ({"counts": {"ab": 1, "cd": 2}, "x": [1]}, {"counts_entries": 2, "x": [1]}),
        (
            {"columns": {"c": {"r0": {"counts": {"ab": 1}, "minhash": [1, 2]}}}},
            {"columns": {"c": {"r0": {"counts_entries": 1, "minhash": [1, 2]}}}},
        ),
        ({"qi": [{"counts": {"a": 1}}]}, {"qi": [{"counts_entries": 1}]}),
        ({"counts": 3}, {"counts": 3}),  # not a mapping: kept
    ],
)
def test_summarise_fingerprint(fingerprint: dict[str, Any], summary: dict[str, Any]) -> None:
    assert store.summarise_fingerprint(fingerprint) == summary


def test_summaries_then_candidates(url: str) -> None:
    with ReleaseStore.open(url) as s:
        a = s.add(_release("a.csv"))
        b = s.add(_release("b.csv", fingerprint_summary={"custom": True}))
        s.remove(a, "admin", T0)
        light = s.active_records(summaries=True)
        assert [(r.id, r.complete) for r in light] == [(b, False)]
        assert light[0].fingerprint == {"custom": True}
        assert [(r.id, r.complete) for r in s.active_records()] == [(b, True)]
        summary = store.summarise_fingerprint(FINGERPRINT)
        assert summary["qi_combinations"][0] == {
            "columns": ["age", "sex"],
            "hashes": {"ab12": 3, "cd34": 1},
        }
        assert s.fingerprints([a, b, b, 999]) == {a: FINGERPRINT, b: FINGERPRINT}


@pytest.mark.parametrize(
    "bad",
    [
        {"released_at": dt.datetime(2025, 1, 1)},  # naive
        {"rows": -1},
    ],
)
def test_add_rejects_bad_records(url: str, bad: dict[str, Any]) -> None:
    with ReleaseStore.open(url) as s, pytest.raises(ConfigError):
        s.add(_release(**bad))


def test_survives_restart(url: str) -> None:
    with ReleaseStore.open(url) as s:
        ids = [s.add(_release(f"r{i}.csv")) for i in range(5)]
    with ReleaseStore.open(url) as s:
        assert [r.id for r in s.list_releases()] == ids
        assert all(r.fingerprint == FINGERPRINT for r in s.active_records())


# ---- concurrency ----------------------------------------------------------------------------

PROCESSES = 4
ADDS = 25


def _writer(url: str, worker: int, barrier: Any, out: Any) -> None:
    barrier.wait()
    ids: list[int] = []
    try:
        with ReleaseStore.open(url) as s:
            for i in range(ADDS):
                ids.append(s.add(_release(f"w{worker}-{i}.csv")))
    except Exception as exc:  # report the failure instead of leaving the queue empty
        out.put(f"worker {worker} failed: {type(exc).__name__}: {exc}")
        return
    out.put(ids)


def run_concurrent_adds(url: str, fresh: bool) -> list[int]:
    """Start PROCESSES writers at once (opening, even creating, the schema); return all ids."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, w, barrier, out)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    failures = [r for r in results if isinstance(r, str)]
    assert not failures, failures
    ids = [i for r in results for i in r]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return ids


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh-db", "migrated-db"])
def test_concurrent_adds_lose_nothing(url: str, fresh: bool) -> None:
    if not fresh:
        ReleaseStore.open(url).close()
    ids = run_concurrent_adds(url, fresh)
    assert len(ids) == len(set(ids)) == PROCESSES * ADDS
    with ReleaseStore.open(url) as s:
        assert s.count() == PROCESSES * ADDS
        assert {r.id for r in s.list_releases()} == set(ids)


# ---- registry commands ----------------------------------------------------------------------

SECRET_VALUES = ("Jane Smith", "jane@example.org", "SW1A 1AA")


@pytest.fixture
def fingerprinting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the mosaic fingerprint when it exists; else a stand-in with its signature."""
    try:
        registry_cli.fingerprint_function()
    except ConfigError:
        stub = types.ModuleType("triage.mosaic.linkage")

        def fingerprint(frame: pd.DataFrame, classification: Any, key: bytes | None) -> dict:
            return {"version": 0, "rows": len(frame), "columns": sorted(map(str, frame.columns))}

        stub.fingerprint = fingerprint  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "triage.mosaic.linkage", stub)


def _csv(tmp_path: Path) -> Path:
    rows = [
        {"name": "Jane Smith", "email": "jane@example.org", "postcode": "SW1A 1AA", "age": "34"},
        {"name": "John Brown", "email": "john@example.org", "postcode": "M1 1AE", "age": "51"},
        {"name": "Ann Green", "email": "ann@example.org", "postcode": "LS1 4AP", "age": "29"},
    ] * 4
    path = tmp_path / "people.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_add_from_csv_then_delete_file(tmp_path: Path, url: str, fingerprinting: None) -> None:
    path = _csv(tmp_path)
    release_id = registry_cli.add(
        path,
        "people-2025",
        url,
        destination="third-party",
        recipient="Council B",
        purpose="service planning",
        key=b"k" * 32,
        nlp_model=None,
        clock=lambda: T0,
        user="analyst",
    )
    with ReleaseStore.open(url) as s:
        stored = s.get(release_id).fingerprint
    path.unlink()
    with ReleaseStore.open(url) as s:
        record = s.get(release_id)
    assert record.fingerprint == stored and record.fingerprint
    assert record.rows == 12 and record.created_by == "analyst" and record.released_at == T0
    assert record.columns["email"]["entities"] == ["EMAIL_ADDRESS"]
    text = json.dumps(record.fingerprint) + json.dumps(record.columns)
    assert not any(v in text for v in SECRET_VALUES)

    listing = registry_cli.list_releases(url)
    assert len(listing) == 1 and listing[0].startswith(f"{release_id}\t2025-03-01T09:30:00Z")
    shown = registry_cli.show(release_id, url)
    assert "recipient: Council B" in shown and any(
        line.startswith("fingerprint: ") for line in shown
    )
    removed = registry_cli.remove(release_id, url, "withdrawn", clock=lambda: T0, user="admin")
    assert removed.startswith(f"removed release {release_id}")
    assert registry_cli.list_releases(url) == []
    assert "removed" in registry_cli.list_releases(url, include_removed=True)[0]
    assert any(line.startswith("removed: ") for line in registry_cli.show(release_id, url))
    output = "\n".join([*listing, *shown, removed])
    assert not any(v in output for v in SECRET_VALUES)


def test_add_needs_a_name(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError):
        registry_cli.add(_csv(tmp_path), " ", url, nlp_model=None)


def test_fingerprint_must_be_json(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = types.ModuleType("triage.mosaic.linkage")
    stub.fingerprint = lambda frame, classification, key: {"x": {1, 2}}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "triage.mosaic.linkage", stub)
    with pytest.raises(ConfigError, match="not plain JSON"):
        registry_cli.compute_fingerprint(pd.DataFrame(), None, None)  # type: ignore[arg-type]
