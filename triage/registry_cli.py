"""``triage registry add | list | show | remove`` and ``check --record``: the edge around
:mod:`triage.store.register`.

These functions read files, the clock and the user name, and return lines for the command
line. No line holds a raw cell value: names, counts, roles, entities, hashes and sizes only.
"""

from __future__ import annotations

import datetime as dt
import getpass
import importlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd

from triage.classifiers.columns import DatasetClassification, classify_dataset
from triage.classifiers.text import TextAnalyzer
from triage.context import Limits, NlpSettings, RunContext
from triage.dataset import Dataset
from triage.errors import ConfigError, DataInputError
from triage.io.formats import EXTENSIONS, load_dataset
from triage.io.workbook import load_workbook
from triage.store.register import NewRelease, ReleaseStore, ReleaseSummary

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current time in UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


def current_user() -> str:
    """The login name of the user running triage, or ``unknown``."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


FingerprintFunction = Callable[[pd.DataFrame, DatasetClassification, "bytes | None"], Any]


def fingerprint_function() -> FingerprintFunction:
    """``triage.mosaic.linkage.fingerprint`` (or, while that is not exported yet,
    ``triage.mosaic.profile.fingerprint``).

    Raises
    ------
    ConfigError
        Neither is available.
    """
    for module_name in ("triage.mosaic.linkage", "triage.mosaic.profile"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        function = getattr(module, "fingerprint", None)
        if callable(function):
            return cast(FingerprintFunction, function)
    raise ConfigError("fingerprinting (triage.mosaic.linkage.fingerprint) is not available")


def compute_fingerprint(
    frame: pd.DataFrame, classification: DatasetClassification, key: bytes | None
) -> dict[str, Any]:
    """Adapter over :func:`triage.mosaic.linkage.fingerprint` returning plain JSON data.

    Raises
    ------
    ConfigError
        Fingerprinting is not available, or the fingerprint is not a JSON object.
    """
    raw = fingerprint_function()(frame, classification, key)
    try:
        plain = json.loads(json.dumps(raw, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"the fingerprint is not plain JSON data: {exc}") from None
    if not isinstance(plain, dict):
        raise ConfigError("the fingerprint must be a JSON object")
    return plain


def columns_json(classification: DatasetClassification) -> dict[str, dict[str, Any]]:
    """Column roles, entities and kinds as JSON data (no values)."""
    return {
        name: {
            "role": c.role.value,
            "entities": [e.value for e in c.entities],
            "qi_kind": c.qi_kind,
            "sensitive_kind": c.sensitive_kind,
        }
        for name, c in classification.columns.items()
    }


def build_release(
    *,
    name: str,
    dataset_sha256: str,
    frame: pd.DataFrame,
    classification: DatasetClassification,
    key: bytes | None,
    released_at: dt.datetime,
    created_by: str,
    destination: str | None = None,
    recipient: str | None = None,
    purpose: str | None = None,
    rulebook_name: str | None = None,
    rulebook_version: str | None = None,
    rulebook_sha256: str | None = None,
    supersedes_id: int | None = None,
) -> NewRelease:
    """A :class:`~triage.store.NewRelease` for ``frame`` (the data as released)."""
    return NewRelease(
        name=name,
        dataset_sha256=dataset_sha256,
        rows=len(frame),
        columns=columns_json(classification),
        fingerprint=compute_fingerprint(frame, classification, key),
        released_at=released_at,
        created_by=created_by,
        destination=destination,
        recipient=recipient,
        purpose=purpose,
        rulebook_name=rulebook_name,
        rulebook_version=rulebook_version,
        rulebook_sha256=rulebook_sha256,
        supersedes_id=supersedes_id,
    )


def add(
    path: Path,
    name: str,
    registry_url: str | None = None,
    destination: str | None = None,
    recipient: str | None = None,
    purpose: str | None = None,
    key: bytes | None = None,
    *,
    nlp_model: str | None = NlpSettings().model,
    limits: Limits | None = None,
    clock: Clock = utc_now,
    user: str | None = None,
    environ: Mapping[str, str] | None = None,
    supersedes: str | None = None,
) -> int:
    """Record the file at ``path`` as already released under ``name``; returns the release id.

    The file is loaded, classified (with ``nlp_model``, or pattern-only when None) and
    fingerprinted; only the fingerprint, roles and hashes are stored, never the data.
    ``supersedes`` names the release this one is a new version of (its newest entry).
    """
    if not name.strip():
        raise ConfigError("a release needs a non-empty --name")
    supersedes_id: int | None = None
    if supersedes is not None:
        with ReleaseStore.open(registry_url, environ) as store:
            earlier = store.latest_named(supersedes)
        if earlier is None:
            raise ConfigError(f"no release named {supersedes!r} in the register to supersede")
        supersedes_id = earlier.id
    ctx = RunContext(pseudonym_key=key, limits=limits or Limits(), nlp=NlpSettings(nlp_model))
    dataset = _one_table(Path(path), ctx.limits)
    text = TextAnalyzer.create(ctx.nlp)
    classification = classify_dataset(dataset.frame, ctx, text)
    release = build_release(
        name=name,
        dataset_sha256=dataset.sha256,
        frame=dataset.frame,
        classification=classification,
        key=key,
        released_at=clock(),
        created_by=user or current_user(),
        destination=destination,
        recipient=recipient,
        purpose=purpose,
        supersedes_id=supersedes_id,
    )
    with ReleaseStore.open(registry_url, environ) as store:
        return store.add(release)


def _one_table(path: Path, limits: Limits) -> Dataset:
    """The file's one table; a workbook of several non-empty sheets is refused, not read
    as its first sheet (:mod:`triage.io.workbook`)."""
    if EXTENSIONS.get(path.suffix.lower()) != "xlsx":
        return load_dataset(path, limits)
    datasets = load_workbook(path, limits).datasets
    if len(datasets) > 1:
        raise DataInputError(
            f"{path.name}: a workbook of {len(datasets)} non-empty sheets; "
            "register each sheet as a file of its own"
        )
    return datasets[0]


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(s: ReleaseSummary) -> str:
    fields = [
        str(s.id),
        _when(s.released_at),
        s.name,
        s.destination or "-",
        s.recipient or "-",
        f"{s.rows} rows",
        f"{len(s.columns)} columns",
    ]
    if s.removed:
        fields.append(f"removed {_when(s.removed_at)}")
    return "\t".join(fields)


def list_releases(
    registry_url: str | None = None,
    include_removed: bool = False,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """One tab-separated line per release: id, released at, name, destination, recipient,
    rows, columns (and the removal time with ``include_removed``)."""
    with ReleaseStore.open(registry_url, environ) as store:
        return [_line(s) for s in store.list_releases(include_removed)]


def _fingerprint_outline(fingerprint: dict[str, Any]) -> str:
    size = len(json.dumps(fingerprint, separators=(",", ":")))
    parts = []
    for k, v in sorted(fingerprint.items()):
        parts.append(f"{k}[{len(v)}]" if isinstance(v, list | dict) else str(k))
    return f"{size} bytes JSON: " + ", ".join(parts)


def show(
    release_id: int, registry_url: str | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Lines describing one release: metadata, column roles and entities, fingerprint outline."""
    with ReleaseStore.open(registry_url, environ) as store:
        r = store.get(release_id)
    lines = [
        f"id: {r.id}",
        f"name: {r.name}",
        f"released at: {_when(r.released_at)}",
        f"destination: {r.destination or '-'}",
        f"recipient: {r.recipient or '-'}",
        f"purpose: {r.purpose or '-'}",
        f"rulebook: {r.rulebook_name or '-'} {r.rulebook_version or ''}".rstrip(),
        f"dataset sha256: {r.dataset_sha256}",
        f"rows: {r.rows}",
        f"recorded by: {r.created_by} at {_when(r.created_at)}",
    ]
    if r.removed:
        reason = f" ({r.removal_reason})" if r.removal_reason else ""
        lines.append(f"removed: {_when(r.removed_at)} by {r.removed_by}{reason}")
    lines.append(f"columns: {len(r.columns)}")
    for col, info in r.columns.items():
        entities = ", ".join(info.get("entities") or []) or "-"
        lines.append(f"  {col}: {info.get('role', '?')} [{entities}]")
    lines.append(f"fingerprint: {_fingerprint_outline(r.fingerprint)}")
    return lines


def remove(
    release_id: int,
    registry_url: str | None = None,
    reason: str | None = None,
    *,
    clock: Clock = utc_now,
    user: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Remove a release from checks (kept on record with who, when and why); one line."""
    with ReleaseStore.open(registry_url, environ) as store:
        s = store.remove(release_id, user or current_user(), clock(), reason)
    return f"removed release {s.id} ({s.name}) at {_when(s.removed_at)}"


def build_releases(
    released: Mapping[str, tuple[pd.DataFrame, str, DatasetClassification]],
    *,
    key: bytes | None,
    destination: str,
    rulebook_name: str | None,
    rulebook_version: str | None,
    rulebook_sha256: str | None,
    released_at: dt.datetime,
    created_by: str,
    recipient: str | None = None,
    purpose: str | None = None,
    supersedes: Mapping[str, int] | None = None,
) -> list[NewRelease]:
    """The releases to record for datasets ``name -> (frame as released, sha256 of the
    released bytes or the input, classification of that frame)``, in that order: what
    ``check --record`` adds to the register and the service commits with a decision.
    ``supersedes`` maps a dataset to the release id it is a new version of."""
    return [
        build_release(
            name=name,
            dataset_sha256=sha,
            frame=frame,
            classification=classification,
            key=key,
            released_at=released_at,
            created_by=created_by,
            destination=destination,
            recipient=recipient,
            purpose=purpose,
            rulebook_name=rulebook_name,
            rulebook_version=rulebook_version,
            rulebook_sha256=rulebook_sha256,
            supersedes_id=(supersedes or {}).get(name),
        )
        for name, (frame, sha, classification) in released.items()
    ]
