"""Settings of the submission service."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from triage.context import DEFAULT_NLP_MODEL


@dataclass(frozen=True)
class OidcSettings:
    """OIDC/JWT bearer tokens (see :mod:`triage.api.oidc`); keys come from a local JWKS file.

    ``algorithms`` are the asymmetric algorithms accepted (``none`` never is); HS256 is accepted
    only when ``hs256_secret`` is given. ``role_map`` maps values of the ``role_claim`` claim
    to service roles (empty: the role names themselves). ``leeway_seconds`` is the clock skew
    allowed on ``exp``, ``nbf`` and ``iat``.
    """

    issuer: str
    audience: str
    jwks_path: Path | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    hs256_secret: bytes | None = field(default=None, repr=False)
    role_claim: str = "roles"
    role_map: tuple[tuple[str, str], ...] = ()
    leeway_seconds: float = 60.0


@dataclass(frozen=True)
class ApiSettings:
    """Configuration for :func:`triage.api.app.create_app` and the worker.

    ``db_url`` is the project's store database (SQLite or PostgreSQL); uploaded files, reports
    and released files live under ``data_dir``. ``nlp_model=None`` runs Presidio pattern-only.
    ``oidc`` enables bearer tokens next to API keys.
    """

    db_url: str
    data_dir: Path
    max_upload_bytes: int = 100 * 1024**2
    max_files: int = 10
    #: threads for the routes' blocking work in each HTTP process
    io_threads: int = 8
    rate_per_second: float = 10.0
    rate_burst: int = 60
    nlp_model: str | None = DEFAULT_NLP_MODEL
    pseudonym_key: bytes | None = None
    lease_seconds: float = 120.0
    #: A check running longer than this is stopped waiting for: its job fails (never released)
    job_timeout_seconds: float = 3600.0
    worker_processes: int = 2
    #: CPU niceness added to the local check processes, so uploads are accepted promptly
    #: while checks run (0 keeps the service's priority)
    worker_nice: int = 19
    poll_seconds: float = 0.5
    run_worker: bool = False
    #: A Dask scheduler address (``tcp://HOST:PORT``): the worker runs the checks on that
    #: cluster instead of a local process pool (needs ``triage[dask]`` and Dask workers that
    #: share the data folder at the same path; see :mod:`triage.api.jobs.executors`).
    dask_scheduler: str | None = None
    oidc: OidcSettings | None = None
    #: Below this many bytes free under ``data_dir``, ``/readyz`` answers 503 and submissions
    #: are refused with 507 before any byte is stored
    min_free_bytes: int = 256 * 1024**2
    #: The file of the key signing the audit log's head (kept outside the database; made with
    #: mode 0600 when absent); None: ``$TRIAGE_AUDIT_KEY_FILE`` or the user data folder's
    audit_key_file: Path | None = None
    #: Failed authentications allowed from one client address in a burst, and refilled a
    #: second; beyond them the address gets 429 until it may try again
    auth_failure_burst: int = 5
    auth_failure_rate: float = 0.1
