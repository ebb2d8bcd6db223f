"""The register of releases on PostgreSQL (127.0.0.1:5432, database ``test``).

Each test gets a fresh schema (unique name, dropped afterwards) selected through the URL's
``options=-csearch_path=...``, so parallel runs never meet. Skipped only when the server
cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from typing import Any

import pytest
import sqlalchemy as sa

from triage.errors import StoreError
from triage.store.register import HEAD_REVISION, NewRelease, ReleaseStore, UnknownReleaseError

T0 = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
FINGERPRINT: dict[str, Any] = {
    "version": 1,
    "columns": {"ward": {"minhash": list(range(128)), "values": 23}},
    "qi_combinations": [{"columns": ["ward", "age_band"], "hashes": {"ab12": 3, "cd34": 1}}],
}
PROCESSES = 4
ADDS = 25


def _release(name: str, **kw: Any) -> NewRelease:
    values: dict[str, Any] = {
        "name": name,
        "dataset_sha256": "cd" * 32,
        "rows": 7,
        "columns": {"ward": {"role": "quasi_identifier", "entities": ["LOCATION"]}},
        "fingerprint": FINGERPRINT,
        "released_at": T0,
        "created_by": "tester",
        "destination": "open-data",
    }
    values.update(kw)
    return NewRelease(**values)


def test_schema_lives_in_the_test_schema(pg_url: str, pg_server: sa.Engine) -> None:
    with ReleaseStore.open(pg_url) as s:
        assert (s.dialect, s.revision) == ("postgresql", HEAD_REVISION)
    schema = pg_url.rsplit("%3D", 1)[1]
    with pg_server.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=schema))
    assert {"releases", "alembic_version"} <= tables


def test_round_trip_restart_and_remove(pg_url: str) -> None:
    with ReleaseStore.open(pg_url) as s:
        a = s.add(_release("a.csv"))
        b = s.add(_release("b.csv", released_at=T0 + dt.timedelta(hours=2)))
    with ReleaseStore.open(pg_url) as s:  # a restart
        got = s.get(b)
        assert got.fingerprint == FINGERPRINT
        assert got.released_at == T0 + dt.timedelta(hours=2)
        assert got.columns["ward"]["entities"] == ["LOCATION"]
        s.remove(a, "admin", T0, "withdrawn")
        assert [r.id for r in s.active_records()] == [b]
        assert [r.complete for r in s.active_records(summaries=True)] == [False]
        assert s.fingerprints([a, b]) == {a: FINGERPRINT, b: FINGERPRINT}
        assert s.count(include_removed=True) == 2
        with pytest.raises(UnknownReleaseError):
            s.remove(a, "admin", T0)


def test_newer_unknown_revision_is_refused(pg_url: str) -> None:
    ReleaseStore.open(pg_url).close()
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision 9999"):
        ReleaseStore.open(pg_url)


def _writer(pg_url: str, worker: int, barrier: Any, out: Any) -> None:
    barrier.wait()
    with ReleaseStore.open(pg_url) as s:
        out.put([s.add(_release(f"w{worker}-{i}.csv")) for i in range(ADDS)])


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh-schema", "migrated-schema"])
def test_concurrent_adds_lose_nothing(pg_url: str, fresh: bool) -> None:
    if not fresh:
        ReleaseStore.open(pg_url).close()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(pg_url, w, barrier, out)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    ids = [i for _ in procs for i in out.get(timeout=120)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(ids) == len(set(ids)) == PROCESSES * ADDS
    with ReleaseStore.open(pg_url) as s:
        assert s.count() == PROCESSES * ADDS
