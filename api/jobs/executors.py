"""Where checks run: local check processes, or a Dask cluster.

A local :class:`PoolExecutor` runs each check in a check process of its own
(:mod:`triage.api.jobs.pool`); a :class:`DaskExecutor` is used when ``settings.dask_scheduler``
names a scheduler (the optional ``triage[dask]`` extra).

With Dask, only paths travel: the workers must see the data folder (uploads, answers files,
results) at the same path as the service, on a shared filesystem, and reach the database (the
register of releases is read for linkage): use PostgreSQL, or a SQLite file on that shared
folder. A task's arguments include the database URL and the pseudonymisation key, so connect
over ``tls://`` (Dask's TLS settings) unless the cluster is on one trusted host.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from triage.api.jobs.pool import CheckPool, PoolBusy
from triage.api.jobs.run import CheckOutcome, run_check
from triage.api.settings import ApiSettings
from triage.errors import ConfigError, TriageError

log = logging.getLogger(__name__)

#: Seconds to wait for the Dask scheduler when connecting, and between reconnection tries.
DASK_CONNECT_SECONDS = 10.0
DASK_RETRY_SECONDS = 5.0


class ExecutorUnavailable(TriageError):
    """The executor cannot take a task now (an unreachable scheduler, a pool that broke)."""


class JobFuture(Protocol):
    """A running check: a :class:`concurrent.futures.Future` or a ``distributed.Future``."""

    def done(self) -> bool:
        """Whether the task finished (with a result, an error, or cancelled)."""

    def result(self, timeout: float | None = None) -> Any:
        """The task's :class:`CheckOutcome`; raises what the task raised."""


class Executor(Protocol):
    """Where checks run."""

    def capacity(self) -> int:
        """How many jobs to hold at once (0 while the executor is unavailable)."""

    def submit(self, key: str, args: tuple[Any, ...]) -> JobFuture:
        """Start :func:`run_check` with ``args`` under the unique ``key``.

        Raises :class:`ExecutorUnavailable` when the task could not be handed over.
        """

    def close(self) -> None:
        """Stop. Local check processes end (running checks are killed; their jobs' leases
        expire and they are claimed again); Dask tasks still running finish, but nobody
        commits their results."""


class PoolExecutor:
    """Checks in local check processes (:class:`triage.api.jobs.pool.CheckPool`: niced by
    ``nice``, started at once and prepared with the engine and ``nlp_model``). A check can be
    stopped: cancelling its future kills its process and a fresh one takes the slot; a process
    that died is replaced. ``check`` replaces :func:`run_check` (a module-level function)."""

    def __init__(
        self,
        processes: int,
        nice: int = 0,
        nlp_model: str | None = None,
        check: Callable[..., Any] | None = None,
    ) -> None:
        self._pool = CheckPool(processes, nice, nlp_model, check)

    def capacity(self) -> int:
        return self._pool.size

    def submit(self, key: str, args: tuple[Any, ...]) -> JobFuture:
        try:
            return self._pool.submit(args)
        except (PoolBusy, OSError, ValueError) as exc:
            raise ExecutorUnavailable(f"check processes: {type(exc).__name__}") from None

    def pids(self) -> list[int]:
        """The check processes' ids."""
        return self._pool.pids()

    def close(self) -> None:
        self._pool.close()


def load_distributed() -> Any:
    """The ``distributed`` module, imported only when a Dask scheduler is configured."""
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "a Dask scheduler is configured but the 'distributed' package is not installed "
            "(install triage[dask])"
        ) from None
    return distributed


class DaskExecutor:
    """Checks on a Dask cluster through a ``distributed.Client``.

    The client connects on first use and again after the scheduler went away (every
    :data:`DASK_RETRY_SECONDS`; no job is claimed meanwhile). The capacity is the cluster's
    worker threads. Each task has a unique key and no Dask retries, so an exception is one failed
    attempt, as with the pool; Dask does run a task again when its worker dies, and the
    ``run-*`` folders and the fenced commit make that harmless.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self._distributed = load_distributed()
        self._client: Any = None
        self._threads = 1
        self._counted = -float("inf")
        self._next_try = -float("inf")

    def _connected(self) -> Any:
        client = self._client
        if client is not None and client.status == "running":
            return client
        if client is not None and client.status in ("connecting", "newly-created"):
            return None  # the client is reconnecting by itself
        now = time.monotonic()
        if now < self._next_try:
            return None
        self._next_try = now + DASK_RETRY_SECONDS
        if client is not None:
            self._close_client()
        try:
            self._client = self._distributed.Client(
                self.address, timeout=DASK_CONNECT_SECONDS, set_as_default=False
            )
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address
            log.warning(
                "cannot reach the Dask scheduler at %s (%s); retrying",
                self.address,
                type(exc).__name__,
            )
            return None
        self._counted = -float("inf")
        log.info("connected to the Dask scheduler at %s", self.address)
        return self._client

    def capacity(self) -> int:
        client = self._connected()
        if client is None:
            return 0
        if time.monotonic() - self._counted > DASK_RETRY_SECONDS:
            try:
                self._threads = max(1, sum(client.nthreads().values()))
            except Exception as exc:  # keep the last count
                log.warning("Dask scheduler: %s while counting workers", type(exc).__name__)
            self._counted = time.monotonic()
        return self._threads

    def submit(self, key: str, args: tuple[Any, ...]) -> JobFuture:
        client = self._connected()
        if client is None:
            raise ExecutorUnavailable(f"the Dask scheduler at {self.address} is not reachable")
        try:
            future: JobFuture = client.submit(run_check, *args, key=key, pure=False)
        except Exception as exc:
            raise ExecutorUnavailable(f"Dask scheduler: {type(exc).__name__}") from None
        return future

    def _close_client(self) -> None:
        try:
            self._client.close(timeout=DASK_CONNECT_SECONDS)
        except Exception as exc:  # already gone
            log.debug("Dask client close: %s", type(exc).__name__)
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            self._close_client()


def make_executor(settings: ApiSettings) -> Executor:
    """A :class:`DaskExecutor` when ``settings.dask_scheduler`` is set, else a process pool."""
    if settings.dask_scheduler:
        return DaskExecutor(settings.dask_scheduler)
    return PoolExecutor(settings.worker_processes, settings.worker_nice, settings.nlp_model)


def collect(
    fut: JobFuture, timeout: float, last_try: bool
) -> tuple[CheckOutcome | None, BaseException | None] | None:
    """The outcome of a finished task, or what went wrong (its exception, a cancellation).

    None when a Dask result was computed but could not be fetched within ``timeout`` (a busy
    client or worker): the caller tries again later, unless this was its ``last_try``.
    """
    try:
        outcome = fut.result(timeout=timeout)
    except TimeoutError as exc:
        if getattr(fut, "status", None) == "finished" and not last_try:
            return None
        return None, exc
    except Exception as exc:
        return None, exc
    if not isinstance(outcome, CheckOutcome):
        return None, TypeError("the check returned no outcome")
    return outcome, None
