"""Database access for the submission service: table definitions and transactions.

The schema is created by the migrations :mod:`triage.store.migrations.r0002`, ``_0003`` and
``_0004`` (run by :meth:`triage.store.ReleaseStore.open`); the tables here mirror it. Writes
take the write lock up front (SQLite ``BEGIN IMMEDIATE``), so a claim, a result and its audit
entry commit together.

On SQLite, the threads of one process also queue for writing on a lock of their own first:
SQLite's busy handler waits for its lock by sleeping with a growing back-off, so under a burst
of uploads writers slept while the database was free; a Python lock hands it on at once. Other
processes (a separate worker, more HTTP processes) still meet at SQLite's lock.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from triage.api.anchor import audit_key_path, bind_key, load_audit_key
from triage.errors import StoreError
from triage.store.register import ReleaseStore, UTCDateTime, create_registry_engine, safe_url

metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner_key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("destination", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(255), nullable=True),
    sa.Column("purpose", sa.Text(), nullable=True),
    sa.Column("has_context", sa.Boolean(), nullable=False),
    #: the registered releases this submission is a new version of (a JSON list), or NULL
    sa.Column("supersedes", sa.Text(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decision", sa.String(32), nullable=True),
    sa.Column("final_decision", sa.String(32), nullable=True),
    sa.Column("review_state", sa.String(16), nullable=True),
    sa.Column("report", sa.JSON(), nullable=True),
    sa.Column("result_dir", sa.String(512), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("stored_path", sa.String(512), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_expires", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("reviewer_key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("justification", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(64), nullable=True),
    sa.Column("details", sa.Text(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

#: One row (``id`` 1): the newest entry's sequence number and hash, HMAC-signed
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("hmac", sa.String(64), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def open_db(url: str, audit_key_file: Path | None = None, create_audit_key: bool = True) -> Engine:
    """Migrate the database at ``url`` to the newest revision and return an engine for it,
    bound to the audit key in ``audit_key_file`` (default: :func:`~triage.api.anchor.
    audit_key_path`; made when absent and ``create_audit_key``).

    A SQLite file (and its ``-wal``/``-shm``) is kept private to the service (mode 0600).

    Raises
    ------
    StoreError
        Unreachable database, unsupported URL or foreign schema.
    ConfigError
        The audit key is missing or unusable.
    """
    key = load_audit_key(audit_key_path(audit_key_file), create=create_audit_key)
    database = _sqlite_file(url)
    if database is not None:  # created private: SQLite gives its -wal and -shm the same mode
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    ReleaseStore.open(url).close()
    if database is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(FileNotFoundError):
                os.chmod(f"{database}{suffix}", 0o600)
    engine = create_registry_engine(url)
    bind_key(engine, key)
    return engine


def _sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (None for another database, in memory, or a bad URL)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or not Path(database).parent.is_dir():
        return None
    return database


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine, write: bool) -> AbstractContextManager[object]:
    """This process's write lock for a SQLite engine (nothing for reads or PostgreSQL)."""
    if not write or engine.dialect.name != "sqlite":
        return nullcontext()
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(engine, threading.Lock())


@contextmanager
def transaction(engine: Engine, write: bool = False) -> Iterator[Connection]:
    """One transaction; ``write`` takes the write lock up front on SQLite.

    Database errors become :class:`~triage.errors.StoreError` (no password in the message).
    """
    try:
        with _writer_lock(engine, write), engine.connect() as conn:
            conn.execution_options(triage_write=write)
            with conn.begin():
                yield conn
    except (DBAPIError, SQLAlchemyError) as exc:
        orig = getattr(exc, "orig", None) or exc
        line = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        raise StoreError(f"database error on {safe_url(engine.url)}: {line[:200]}") from None
