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

from triage.context import DEFAULT_NLP_MODEL  # inside this folder: needs no mapping below

__version__ = "0.1.0"

# In a source checkout whose root is on sys.path (``python -c`` or a notebook started at the
# repository root), ``triage`` is this folder and the sibling folders are not inside it; map
# them in as the installed package does (``triage.classifiers`` -> ``classifiers/`` ...).
_ROOT = Path(__file__).resolve().parent.parent
if (
    not (Path(__file__).parent / "classifiers").is_dir()
    and (_ROOT / "classifiers" / "__init__.py").is_file()
):
    __path__.append(str(_ROOT))

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
    nlp_model: str | None = DEFAULT_NLP_MODEL,
    raise_if_blocked: bool = False,
) -> Report:
    """Check ``paths`` (one submission) for ``destination`` and return the report.

    ``key`` is the pseudonymisation key (default: ``$TRIAGE_PSEUDONYM_KEY``); ``nlp_model``
    names an installed spaCy model or a model directory, ``None`` for pattern-only mode.
    With ``out``, report.json/.md/.html and released files are written there. With
    ``raise_if_blocked``, a decision that releases nothing (``refer``, ``withhold``) raises
    :class:`~triage.errors.ReleaseBlocked` carrying the report, for pipelines that must stop.
    """
    from triage.errors import ReleaseBlocked
    from triage.runner import check_paths, default_context, read_key
    from triage.vocab import Decision, Destination

    ctx = default_context(key=key if key is not None else read_key(), nlp_model=nlp_model)
    report = check_paths(
        [Path(p) for p in paths],
        Destination(destination),
        Path(out) if out is not None else None,
        ctx,
        Path(policy) if policy is not None else None,
    )
    if raise_if_blocked and report.decision in (Decision.REFER, Decision.WITHHOLD):
        raise ReleaseBlocked(report)
    return report
