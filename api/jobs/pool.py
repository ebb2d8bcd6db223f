"""Local check processes the worker can stop: one spawned process per slot, each running one
check at a time.

A :class:`concurrent.futures.ProcessPoolExecutor` cannot stop a running task, so a check past
its time limit kept its process until it ended (an XLSX declaring ``A1:XFD1048576`` held one
for about 45 minutes). Here each slot is its own process, started when the worker starts and
prepared once (niced, engine imported, NLP model loaded: :func:`triage.api.jobs.run.
prepare_process`), and fed checks one at a time over a pipe; :meth:`CheckFuture.cancel` kills
that process (``SIGKILL``) and a fresh one takes the slot.

Check processes never outlive the worker: on Linux each asks the kernel for ``SIGKILL`` when
its parent dies (``prctl(PR_SET_PDEATHSIG)``), and everywhere a watchdog thread exits the
process once its parent process is gone (a ``kill -9`` of the service).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnProcess
from typing import Any

from triage.api.jobs.run import prepare_process, run_check

#: ``prctl`` option asking for a signal when the parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1
#: Seconds between the watchdog's looks at the parent process
WATCH_SECONDS = 1.0
#: Seconds an idle check process is given to exit by itself when the pool closes
EXIT_SECONDS = 5.0

Check = Callable[..., Any]


class CheckProcessDied(RuntimeError):
    """The check's process ended without an answer (killed, out of memory, crashed)."""


class CheckStopped(RuntimeError):
    """The check was stopped (its process killed) before it answered."""


class PoolBusy(RuntimeError):
    """Every check process is running a check."""


def set_parent_death_signal() -> bool:
    """Ask the kernel to ``SIGKILL`` this process when the thread that started it ends
    (Linux ``prctl``); False where that is unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when process ``parent_pid`` (its parent) ends: the parent-death
    signal, and a watchdog thread for where it is missing or the signal was lost."""
    set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="triage-parent-watch", daemon=True).start()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {str(exc)[:300]}")
    return exc


def serve_checks(
    conn: Connection, parent_pid: int, nice: int, nlp_model: str | None, check: Check | None
) -> None:
    """A check process: prepare once, then run each argument tuple received on ``conn`` with
    ``check`` (default :func:`triage.api.jobs.run.run_check`), answering ``("ok", outcome)`` or
    ``("error", exception)``, until the pipe closes."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service decides when checks stop
    os.umask(0o077)
    prepare_process(nice, nlp_model)
    conn.send(("ready", None))
    run = check or run_check
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("ok", run(*args))
        except BaseException as exc:
            answer = ("error", _portable(exc))
        conn.send(answer)


class _Slot:
    """One check process and its pipe; restarted after it died or was killed."""

    def __init__(self, nice: int, nlp_model: str | None, check: Check | None) -> None:
        self._args = (nice, nlp_model, check)
        self.future: CheckFuture | None = None
        self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc: SpawnProcess = ctx.Process(
            target=serve_checks,
            args=(child, os.getpid(), *self._args),
            name="triage-check",
            daemon=True,
        )
        self.proc.start()
        child.close()
        self.ready_at: float | None = None

    @property
    def free(self) -> bool:
        return self.future is None or self.future.done()

    def run(self, args: tuple[Any, ...]) -> CheckFuture:
        """Hand ``args`` to this slot's process (a fresh one if it died)."""
        if not self.proc.is_alive():
            self.restart()
        while self.ready_at is None and self.conn.poll():  # prepared while idle
            self._read()
        try:
            self.conn.send(args)
        except (OSError, ValueError):  # the process died just now: once more, fresh
            self.restart()
            self.conn.send(args)
        self.future = CheckFuture(self)
        return self.future

    def _read(self) -> tuple[str, Any] | None:
        """The next message (None at the end of the pipe); notes when the process is ready."""
        try:
            message: tuple[str, Any] = self.conn.recv()
        except (EOFError, OSError):
            return None
        if message[0] == "ready":
            self.ready_at = time.monotonic()
        return message

    def answer(self, timeout: float | None) -> tuple[str, Any] | None:
        """The running check's answer, waiting up to ``timeout`` seconds (None: not yet)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait([self.conn, self.proc.sentinel], left)
            message = self._read() if self.conn in ready or self.conn.poll() else None
            if message is None or message[0] != "ready":
                break
        if message is not None:
            return message
        if ready:  # the process ended without an answer
            self.proc.join(1)
            code = self.proc.exitcode
            self.restart()
            return ("error", CheckProcessDied(f"the check process died (exit code {code})"))
        return None

    def kill(self) -> None:
        """Kill the process (whatever it is doing) and start a fresh one."""
        self.restart()

    def restart(self) -> None:
        self._stop(kill=True)
        self._start()

    def _stop(self, kill: bool) -> None:
        self.conn.close()  # an idle process reads EOF and exits
        if kill or not self.free:
            self.proc.kill()
        self.proc.join(EXIT_SECONDS)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.proc.close()

    def close(self) -> None:
        """Stop for good: an idle process exits, a running check is killed."""
        with contextlib.suppress(ValueError):  # closed already
            self._stop(kill=False)


class CheckFuture:
    """A check running in a :class:`CheckPool` slot (the worker's ``JobFuture``)."""

    def __init__(self, slot: _Slot) -> None:
        self._slot = slot
        self._answer: tuple[str, Any] | None = None
        self._submitted = time.monotonic()

    @property
    def started_at(self) -> float | None:
        """When the check began to run (``time.monotonic``): its process was prepared (the
        engine imported, the model loaded) by then; None while that is still under way."""
        ready = self._slot.ready_at
        return None if ready is None else max(ready, self._submitted)

    def done(self) -> bool:
        """Whether the check answered, failed, or was stopped."""
        if self._answer is None:
            self._answer = self._slot.answer(0)
        return self._answer is not None

    def result(self, timeout: float | None = None) -> Any:
        """The check's outcome; raises what the check raised, :class:`CheckProcessDied`,
        :class:`CheckStopped`, or ``TimeoutError`` when it has not answered in time."""
        if self._answer is None:
            self._answer = self._slot.answer(timeout)
        if self._answer is None:
            raise TimeoutError("the check has not finished")
        kind, value = self._answer
        if kind == "ok":
            return value
        raise value

    def cancel(self) -> bool:
        """Stop the check now: its process is killed (a fresh one takes the slot)."""
        if not self.done():
            self._slot.kill()
            self._answer = ("error", CheckStopped("the check was stopped"))
        return True

    @property
    def pid(self) -> int | None:
        """The process running this check."""
        return self._slot.proc.pid


class CheckPool:
    """``processes`` check processes, started (and prepared) at once."""

    def __init__(
        self,
        processes: int,
        nice: int = 0,
        nlp_model: str | None = None,
        check: Check | None = None,
    ) -> None:
        self._slots = [_Slot(nice, nlp_model, check) for _ in range(max(1, processes))]

    @property
    def size(self) -> int:
        """How many checks run at once."""
        return len(self._slots)

    def submit(self, args: tuple[Any, ...]) -> CheckFuture:
        """Run a check with ``args`` in a free process.

        Raises
        ------
        PoolBusy
            Every process is running a check.
        """
        slot = next((s for s in self._slots if s.free), None)
        if slot is None:
            raise PoolBusy("every check process is busy")
        return slot.run(args)

    def pids(self) -> list[int]:
        """The ids of the check processes running now."""
        out = []
        for slot in self._slots:
            with contextlib.suppress(ValueError):  # closed
                if slot.proc.is_alive() and slot.proc.pid is not None:
                    out.append(slot.proc.pid)
        return out

    def close(self) -> None:
        """Stop every process: idle ones exit, running checks are killed."""
        for slot in self._slots:
            slot.close()
