"""The submission service's FastAPI application factory.

``create_app(settings)`` wires the routers (:mod:`triage.api.routes`: submissions, downloads,
reviews, rulebooks, registry, health), the problem+json error handlers (the services' domain
errors among them), the hardening middleware (security headers, upload limit) and the web
page at ``/``. With ``settings.run_worker`` a background worker thread (process pool inside)
runs for the app's lifetime.

Authentication is ``X-API-Key`` or, when ``settings.oidc`` is set, an OIDC/JWT bearer token
(``Authorization: Bearer``, checked by :mod:`triage.api.oidc` against a local JWKS file; a bad
JWKS or OIDC setting stops the app from being built). The interactive ``/docs`` page is
disabled (it loads assets from a CDN, which the CSP forbids); the OpenAPI document is at
``/openapi.json``.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from triage.api.db import open_db
from triage.api.deps import ServiceState
from triage.api.oidc import TokenVerifier
from triage.api.routes import downloads, health, registry, reviews, rulebooks, submissions
from triage.api.security import HardeningMiddleware, TokenBucket
from triage.api.services.errors import Conflict, Forbidden, NotFound, ServiceError
from triage.api.services.upload_stream import UnsupportedCharset
from triage.api.settings import ApiSettings
from triage.api.storage import private_dir
from triage.errors import ConfigError, DataInputError, StoreError, TriageError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
#: ``errno`` values of a full disk or an exhausted quota (answered 507)
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
DISK_FULL_DETAIL = "the service's storage is full: nothing was stored; try again later"
#: The answer to each domain error of the services (:mod:`triage.api.services.errors`)
SERVICE_STATUS: dict[type[ServiceError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409}


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An RFC 9457 problem response."""
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]


def _install_handlers(app: FastAPI) -> None:
    from http import HTTPStatus

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, title, str(exc.detail), dict(exc.headers or {}))

    async def service_error(request: Request, exc: Exception) -> JSONResponse:
        status = next(SERVICE_STATUS[c] for c in type(exc).__mro__ if c in SERVICE_STATUS)
        return problem(status, HTTPStatus(status).phrase, str(exc))

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()))
            parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return problem(422, "Unprocessable Content", "; ".join(parts) or "invalid request")

    async def data_error(request: Request, exc: Exception) -> JSONResponse:
        return problem(400, "Bad Request", _one_line(exc))

    async def config_error(request: Request, exc: Exception) -> JSONResponse:
        return problem(422, "Unprocessable Content", _one_line(exc))

    async def store_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("store unavailable: %s", _one_line(exc))
        return problem(503, "Service Unavailable", "the database is unavailable")

    async def charset_error(request: Request, exc: Exception) -> JSONResponse:
        return problem(415, "Unsupported Media Type", _one_line(exc))

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s: %s", request.url.path, type(exc).__name__)
        return problem(500, "Internal Server Error", "an internal error occurred")

    async def os_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OSError)
        if exc.errno in DISK_FULL:
            log.error("disk full on %s", request.url.path)
            return problem(507, "Insufficient Storage", DISK_FULL_DETAIL)
        return await internal_error(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DataInputError, data_error)
    app.add_exception_handler(UnsupportedCharset, charset_error)
    app.add_exception_handler(ConfigError, config_error)
    for error in SERVICE_STATUS:
        app.add_exception_handler(error, service_error)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(TriageError, internal_error)
    app.add_exception_handler(OSError, os_error)
    app.add_exception_handler(Exception, internal_error)


def static_dir() -> Path:
    """The web page's folder: package data when installed, else next to this module's source
    (a strict editable install links only the ``.py`` files)."""
    packaged = resources.files("triage.api").joinpath("static")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent / "static"


def create_app(settings: ApiSettings) -> FastAPI:
    """Build the submission service for ``settings`` (migrates the database)."""
    verifier = TokenVerifier(settings.oidc) if settings.oidc is not None else None
    private_dir(settings.data_dir)
    engine = open_db(settings.db_url, settings.audit_key_file)
    state = ServiceState(
        settings=settings,
        engine=engine,
        limiter=TokenBucket(settings.rate_per_second, settings.rate_burst),
        verifier=verifier,
        failures=TokenBucket(settings.auth_failure_rate, settings.auth_failure_burst),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # fewer threads for the blocking work of the routes (hashing, fsync, database): under
        # a burst of uploads 40 threads (AnyIO's default) mostly queued on the GIL and the
        # database, and the event loop with them
        to_thread.current_default_thread_limiter().total_tokens = settings.io_threads
        stop = threading.Event()
        thread = None
        if settings.run_worker:
            from triage.api.jobs.worker import Worker

            worker = Worker(settings, engine)
            thread = threading.Thread(
                target=worker.run_forever, args=(stop,), name="triage-worker", daemon=True
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=30)
            engine.dispose()

    app = FastAPI(
        title="triage submission service",
        version="1",
        description=(
            "Submit datasets for a release triage check, follow progress, read reports, "
            "download released data and review referred cases. Authenticate with the "
            "`X-API-Key` header"
            + (" or an OIDC bearer token (`Authorization: Bearer`)." if verifier else ".")
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = state
    _install_handlers(app)
    app.add_middleware(HardeningMiddleware, max_body=settings.max_upload_bytes)
    for resource in (submissions, downloads, reviews, rulebooks, registry, health):
        app.include_router(resource.router)
    static = static_dir()
    # follow_symlink: a strict editable install links the files into the build tree
    app.mount("/static", StaticFiles(directory=str(static), follow_symlink=True), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    _install_openapi(app, bearer=verifier is not None)
    return app


def _install_openapi(app: FastAPI, bearer: bool) -> None:
    """Serve an OpenAPI document naming the ``X-API-Key`` scheme (and, with ``bearer``, the
    OIDC bearer token) as the service's security."""

    def openapi_with_security() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemes: dict[str, Any] = {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        }
        if bearer:
            schemes["Bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        schema.setdefault("components", {})["securitySchemes"] = schemes
        schema["security"] = [{name: []} for name in schemes]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi_with_security  # type: ignore[method-assign]
