"""Fixtures shared by several test modules."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from service_harness import Service, make_service

from triage.classifiers.text import TextAnalyzer
from triage.context import NlpSettings
from triage.documents.officials import Officials, load_officials

#: The audit key of every service these tests start (their own processes too), kept out of
#: the user's data folder; tests of the key itself pass their own file.
os.environ.setdefault(
    "TRIAGE_AUDIT_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="triage-audit-")) / "audit.key")
)

#: The PostgreSQL server of this machine (trust auth, database ``test``); CI starts it.
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[sa.Engine]:
    """An AUTOCOMMIT engine on the PostgreSQL server; skips only when it is unreachable."""
    engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        engine.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {PG_SERVER}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_server: sa.Engine) -> Iterator[str]:
    """A URL whose ``search_path`` is a fresh schema, dropped afterwards, so parallel runs
    never meet."""
    schema = f"triage_test_{uuid.uuid4().hex[:16]}"
    with pg_server.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with pg_server.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@dataclass
class LiveService:
    """A ``triage serve`` process on a free loopback port (pattern-only, one worker)."""

    base: str
    db_url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Terminate the server (idempotent)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def live_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveService]:
    """The service started by its own command, ready (``/readyz``) before the test runs.

    Parametrise indirectly with a list of extra ``triage serve`` arguments."""
    extra: list[str] = list(getattr(request, "param", []))
    db_url = f"sqlite:///{tmp_path / 'triage.db'}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("triage")),
            "serve",
            "--port",
            str(port),
            "--db-url",
            db_url,
            "--data-dir",
            str(tmp_path / "data"),
            "--pattern-only",
            "--workers",
            "1",
            *extra,
        ],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    service = LiveService(f"http://127.0.0.1:{port}", db_url, log, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{service.base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield service
    finally:
        service.stop()


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    """The service under TestClient on a fresh SQLite database (see ``service_harness``)."""
    return make_service(f"sqlite:///{tmp_path / 'triage.db'}", tmp_path / "data")


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    """Presidio with the spaCy model and the UK recognizers (one per test module)."""
    return TextAnalyzer.create(NlpSettings())


@pytest.fixture(scope="module")
def pattern_only() -> TextAnalyzer:
    """Presidio without a model: patterns only."""
    return TextAnalyzer.create(NlpSettings(model=None))


@pytest.fixture(scope="module")
def officials() -> Officials:
    """The example allow-list of public officials."""
    return load_officials(
        Path(__file__).resolve().parents[1] / "examples" / "public_officials.yaml"
    )
