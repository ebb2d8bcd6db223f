"""The Transform plug-in interface.

A transform takes a frame, the columns it applies to, validated ``Params`` and a
:class:`TransformContext`, and returns a :class:`TransformResult` holding a *new* frame (the
input is never changed) plus counts and notes for the report. Transforms are deterministic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from triage.context import RunContext

if TYPE_CHECKING:
    from triage.sites import SiteRegister
from triage.errors import ConfigError


class TextRedactor(Protocol):
    """Anything that can redact entities in free text (e.g. ``triage.classifiers.text``)."""

    def redact(self, texts: list[str]) -> list[str]:
        """Texts with entity spans replaced by placeholders, same length and order."""
        ...


@dataclass(frozen=True)
class TransformContext:
    """What a transform may use besides the data: run context, QI kinds, text redactor."""

    run: RunContext
    qi_kinds: dict[str, str | None] = field(default_factory=dict)
    text: TextRedactor | None = None
    #: words that identify people in this dataset (e.g. from its name column), always
    #: redacted from free text even where NER misses them
    deny_terms: frozenset[str] = frozenset()
    #: the sensitive-site register given for the run (``drop_near_sites``), if any
    sites: SiteRegister | None = None


@dataclass(frozen=True)
class TransformResult:
    """A transform's new frame, a one-line description and what changed."""

    frame: pd.DataFrame
    description: str
    cells_changed: int
    rows_removed: int = 0
    column_notes: dict[str, str] = field(default_factory=dict)


class TransformParams(BaseModel):
    """Base of transform parameters: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=TransformParams)


class Transform(ABC, Generic[P]):
    """Base class of transforms; subclasses set ``id``, ``Params`` and implement ``apply``."""

    id: ClassVar[str]
    version: ClassVar[str] = "1"
    Params: type[P]

    def parse_params(self, raw: Mapping[str, Any] | P | None = None) -> P:
        """Validate raw parameters (a mapping) into ``Params``; ConfigError when invalid."""
        if isinstance(raw, self.Params):
            return raw
        try:
            return self.Params.model_validate(dict(raw or {}))
        except ValidationError as exc:
            raise ConfigError(f"transform {self.id!r}: invalid params: {exc}") from exc

    def validate(
        self, frame: pd.DataFrame, columns: list[str], raw: Mapping[str, Any] | P | None = None
    ) -> P:
        """Check the columns exist and parse the params; ConfigError otherwise."""
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ConfigError(f"transform {self.id!r}: unknown column(s) {missing}")
        return self.parse_params(raw)

    def run(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        raw: Mapping[str, Any] | P | None,
        tctx: TransformContext,
    ) -> TransformResult:
        """``validate`` then ``apply``."""
        params = self.validate(frame, columns, raw)
        return self.apply(frame, columns, params, tctx)

    @abstractmethod
    def apply(
        self, frame: pd.DataFrame, columns: list[str], params: P, tctx: TransformContext
    ) -> TransformResult:
        """Apply the transform, returning a new frame (``frame`` is not changed)."""


def series_like(values: np.ndarray, like: pd.Series) -> pd.Series:
    """A series of ``values`` (object array, None for missing) with ``like``'s index and name.

    Keeps ``like``'s dtype when it is a string dtype, else object.
    """
    out = pd.Series(values, index=like.index, name=like.name, dtype=object)
    if isinstance(like.dtype, pd.StringDtype):
        return out.astype(like.dtype)
    return out


def changed_cells(before: pd.Series, after: pd.Series) -> int:
    """Number of positions where two aligned series differ (missing equals missing)."""
    a = before.to_numpy(dtype=object)
    b = after.to_numpy(dtype=object)
    na_a = pd.isna(a)
    na_b = pd.isna(b)
    same = (na_a & na_b) | (~na_a & ~na_b & (a == b))
    return int((~same).sum())
