"""Rulebook validation in a process of its own, killed when it runs too long.

A submitted rulebook is parsed in a fresh process (``forkserver``, preloaded with the rules
package), so a costly rulebook never holds the service's event loop or GIL.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from triage.api.schemas import RulebookInfo
from triage.rules import parse_rulebook

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["triage.rules"])


def rulebook_info(rb: Any) -> RulebookInfo:
    """A loaded rulebook's identity."""
    return RulebookInfo(
        name=rb.name,
        version=str(rb.version),
        destination=rb.destination.value,
        description=rb.description or "",
        sha256=rb.sha256,
        rules=len(rb.rules),
    )


def _validate_child(data: bytes, conn: Connection) -> None:
    """Child process: parse the rulebook, send ``(kind, payload)`` back."""
    from triage.errors import RulebookError

    try:
        rb = parse_rulebook(data, "submitted.yaml")
    except RulebookError as exc:
        conn.send(("invalid", str(exc)))
    except Exception:
        conn.send(("error", ""))
    else:
        conn.send(("ok", rulebook_info(rb).model_dump()))
    conn.close()


def validate_isolated(data: bytes, seconds: float) -> tuple[str, Any]:
    """Run :func:`_validate_child` in a fresh process; kill it after ``seconds``."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    proc = _CONTEXT.Process(target=_validate_child, args=(data, sender), daemon=True)
    proc.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            try:
                result: tuple[str, Any] = receiver.recv()
            except EOFError:
                return ("error", "")
            return result
        return ("timeout", "")
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
