"""Frozen report models, shaped exactly like ``report.json`` (INTERFACE.md) plus extra keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triage.vocab import ColumnRole, Decision, Destination, Entity, Severity


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnReport(_Frozen):
    """Role and entities of one column, with the evidence behind them."""

    role: ColumnRole
    entities: list[Entity] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    treatment: str | None = None


class RiskMetrics(_Frozen):
    """Disclosure-risk metrics of one version (before or after treatment) of a dataset."""

    k_anonymity: int | None = None
    unique_records: int | None = None
    l_diversity: int | None = None
    records_below_k: int | None = None
    quasi_identifiers: list[str] = Field(default_factory=list)
    sensitive_attributes: list[str] = Field(default_factory=list)
    #: every microdata measure (``triage.risk.MICRODATA_METRICS``), null where it does not apply
    measures: dict[str, int | float | None] = Field(default_factory=dict)
    #: each quasi-identifier's contribution to the risk, biggest driver first
    drivers: list[dict[str, Any]] = Field(default_factory=list)
    #: row positions (never values) of the riskiest records
    riskiest_rows: list[int] = Field(default_factory=list)


class DatasetRisk(_Frozen):
    """Risk before treatment and, where data was released in changed form, after it."""

    before: RiskMetrics
    after: RiskMetrics | None = None
    #: on ``refer``: risk of the changed form proposed to the reviewer (not released)
    proposed: RiskMetrics | None = None
    #: every column, whether k-anonymity counted it as a quasi-identifier, and why (not)
    considered: list[dict[str, Any]] = Field(default_factory=list)


class Proposal(_Frozen):
    """What triage proposes to the reviewer of a ``refer``; nothing is released until a
    reviewer approves it."""

    #: False when the dataset is proposed as submitted (other files carry the changes)
    changed: bool
    #: what the re-check of the changed data found (it never clears a ``refer``)
    recheck: str | None = None
    kept: list[str] = Field(default_factory=list)
    utility: dict[str, Any] | None = None


class DatasetReport(_Frozen):
    """Everything the report says about one dataset of the submission."""

    name: str
    sha256: str
    rows: int
    columns: dict[str, ColumnReport]
    risk: DatasetRisk
    format: str | None = None
    released: str | None = None
    rows_released: int | None = None
    kept: list[str] = Field(default_factory=list)
    #: information kept, measured on the quasi-identifiers (``triage.risk.utility``), when treated
    utility: dict[str, Any] | None = None
    #: on ``refer``: the file proposed to the reviewer (``proposed/<name>``); never released
    proposed: str | None = None
    rows_proposed: int | None = None
    proposal: Proposal | None = None


class Finding(_Frozen):
    """Something a detector or metric found: data, not an exception."""

    kind: str
    severity: Severity
    dataset: str
    columns: list[str] = Field(default_factory=list)
    message: str
    count: int | None = None


class RuleFiring(_Frozen):
    """A rule whose condition held, with its outcome and why."""

    rule: str
    outcome: Decision
    rationale: str
    legal_basis: str | None = None
    dataset: str | None = None
    description: str | None = None
    treatments: list[str] = Field(default_factory=list)
    stage: Literal["before", "after"] = "before"
    conditions: list[str] = Field(default_factory=list)


class MosaicLink(_Frozen):
    """Two datasets that can be joined, and the k-anonymity of the join."""

    datasets: list[str]
    linking_columns: list[str]
    k_anonymity_after_linkage: int | None


class Problem(_Frozen):
    """Engine trouble that did not stop the run; forces at least ``forces``."""

    kind: str
    message: str
    dataset: str | None = None
    forces: Decision = Decision.REFER


class TriageContext(_Frozen):
    """The answers to the triage questionnaire that this decision took into account."""

    questionnaire: str
    questionnaire_version: str
    answers: dict[str, str | list[str] | None]
    missing: list[str] = Field(default_factory=list)
    source: str | None = None


class RunInfo(_Frozen):
    """Versions and hashes needed to reproduce the decision."""

    triage_version: str
    rulebook: str
    rulebook_version: str
    rulebook_sha256: str
    nlp_model: str | None
    packages: dict[str, str] = Field(default_factory=dict)
    #: the rulebook's thresholds (k, l, maximum risk...) that the metrics were judged against
    thresholds: dict[str, int | float | str | bool] = Field(default_factory=dict)
    #: ids given to this release in the register (``check --record``)
    recorded_release_ids: list[int] = Field(default_factory=list)


class Report(_Frozen):
    """The whole answer to one check (``report.json``)."""

    schema_version: Literal["1"] = "1"
    decision: Decision
    destination: Destination
    datasets: list[DatasetReport]
    findings: list[Finding] = Field(default_factory=list)
    rules_fired: list[RuleFiring] = Field(default_factory=list)
    mosaic: list[MosaicLink] = Field(default_factory=list)
    #: per link: column pairs with overlap estimates, the risks found and the remedies
    mosaic_evidence: list[dict[str, Any]] = Field(default_factory=list)
    #: per dataset that supersedes a registered release: how the versions differ
    versions: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    decision_reason: str = ""
    conditions: list[str] = Field(default_factory=list)
    data_class: Literal["open", "shared", "closed"] = "closed"
    context: TriageContext | None = None
    run: RunInfo | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return self.model_dump(mode="json")
