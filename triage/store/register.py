"""The persistent register of releases: the only database code in triage.

A release is one dataset as published or shared: its name, destination, recipient, purpose,
time, rulebook, content hash, column roles and entities, and a *fingerprint* (a JSON
document from :func:`triage.mosaic.profile.fingerprint`) that is enough to judge linkage without
the raw data.

The schema is managed by Alembic migrations kept as importable modules
(``triage.store_migrations_NNNN``); :meth:`ReleaseStore.open` upgrades a database to the newest
revision and refuses one at a revision it does not know. SQLite (the default, a file in the
user's data directory) runs in WAL mode with a busy timeout and foreign keys on; writes take
the write lock up front (``BEGIN IMMEDIATE``) so concurrent writers wait instead of failing.
PostgreSQL migrations are serialised with an advisory lock.

Errors are :class:`~triage.errors.StoreError` with one line that never shows a password.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from triage.errors import ConfigError, StoreError

log = logging.getLogger(__name__)

#: Environment variable naming the register's database URL.
REGISTRY_ENV = "TRIAGE_REGISTRY"
#: Migration modules, oldest first; each has ``revision``, ``down_revision`` and ``upgrade(op)``.
MIGRATIONS: tuple[str, ...] = (
    "triage.store.migrations.r0001",
    "triage.store.migrations.r0002",
    "triage.store.migrations.r0003",
    "triage.store.migrations.r0004",
)
#: SQLite: how long a writer waits for the write lock (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x7472_6961_6765  # "triage": pg_advisory_xact_lock key
_DIALECTS = ("sqlite", "postgresql")
#: Keys whose (large) mapping values are left out of a fingerprint's summary.
HEAVY_KEYS: frozenset[str] = frozenset({"counts"})


class UnknownReleaseError(ConfigError, LookupError):
    """No release with the given id (or it was already removed)."""


# --------------------------------------------------------------------------------------------
# schema (the current head; migrations create it)
# --------------------------------------------------------------------------------------------


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime stored as naive UTC (same on SQLite and PostgreSQL)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes in the register must be timezone-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - drivers return datetime
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


metadata = sa.MetaData()

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("destination", sa.String(32), nullable=True),
    sa.Column("recipient", sa.String(255), nullable=True),
    sa.Column("purpose", sa.Text(), nullable=True),
    sa.Column("released_at", UTCDateTime(), nullable=False),
    sa.Column("rulebook_name", sa.String(255), nullable=True),
    sa.Column("rulebook_version", sa.String(64), nullable=True),
    sa.Column("rulebook_sha256", sa.String(64), nullable=True),
    sa.Column("dataset_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("rows", sa.BigInteger(), nullable=False),
    sa.Column("columns", sa.JSON(), nullable=False),
    sa.Column("fingerprint", sa.JSON(), nullable=False),
    sa.Column("fingerprint_summary", sa.JSON(), nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("removed_at", UTCDateTime(), nullable=True, index=True),
    sa.Column("removed_by", sa.String(255), nullable=True),
    sa.Column("removal_reason", sa.Text(), nullable=True),
    sa.Column("supersedes_id", sa.Integer(), nullable=True),
)

# Alembic's standard version table (so the ``alembic`` tool recognises the revision).
_version_table = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), primary_key=True),
)


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------


def summarise_fingerprint(fingerprint: Any) -> Any:
    """The fingerprint without its heavy parts: every mapping under a key in
    :data:`HEAVY_KEYS` (keyed per-value and per-class hash counts) is replaced by its size,
    ``"<key>_entries": n``. Sketches (MinHash, HyperLogLog) and domain summaries stay, so a
    check can pick candidate releases cheaply and load full fingerprints only for those."""
    if isinstance(fingerprint, dict):
        out: dict[str, Any] = {}
        for k, v in fingerprint.items():
            if k in HEAVY_KEYS and isinstance(v, dict):
                out[f"{k}_entries"] = len(v)
            else:
                out[k] = summarise_fingerprint(v)
        return out
    if isinstance(fingerprint, list):
        return [summarise_fingerprint(v) for v in fingerprint]
    return fingerprint


@dataclass(frozen=True)
class NewRelease:
    """A release to record. ``columns`` maps column name -> {"role": ..., "entities": [...]}.

    ``released_at`` comes from the caller's clock (timezone-aware; stored as UTC).
    ``fingerprint_summary`` defaults to :func:`summarise_fingerprint` of ``fingerprint``.
    """

    name: str
    dataset_sha256: str
    rows: int
    columns: dict[str, dict[str, Any]]
    fingerprint: dict[str, Any]
    released_at: dt.datetime
    created_by: str
    destination: str | None = None
    recipient: str | None = None
    purpose: str | None = None
    rulebook_name: str | None = None
    rulebook_version: str | None = None
    rulebook_sha256: str | None = None
    fingerprint_summary: dict[str, Any] | None = None
    supersedes_id: int | None = None


@dataclass(frozen=True)
class ReleaseSummary:
    """One release without its fingerprint (cheap to list)."""

    id: int
    name: str
    destination: str | None
    recipient: str | None
    purpose: str | None
    released_at: dt.datetime
    rulebook_name: str | None
    rulebook_version: str | None
    rulebook_sha256: str | None
    dataset_sha256: str
    rows: int
    columns: dict[str, dict[str, Any]]
    created_by: str
    created_at: dt.datetime
    removed_at: dt.datetime | None
    removed_by: str | None
    removal_reason: str | None
    supersedes_id: int | None

    @property
    def removed(self) -> bool:
        """True when the release was removed from the register (kept for the record)."""
        return self.removed_at is not None


@dataclass(frozen=True)
class ReleaseRecord(ReleaseSummary):
    """One release with its fingerprint; ``fingerprint`` is only the summary (see
    :func:`summarise_fingerprint`) when ``complete`` is False."""

    fingerprint: dict[str, Any]
    complete: bool = True


_FINGERPRINTS = ("fingerprint", "fingerprint_summary")
_SUMMARY_COLUMNS = [c for c in releases.c if c.name not in _FINGERPRINTS]


def _summary(m: sa.RowMapping) -> ReleaseSummary:
    return ReleaseSummary(**{c.name: m[c.name] for c in _SUMMARY_COLUMNS})


def _record(m: sa.RowMapping, complete: bool = True) -> ReleaseRecord:
    values = {c.name: m[c.name] for c in _SUMMARY_COLUMNS}
    return ReleaseRecord(**values, fingerprint=m["fingerprint"], complete=complete)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while decoding many JSON documents (about a third
    faster; JSON data has no cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# URLs and errors
# --------------------------------------------------------------------------------------------


def default_registry_url() -> str:
    """``sqlite:///<user data dir>/registry.db`` (the folder is created when opened)."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('triage')) / 'registry.db'}"


def resolve_registry_url(url: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The URL given, else ``$TRIAGE_REGISTRY``, else :func:`default_registry_url`."""
    env = os.environ if environ is None else environ
    if url:
        return url
    from_env = env.get(REGISTRY_ENV, "").strip()
    return from_env or default_registry_url()


def safe_url(url: str | URL) -> str:
    """The URL for messages: password hidden; an unparsable URL shows only its scheme."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        text = str(url)
        return text.split(":", 1)[0] + ":..." if ":" in text else "(unparsable URL)"


def _scrub(message: str, url: URL) -> str:
    """First line of a driver message, with any password removed."""
    line = (message.strip().splitlines() or [""])[0].strip()
    if url.password:
        line = line.replace(str(url.password), "***")
    return line


def _store_error(what: str, exc: BaseException, url: URL) -> StoreError:
    orig = getattr(exc, "orig", None) or exc
    detail = _scrub(str(orig), url) or type(orig).__name__
    return StoreError(f"{what} {safe_url(url)}: {detail}")


# --------------------------------------------------------------------------------------------
# engine
# --------------------------------------------------------------------------------------------


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for registry {safe_url(url)}: {exc.strerror}"
            ) from None
        url = url.set(database=str(path))
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _set_wal(cur)
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("triage_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _set_wal(cur: Any) -> None:
    """Switch to WAL, retrying while another process holds the lock: SQLite answers a journal
    mode change with SQLITE_BUSY at once, without waiting on the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.01
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def create_registry_engine(url: str) -> Engine:
    """An SQLAlchemy engine for ``url`` (SQLite with WAL, busy timeout and foreign keys)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(f"not a database URL: {safe_url(url)}") from None
    if parsed.get_backend_name() not in _DIALECTS:
        raise StoreError(
            f"unsupported registry database {safe_url(parsed)}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB"
        )
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"no database driver for {safe_url(parsed)}: {exc}") from None
    except ArgumentError as exc:
        raise _store_error("bad registry URL", exc, parsed) from None


# --------------------------------------------------------------------------------------------
# migrations
# --------------------------------------------------------------------------------------------


def _migration_modules() -> list[ModuleType]:
    modules = [importlib.import_module(name) for name in MIGRATIONS]
    previous: str | None = None
    for module in modules:  # a linear chain, checked once
        if module.down_revision != previous:
            raise StoreError(f"broken migration chain at {module.__name__}")
        previous = module.revision
    return modules


HEAD_REVISION: str = importlib.import_module(MIGRATIONS[-1]).revision


def _upgrade(conn: Connection) -> str:
    """Upgrade the database on ``conn`` (inside a transaction) to the head; return the head."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    ctx = MigrationContext.configure(conn)
    heads = ctx.get_current_heads()
    modules = _migration_modules()
    known = [m.revision for m in modules]
    if len(heads) > 1:
        raise StoreError(
            "the registry database has several schema heads; it was not made by triage"
        )
    current = heads[0] if heads else None
    if current is not None and current not in known:
        raise StoreError(
            f"the registry database is at schema revision {current}, which this version of "
            f"triage does not know (newest known: {known[-1]}); upgrade triage"
        )
    if current is None:
        inspector = sa.inspect(conn)
        if inspector.has_table("releases"):
            raise StoreError(
                "the registry database has a 'releases' table but no schema revision; "
                "it was not made by triage"
            )
        _version_table.create(conn, checkfirst=True)
    pending = modules if current is None else modules[known.index(current) + 1 :]
    if not pending:
        return current or ""
    op = Operations(ctx)
    for module in pending:
        log.info("registry: applying schema migration %s", module.revision)
        module.upgrade(op)
    conn.execute(_version_table.delete())
    conn.execute(_version_table.insert().values(version_num=pending[-1].revision))
    return str(pending[-1].revision)


def insert_release(
    conn: Connection, release: NewRelease, created_at: dt.datetime | None = None
) -> int:
    """Insert ``release`` on ``conn``, inside the caller's write transaction (so a service can
    record a release in the transaction that commits its decision); returns the new id.
    ``created_at`` defaults to ``released_at``. Database errors propagate unchanged.

    Raises
    ------
    ConfigError
        ``released_at`` is naive, or ``rows`` is negative.
    """
    if release.released_at.tzinfo is None:
        raise ConfigError("released_at must be timezone-aware")
    if release.rows < 0:
        raise ConfigError("rows must not be negative")
    values = {
        "name": release.name,
        "destination": release.destination,
        "recipient": release.recipient,
        "purpose": release.purpose,
        "released_at": release.released_at,
        "rulebook_name": release.rulebook_name,
        "rulebook_version": release.rulebook_version,
        "rulebook_sha256": release.rulebook_sha256,
        "dataset_sha256": release.dataset_sha256,
        "rows": release.rows,
        "columns": release.columns,
        "fingerprint": release.fingerprint,
        "fingerprint_summary": (
            release.fingerprint_summary
            if release.fingerprint_summary is not None
            else summarise_fingerprint(release.fingerprint)
        ),
        "created_by": release.created_by,
        "created_at": created_at or release.released_at,
        "supersedes_id": release.supersedes_id,
    }
    result = conn.execute(releases.insert().values(**values).returning(releases.c.id))
    return int(result.scalar_one())


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------


class ReleaseStore:
    """Repository of releases over one database (SQLite or PostgreSQL).

    Use :meth:`open`; close with :meth:`close` or a ``with`` block.
    """

    def __init__(self, engine: Engine, revision: str) -> None:
        self._engine = engine
        self.revision = revision

    @classmethod
    def open(cls, url: str | None = None, environ: Mapping[str, str] | None = None) -> ReleaseStore:
        """Open the register at ``url`` (or ``$TRIAGE_REGISTRY``, or the default file).

        Creates the schema or upgrades it to the newest revision.

        Raises
        ------
        StoreError
            Unreachable database, unsupported URL, or a schema that is not triage's or newer.
        """
        resolved = resolve_registry_url(url, environ)
        engine = create_registry_engine(resolved)
        try:
            with engine.connect() as conn:
                conn.execution_options(triage_write=True)
                with conn.begin():
                    revision = _upgrade(conn)
        except StoreError:
            engine.dispose()
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            engine.dispose()
            raise _store_error("cannot open registry", exc, engine.url) from None
        return cls(engine, revision)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return safe_url(self._engine.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> ReleaseStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                conn.execution_options(triage_write=write)
                with conn.begin():
                    yield conn
        except (DBAPIError, SQLAlchemyError) as exc:
            raise _store_error("registry error on", exc, self._engine.url) from None

    # ---- writes ---------------------------------------------------------------------------

    def add(self, release: NewRelease, created_at: dt.datetime | None = None) -> int:
        """Record ``release`` in a transaction of its own; returns its new id (see
        :func:`insert_release`)."""
        with self._tx(write=True) as conn:
            new_id = insert_release(conn, release, created_at)
        log.info("registry: recorded release %d", new_id)
        return new_id

    def remove(
        self, release_id: int, removed_by: str, at: dt.datetime, reason: str | None = None
    ) -> ReleaseSummary:
        """Mark a release removed (who, when, why); it stays in the database for the record
        but no longer takes part in checks or listings.

        Raises
        ------
        UnknownReleaseError
            No such release, or it was removed already.
        """
        if at.tzinfo is None:
            raise ConfigError("the removal time must be timezone-aware")
        with self._tx(write=True) as conn:
            result = conn.execute(
                releases.update()
                .where(releases.c.id == release_id, releases.c.removed_at.is_(None))
                .values(removed_at=at, removed_by=removed_by, removal_reason=reason)
            )
            if result.rowcount != 1:
                raise UnknownReleaseError(f"no release {release_id} in the register to remove")
            row = conn.execute(
                sa.select(*_SUMMARY_COLUMNS).where(releases.c.id == release_id)
            ).one()
        log.info("registry: removed release %d", release_id)
        return _summary(row._mapping)

    # ---- reads ----------------------------------------------------------------------------

    def get(self, release_id: int) -> ReleaseRecord:
        """One release with its fingerprint (removed ones too: see ``removed``).

        Raises
        ------
        UnknownReleaseError
            No such release.
        """
        query = sa.select(*_SUMMARY_COLUMNS, releases.c.fingerprint)
        with self._tx(write=False) as conn:
            row = conn.execute(query.where(releases.c.id == release_id)).first()
        if row is None:
            raise UnknownReleaseError(f"no release {release_id} in the register")
        return _record(row._mapping)

    def list_releases(self, include_removed: bool = False) -> list[ReleaseSummary]:
        """All releases (oldest first), without fingerprints."""
        query = sa.select(*_SUMMARY_COLUMNS).order_by(releases.c.id)
        if not include_removed:
            query = query.where(releases.c.removed_at.is_(None))
        with self._tx(write=False) as conn:
            return [_summary(r) for r in conn.execute(query).mappings()]

    def active_records(self, summaries: bool = False) -> list[ReleaseRecord]:
        """Every release not removed, with its fingerprint (oldest first): what a mosaic check
        compares against. With ``summaries`` the fingerprints are the light summaries
        (``complete`` False); load full ones for candidates with :meth:`fingerprints`."""
        column = releases.c.fingerprint_summary if summaries else releases.c.fingerprint
        query = (
            sa.select(*_SUMMARY_COLUMNS, column.label("fingerprint"))
            .where(releases.c.removed_at.is_(None))
            .order_by(releases.c.id)
        )
        with self._tx(write=False) as conn, _no_gc():
            return [_record(r, complete=not summaries) for r in conn.execute(query).mappings()]

    def latest_named(self, name: str) -> ReleaseRecord | None:
        """The newest release not removed that is named ``name`` (with its full fingerprint),
        or None: the version a new release of ``name`` supersedes."""
        query = (
            sa.select(*_SUMMARY_COLUMNS, releases.c.fingerprint)
            .where(releases.c.name == name, releases.c.removed_at.is_(None))
            .order_by(releases.c.id.desc())
            .limit(1)
        )
        with self._tx(write=False) as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row._mapping)

    def fingerprints(self, release_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Full fingerprints of the given releases (removed ones too), by id; unknown ids are
        left out."""
        ids = sorted(set(release_ids))
        out: dict[int, dict[str, Any]] = {}
        with self._tx(write=False) as conn, _no_gc():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = sa.select(releases.c.id, releases.c.fingerprint).where(
                    releases.c.id.in_(chunk)
                )
                out.update({int(i): fp for i, fp in conn.execute(query)})
        return out

    def count(self, include_removed: bool = False) -> int:
        """Number of releases."""
        query = sa.select(sa.func.count()).select_from(releases)
        if not include_removed:
            query = query.where(releases.c.removed_at.is_(None))
        with self._tx(write=False) as conn:
            return int(conn.execute(query).scalar_one())


def open_store(url: str | None = None, environ: Mapping[str, str] | None = None) -> ReleaseStore:
    """Shorthand for :meth:`ReleaseStore.open`."""
    return ReleaseStore.open(url, environ)
