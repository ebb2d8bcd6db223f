"""Run the submission service: one process, or several HTTP processes and one job worker.

With ``http_processes=1`` the app runs in this process under uvicorn with its background worker
(a thread driving the process pool). With more, uvicorn's supervisor starts that many HTTP
processes sharing the listening socket, each serving the app without a worker, and this
(otherwise idle) supervisor process runs the one job worker: uploads are parsed on all cores
instead of one event loop, while jobs are still claimed by a single worker. The settings reach
the HTTP processes through a private file (mode 0600, removed on exit) named by an environment
variable, because uvicorn starts them from an import string.

The job worker's check processes run at a lower CPU priority (``ApiSettings.worker_nice``), so a
burst of uploads is accepted promptly while checks are running.

Per-process state: each HTTP process keeps its own rate-limit buckets (so the limit per key is
``rate_per_second`` times the number of processes) and audits a key's first use once per process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from triage.api.db import open_db
from triage.api.settings import ApiSettings
from triage.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

#: names the settings file of an HTTP process started by :func:`run`
SETTINGS_ENV = "TRIAGE_API_SETTINGS_FILE"


def app_from_environment() -> FastAPI:
    """The app of one HTTP process (uvicorn factory): settings from ``$TRIAGE_API_SETTINGS_FILE``,
    no job worker. The process ends with its supervisor, even on ``kill -9``."""
    from triage.api.app import create_app
    from triage.api.jobs.pool import die_with_parent

    die_with_parent(os.getppid())

    path = os.environ.get(SETTINGS_ENV)
    if not path:
        raise ConfigError(f"{SETTINGS_ENV} is not set: start the service with 'triage serve'")
    settings = pickle.loads(Path(path).read_bytes())  # written by run() below, mode 0600
    if not isinstance(settings, ApiSettings):
        raise ConfigError(f"{SETTINGS_ENV} does not name service settings")
    return create_app(dataclasses.replace(settings, run_worker=False))


def _settings_file(settings: ApiSettings) -> Path:
    path = settings.data_dir / f".serve-settings-{os.getpid()}.pickle"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pickle.dumps(dataclasses.replace(settings, run_worker=False)))
    return path


def run(settings: ApiSettings, host: str, port: int, http_processes: int = 1) -> None:
    """Serve ``settings`` on ``host:port`` until stopped (SIGINT or SIGTERM).

    Everything the service creates is private to its user (umask 077; the data folder 0700).
    """
    import uvicorn

    os.umask(0o077)

    if http_processes <= 1:
        from triage.api.app import create_app

        app = create_app(dataclasses.replace(settings, run_worker=True))
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
        return

    from triage.api.jobs.worker import Worker

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # migrates once and makes the audit key, before the HTTP processes open them
    engine = open_db(settings.db_url, settings.audit_key_file)
    stop = threading.Event()
    worker = threading.Thread(
        target=Worker(settings, engine).run_forever, args=(stop,), name="triage-worker"
    )
    path = _settings_file(settings)
    os.environ[SETTINGS_ENV] = str(path)
    worker.start()
    try:
        uvicorn.run(
            "triage.api.serving:app_from_environment",
            factory=True,
            workers=http_processes,
            host=host,
            port=port,
            log_level="info",
            server_header=False,
        )
    finally:
        stop.set()
        worker.join(timeout=60)
        engine.dispose()
        path.unlink(missing_ok=True)
