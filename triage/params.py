"""The engine's parameters of a rulebook, typed and checked when the rulebook is loaded.

A rulebook's ``params`` mapping feeds three readers: the engine (``k``, ``table_threshold``...),
the rules' CEL conditions (``params.k``) and the treatments (``$max_suppression``). The engine's
keys are declared here once, with their types, bounds and defaults, so a misspelt or ill-typed
value is a load error (``RulebookError``) instead of a silent fall-back to the default. A key
that is not the engine's is the rulebook's own and must be used by one of its rules (as
``params.NAME`` or ``$NAME``); an unused unknown key is taken for a misspelling and refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "DOC_REFER_BELOW",
    "DOC_WITHHOLD_SHARE",
    "EngineParams",
    "engine_params",
    "unknown_params",
]

#: documents: findings scoring below this are low-confidence (the decision becomes refer)
DOC_REFER_BELOW = 0.6
#: documents: share of exempt content blocks above which the document is withheld
DOC_WITHHOLD_SHARE = 0.5


class EngineParams(BaseModel):
    """What the engine reads from a rulebook's ``params`` (defaults when a key is absent)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: k-anonymity target for person-level data
    k: int = Field(default=5, ge=1)
    #: distinct l-diversity target (none: not required)
    l: int | None = Field(default=None, ge=1)  # noqa: E741 - the literature's name
    #: c of recursive (c, l)-diversity (none: not measured)
    c: float | None = Field(default=None, gt=0)
    #: sensitive attributes measured with the ordered distance in t-closeness
    t_ordered: dict[str, str | list[str]] | None = None
    #: how a missing quasi-identifier value counts in equivalence classes
    missing: Literal["own_value", "matches_any"] = "own_value"
    #: column of survey weights (population estimates) for the risk measures
    weights_column: str | None = None
    #: share of records a treatment may suppress
    max_suppression: float = Field(default=0.05, ge=0.0, le=1.0)
    #: largest acceptable individual re-identification risk
    max_individual_risk: float = Field(default=0.1, ge=0.0, le=1.0)
    #: a missing or incomplete triage answers file forces refer
    require_context: bool = False
    #: aggregate tables: counts below this are suppressed
    table_threshold: int = Field(default=10, ge=1)
    #: dominance (n, k) rule for magnitude tables
    dominance_n: int = Field(default=2, ge=1)
    dominance_k: float = Field(default=85.0, gt=0.0, le=100.0)
    #: p% rule for magnitude tables (none: off)
    p_percent: float | None = Field(default=10.0, gt=0.0, le=100.0)
    #: cells with fewer contributors than this are sensitive (none: off)
    min_contributors: int | None = Field(default=None, ge=1)
    #: buffer in metres around each category of sensitive site
    site_buffers_m: dict[str, float] | None = None
    #: headers of a post held by a named person (a regular expression)
    staff_post_headers: str | None = None
    #: entities that point at a person wherever they appear in a structured column
    person_entities: tuple[str, ...] = ()
    #: entities that are public contact details in a column of organisations
    organisation_contacts: tuple[str, ...] = ()
    #: entities that make free text personal
    text_entities: tuple[str, ...] = ()
    #: entities of ``text_entities`` that the free text of a dataset about places may keep
    #: (the places' own addresses, the deceased they commemorate)
    place_entities: tuple[str, ...] = ()
    #: entities through which datasets link (third-party sharing)
    linkage_entities: tuple[str, ...] = ()
    #: documents: findings scoring below this make the decision refer
    doc_refer_below: float = Field(default=DOC_REFER_BELOW, ge=0.0, le=1.0)
    #: documents: share of exempt content blocks above which the document is withheld
    doc_withhold_share: float = Field(default=DOC_WITHHOLD_SHARE, ge=0.0, le=1.0)

    @field_validator("site_buffers_m")
    @classmethod
    def _buffers_not_negative(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for category, metres in (value or {}).items():
            if metres < 0:
                raise ValueError(f"buffer of {category!r} is negative")
        return value

    @field_validator("staff_post_headers")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value


def engine_params(params: Mapping[str, Any]) -> EngineParams:
    """The typed engine parameters of ``params`` (ValueError naming the key when one is bad)."""
    try:
        return EngineParams.model_validate(dict(params))
    except ValidationError as exc:
        problems = "; ".join(
            f"params.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(problems) from None


def unknown_params(params: Mapping[str, Any], rule_text: str) -> list[str]:
    """Messages for keys that are neither the engine's nor used in ``rule_text`` (the rules'
    conditions and treatments as written), each with the nearest engine key when one is close."""
    used = set(re.findall(r"(?:\bparams\.|\$)([A-Za-z_]\w*)", rule_text))
    known = list(EngineParams.model_fields)
    messages = []
    for key in params:
        if key in EngineParams.model_fields or key in used:
            continue
        near = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        messages.append(
            f"params.{key}: not an engine parameter and no rule uses it{hint}; "
            "a rulebook's own parameter must appear in a rule as params." + key + " or $" + key
        )
    return messages
