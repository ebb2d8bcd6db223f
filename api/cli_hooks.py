"""Functions for ``triage serve``, ``triage audit verify|checkpoint`` and ``triage key ...``.

The lead wires these into :mod:`triage.cli`; they print nothing themselves except where noted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from triage.api import keys
from triage.api.anchor import read_checkpoint
from triage.api.audit import checkpoint, verify_audit
from triage.api.db import open_db, utcnow
from triage.api.security import create_key as _create_key
from triage.api.settings import ApiSettings, OidcSettings
from triage.context import DEFAULT_NLP_MODEL
from triage.errors import ConfigError

log = logging.getLogger(__name__)


def serve(
    host: str,
    port: int,
    db_url: str,
    data_dir: Path,
    *,
    nlp_model: str | None = DEFAULT_NLP_MODEL,
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
        from triage.api.jobs.executors import load_distributed

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


def audit_verify(db_url: str, checkpoint_file: Path | None = None) -> int:
    """Verify the audit log (chain, anchored head, ``checkpoint_file`` if given, and the
    service's tables against it): 0 when intact, 1 (problems logged, one per line) otherwise.

    Raises
    ------
    ConfigError
        No audit key (``$TRIAGE_AUDIT_KEY_FILE``), or an unreadable checkpoint.
    """
    checkpoint = read_checkpoint(checkpoint_file) if checkpoint_file is not None else None
    engine = open_db(db_url, create_audit_key=False)
    try:
        problems = verify_audit(engine, checkpoint)
    finally:
        engine.dispose()
    for p in problems:
        log.error("audit: %s", p)
    return 1 if problems else 0


def audit_checkpoint(db_url: str, out: Path) -> int:
    """Write a signed checkpoint of the audit head to ``out`` (kept outside the database, for
    ``audit verify --checkpoint``) when the log verifies: 0; 1 (nothing written) otherwise."""
    engine = open_db(db_url, create_audit_key=False)
    try:
        problems = verify_audit(engine)
        signed = None if problems else checkpoint(engine)
    finally:
        engine.dispose()
    for p in problems:
        log.error("audit: %s", p)
    if signed is None:
        return 1
    try:
        out.write_text(json.dumps(signed, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the checkpoint {out}: {exc.strerror}") from None
    return 0


def create_key(db_url: str, role: str, name: str, expires_in_days: float | None = None) -> str:
    """Create an API key with ``role`` (submitter, reviewer, admin), expiring after
    ``expires_in_days`` if given; returns the token, which the caller prints once (only its
    hash is stored)."""
    engine = open_db(db_url)
    try:
        return _create_key(engine, role, name, expires_in_days)
    finally:
        engine.dispose()


def key_lines(db_url: str) -> list[str]:
    """``triage key list``: a header and one tab-separated line per key or OIDC identity (id,
    kind, name, role, state, created, expires, last used, revoked); never a secret."""
    engine = open_db(db_url)
    try:
        infos = keys.list_keys(engine)
    finally:
        engine.dispose()
    now = utcnow()

    def when(value: dt.datetime | None) -> str:
        return value.isoformat(timespec="seconds") if value is not None else "-"

    lines = ["id\tkind\tname\trole\tstate\tcreated\texpires\tlast_used\trevoked"]
    for k in infos:
        times = (k.created_at, k.expires_at, k.last_used_at, k.revoked_at)
        fields = [str(k.id), k.kind, k.name, k.role, k.state(now), *map(when, times)]
        lines.append("\t".join(fields))
    return lines


def change_key(db_url: str, action: str, key_id: int) -> str | None:
    """``triage key revoke|rotate ID``: revoke returns None, rotate the new token (printed
    once)."""
    engine = open_db(db_url)
    try:
        if action == "revoke":
            keys.revoke_key(engine, key_id)
            return None
        if action == "rotate":
            return keys.rotate_key(engine, key_id)
        raise ConfigError(f"unknown key action {action!r}")
    finally:
        engine.dispose()


def revoke_identity(db_url: str, issuer: str, subject: str) -> int:
    """``triage key revoke-identity``: refuse an OIDC identity from now on; returns its id."""
    engine = open_db(db_url)
    try:
        return keys.revoke_identity(engine, issuer, subject)
    finally:
        engine.dispose()
