"""Run a check in a child process that is killed at its time limit.

A check can spend its time inside C extensions (a Parquet decoder, a regular expression, a
GDAL reader) where no signal handler runs, so it is not asked to stop: its process group is
killed (``SIGKILL``). The child's output is captured and handed back, so the caller prints it
as if the work had run in place.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from triage.io.outputs import staged_outputs, stages, withdraw
from triage.models import Problem, Report
from triage.report.html_page import render_html
from triage.report.markdown import render_markdown
from triage.vocab import Decision, Destination

#: what the child runs: given a progress callback, returns an exit code
Work = Callable[[Callable[[str], None]], int]


@dataclass(frozen=True)
class Outcome:
    """How the child ended: its exit code and output, or why it gave none."""

    code: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    #: the signal that ended the child when it died without an answer
    signal: int | None = None


def run_limited(work: Work, seconds: float, progress: Callable[[str], None]) -> Outcome:
    """Run ``work`` in a forked child; kill it (and any process it started) after ``seconds``.

    The child's progress messages are passed to ``progress`` as they come. An interrupt of
    the parent kills the child too and is raised again.
    """
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(work, writer), name="triage-check")
    child.start()
    writer.close()
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                _kill(child)
                return Outcome(None, timed_out=True)
            if not reader.poll(min(left, 0.5)):
                continue
            try:
                kind, payload = reader.recv()
            except EOFError:  # died without an answer (killed, out of memory, crashed)
                child.join()
                code = child.exitcode
                return Outcome(None, signal=-code if code is not None and code < 0 else None)
            if kind == "progress":
                progress(str(payload))
                continue
            child.join()
            code, out, err = payload
            return Outcome(int(code), str(out), str(err))
    except BaseException:
        _kill(child)
        raise
    finally:
        reader.close()


def _child(work: Work, writer: Connection) -> None:
    """The child's body: its own process group (so it can be killed whole), output captured,
    the exit code and output sent back last."""
    os.setpgrp()
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    code = 1
    try:
        code = work(lambda message: _send(writer, ("progress", message)))
    finally:
        _send(writer, ("done", (code, out.getvalue(), err.getvalue())))
        writer.close()


def _send(writer: Connection, message: tuple[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
        writer.send(message)


def _kill(child: Any) -> None:
    """Kill the child's process group, then reap the child."""
    if child.pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    child.kill()  # not yet its own group leader
    child.join()


def stopped_report(destination: Destination, names: list[str], seconds: float) -> Report:
    """The report of a check stopped at its time limit: ``refer``, nothing checked or
    released, the limit named."""
    problem = Problem(
        kind="check_timeout",
        message=(
            f"the check of {', '.join(names)} ran past its time limit of {seconds:,g} s "
            "(--timeout) and was stopped: nothing was checked and nothing is released; a "
            "person must check the data, or split it, or allow more time"
        ),
        forces=Decision.REFER,
    )
    return Report(
        decision=Decision.REFER,
        destination=destination,
        datasets=[],
        problems=[problem],
        decision_reason=problem.message,
    )


def clean_up(out_dir: Path, before: set[Path]) -> None:
    """After a child that died or was killed: remove the staging folders it left behind
    (those not in ``before``) and the previous run's outputs, as after any failure."""
    for stage in stages(out_dir) - before:
        shutil.rmtree(stage, ignore_errors=True)
    withdraw(out_dir)


def write_stopped(out_dir: Path, report: Report, before: set[Path]) -> None:
    """Write ``report`` as the whole output of a stopped run into ``out_dir``, after
    :func:`clean_up`."""
    clean_up(out_dir, before)
    with staged_outputs(out_dir) as stage:
        (stage / "report.md").write_text(render_markdown(report), encoding="utf-8")
        (stage / "report.html").write_text(render_html(report), encoding="utf-8")
        (stage / "report.json").write_text(
            json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
