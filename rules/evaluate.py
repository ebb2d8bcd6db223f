"""Evaluate a rulebook's conditions on the facts of one dataset or one document."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.errors import PluginExecutionError
from triage.rules.conditions import prepare_facts, run_condition
from triage.rules.model import Rule, Rulebook
from triage.vocab import Decision

__all__ = ["RuleEvaluation", "evaluate_rules"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleEvaluation:
    """The rules whose condition held, and the rules whose condition failed to run.

    A rule in ``errors`` did not fire; the engine must treat any error as a problem that
    forces at least ``refer`` (fail closed).
    """

    fired: list[Rule] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome(self) -> Decision | None:
        """The most restrictive outcome of the fired rules (None when none fired)."""
        if not self.fired:
            return None
        return Decision.most_restrictive([rule.outcome for rule in self.fired])


def evaluate_rules(
    rulebook: Rulebook, facts: Mapping[str, Any], subject: str = "dataset"
) -> RuleEvaluation:
    """Evaluate every rule of ``rulebook`` about ``subject`` on ``facts``, in rulebook order.

    Parameters
    ----------
    rulebook
        The rulebook.
    facts
        The CEL activation for one dataset (or document); ``params`` defaults to the
        rulebook's params.
    subject
        ``dataset`` or ``document``: only the rules of that subject are evaluated.

    Returns
    -------
    RuleEvaluation
        Fired rules in rulebook order, and ``(rule id, message)`` for conditions that raised
        or returned a non-bool. Never raises for a condition's failure.
    """
    activation = prepare_facts({"params": rulebook.params, **facts})
    fired: list[Rule] = []
    errors: list[tuple[str, str]] = []
    for rule in (r for r in rulebook.rules if r.subject == subject):
        try:
            holds = run_condition(rule.when, activation, prepared=True)
        except PluginExecutionError as exc:
            logger.warning("rule %s of %s failed: %s", rule.id, rulebook.source, exc)
            errors.append((rule.id, str(exc)))
            continue
        if holds:
            fired.append(rule)
    return RuleEvaluation(fired=fired, errors=errors)
