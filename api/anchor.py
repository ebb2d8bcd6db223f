"""The audit log's anchor: an HMAC-SHA256 over its head, under a key kept outside the database.

The hash chain of :mod:`triage.api.audit` shows an edited entry only to someone who does not
recompute the chain, and shows nothing when the newest entries are deleted. Every append
therefore also writes the head (sequence number and hash) with ``HMAC(key, seq|hash)`` to
the one-row ``audit_head`` table; the key lives in a file (``TRIAGE_AUDIT_KEY_FILE``, default
``<user data dir>/triage/audit.key``, created with mode 0600 on first use), so someone who
can write the database but not read that file can neither re-chain the log nor move its head
back without :func:`~triage.api.audit.verify_audit` noticing. An old head copied back from a
backup is caught by a checkpoint (:func:`make_checkpoint`) kept elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from triage.errors import ConfigError, StoreError

#: Environment variable naming the audit key file.
AUDIT_KEY_ENV = "TRIAGE_AUDIT_KEY_FILE"
#: The checkpoint file's format tag.
CHECKPOINT_FORMAT = "triage-audit-checkpoint/1"
_MIN_KEY_BYTES = 32
_KEYS: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()
_KEYS_GUARD = threading.Lock()


def audit_key_path(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The audit key file: ``explicit``, else ``$TRIAGE_AUDIT_KEY_FILE``, else
    ``<user data dir>/triage/audit.key``."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ if environ is None else environ
    if env.get(AUDIT_KEY_ENV):
        return Path(env[AUDIT_KEY_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("triage")) / "audit.key"


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(_MIN_KEY_BYTES) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def load_audit_key(path: Path, create: bool = False) -> bytes:
    """The audit key in ``path`` (made, mode 0600, when absent and ``create``).

    Raises
    ------
    ConfigError
        The file is missing (and not to be created), unreadable, shorter than 32 bytes or
        readable by other users.
    """
    if create and not path.exists():
        try:
            _create(path)
        except OSError as exc:
            raise ConfigError(f"cannot create the audit key {path}: {exc.strerror}") from None
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise ConfigError(f"the audit key {path} is readable by others: chmod 600 it")
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no audit key at {path} (set {AUDIT_KEY_ENV} or --audit-key to the service's)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the audit key {path}: {exc.strerror}") from None
    if len(key) < _MIN_KEY_BYTES:
        raise ConfigError(f"the audit key {path} is shorter than {_MIN_KEY_BYTES} bytes")
    return key


def bind_key(engine: Engine, key: bytes) -> None:
    """Sign the audit head of ``engine``'s database with ``key`` from now on."""
    with _KEYS_GUARD:
        _KEYS[engine] = key


def bound_key(engine: Engine) -> bytes:
    """The audit key bound to ``engine``; a StoreError (nothing is written) when none is."""
    with _KEYS_GUARD:
        key = _KEYS.get(engine)
    if key is None:
        raise StoreError("the audit key is not loaded; nothing can be audited")
    return key


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, entry_hash: str) -> str:
    """The HMAC anchoring the head ``(seq, entry_hash)``."""
    return _mac(key, f"triage-audit-head/1|{seq}|{entry_hash}")


def head_valid(key: bytes, seq: int, entry_hash: str, mac: str) -> bool:
    """True when ``mac`` anchors ``(seq, entry_hash)`` under ``key``."""
    return hmac.compare_digest(head_mac(key, seq, entry_hash), str(mac))


def _checkpoint_message(seq: int, entry_hash: str, at: str) -> str:
    return f"{CHECKPOINT_FORMAT}|{seq}|{entry_hash}|{at}"


def make_checkpoint(key: bytes, seq: int, entry_hash: str, at: str) -> dict[str, Any]:
    """A signed checkpoint of the head, to keep outside the database."""
    mac = _mac(key, _checkpoint_message(seq, entry_hash, at))
    return {"format": CHECKPOINT_FORMAT, "seq": seq, "hash": entry_hash, "at": at, "hmac": mac}


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint file's fields (``seq``, ``hash``, ``at``, ``hmac``), not yet verified.

    Raises
    ------
    ConfigError
        Unreadable, not JSON or not a checkpoint.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the checkpoint {path.name}: {exc}") from None
    fields = {"format": str, "seq": int, "hash": str, "at": str, "hmac": str}
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path.name} is not an audit checkpoint")
    for name, kind in fields.items():
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
            raise ConfigError(f"the checkpoint {path.name} has no valid {name!r}")
    return data


def checkpoint_valid(key: bytes, checkpoint: Mapping[str, Any]) -> bool:
    """True when the checkpoint's HMAC verifies under ``key``."""
    message = _checkpoint_message(checkpoint["seq"], checkpoint["hash"], checkpoint["at"])
    return hmac.compare_digest(_mac(key, message), str(checkpoint["hmac"]))
