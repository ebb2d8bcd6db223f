"""The rulebook model: a YAML rulebook parsed into frozen pydantic objects.

A rulebook is a list of rules for one destination. Each rule has a CEL condition (``when``)
over the facts of one dataset (see :mod:`triage.rules.conditions`), an outcome and, for
``release_with_changes``, the treatments that make the data safe to release.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.params import EngineParams, engine_params
from triage.redaction.registry import REGISTRY
from triage.vocab import QI_KINDS, ColumnRole, Decision, Destination, Entity

__all__ = ["KNOWN_TRANSFORMS", "QI_KINDS", "Rule", "Rulebook", "TreatmentSpec"]


#: Transform ids a rulebook may name; the loader takes another list as a parameter.
KNOWN_TRANSFORMS: tuple[str, ...] = tuple(REGISTRY)

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TreatmentSpec(_Frozen):
    """One treatment a rule asks for, and the columns it applies to.

    A column is selected when it matches every selector given: ``role`` (the column's role),
    ``entities`` (the column holds at least one of them) and ``qi_kinds`` (the column's
    quasi-identifier kind is one of them); ``columns`` names columns explicitly in addition.

    Parameters
    ----------
    transform
        Transform id (for example ``drop``, ``pseudonymise``, ``anonymise_k``).
    role, entities, qi_kinds, columns
        Column selectors; at least one must be given.
    params
        Transform parameters (``$name`` values in the YAML are replaced by rulebook params).
    """

    transform: str = Field(min_length=1)
    role: ColumnRole | None = None
    entities: list[Entity] = Field(default_factory=list)
    qi_kinds: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("qi_kinds")
    @classmethod
    def _known_qi_kinds(cls, value: list[str]) -> list[str]:
        unknown = [kind for kind in value if kind not in QI_KINDS]
        if unknown:
            raise ValueError(
                f"unknown qi_kind {', '.join(map(repr, unknown))} (known: {', '.join(QI_KINDS)})"
            )
        return value

    @model_validator(mode="after")
    def _has_selector(self) -> TreatmentSpec:
        if self.role is None and not self.entities and not self.qi_kinds and not self.columns:
            raise ValueError(
                "treatment selects no columns: give role, entities, qi_kinds or columns"
            )
        return self

    def describe(self) -> str:
        """A short human description, e.g. ``drop(role=direct_identifier)``."""
        parts: list[str] = []
        if self.role is not None:
            parts.append(f"role={self.role.value}")
        if self.entities:
            parts.append("entities=" + "|".join(e.value for e in self.entities))
        if self.qi_kinds:
            parts.append("qi_kinds=" + "|".join(self.qi_kinds))
        if self.columns:
            parts.append("columns=" + "|".join(self.columns))
        parts.extend(f"{key}={value}" for key, value in sorted(self.params.items()))
        return f"{self.transform}({', '.join(parts)})"


class Rule(_Frozen):
    """One rule: when the CEL condition holds, the outcome (and treatments) apply.

    Parameters
    ----------
    id
        Unique id within the rulebook.
    when
        CEL condition over the facts; must return a bool.
    outcome
        The decision this rule asks for.
    treatments
        Required for ``release_with_changes``, not allowed otherwise.
    rationale
        Why, in plain words, for the report.
    legal_basis
        The law or guidance behind the rule.
    conditions
        Conditions attached to the release when the rule fires (e.g. "share only under
        agreement {context.agreement_reference}").
    subject
        What the rule decides on: a ``dataset`` (the tabular facts) or an FOI ``document``
        (its facts: ``triage.facts.build_document_facts``). A document rule takes no
        treatments: a document's changes are its redactions.
    """

    id: str = Field(pattern=_ID_PATTERN)
    description: str = ""
    when: str = Field(min_length=1)
    outcome: Decision
    treatments: list[TreatmentSpec] = Field(default_factory=list)
    rationale: str = Field(min_length=1)
    legal_basis: str | None = None
    #: conditions the release must meet when this rule fires (``{context.<id>}`` is filled in)
    conditions: list[str] = Field(default_factory=list)
    subject: Literal["dataset", "document"] = "dataset"

    @model_validator(mode="after")
    def _treatments_match_outcome(self) -> Rule:
        if self.subject == "document":
            if self.treatments:
                raise ValueError("a document rule takes no treatments (its changes are redactions)")
            return self
        if self.outcome is Decision.RELEASE_WITH_CHANGES and not self.treatments:
            raise ValueError("outcome release_with_changes needs at least one treatment")
        if self.outcome is not Decision.RELEASE_WITH_CHANGES and self.treatments:
            raise ValueError(f"outcome {self.outcome.value} takes no treatments")
        return self


class Rulebook(_Frozen):
    """A destination's rulebook, with the hash and name of the file it came from."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    destination: Destination
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    #: the engine's parameters of ``params``, typed (filled in from ``params``)
    engine: EngineParams = Field(default_factory=EngineParams)
    rules: list[Rule] = Field(min_length=1)
    sha256: str = ""
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _typed_params(cls, data: Any) -> Any:
        if isinstance(data, dict) and "engine" not in data:
            data = {**data, "engine": engine_params(data.get("params") or {})}
        return data

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Rulebook:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id}: duplicate rule id")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> Rule:
        """The rule with id ``rule_id`` (KeyError when there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
