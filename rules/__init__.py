"""triage.rules: rulebooks (YAML + CEL conditions), loading, validation and evaluation."""

from __future__ import annotations

from triage.rules.conditions import FACT_NAMES, check_condition, compile_condition, sample_facts
from triage.rules.evaluate import RuleEvaluation, evaluate_rules
from triage.rules.loader import (
    builtin_rulebook,
    load_rulebook,
    parse_rulebook,
    validate_rulebook_file,
)
from triage.rules.model import KNOWN_TRANSFORMS, QI_KINDS, Rule, Rulebook, TreatmentSpec

__all__ = [
    "FACT_NAMES",
    "KNOWN_TRANSFORMS",
    "QI_KINDS",
    "Rule",
    "RuleEvaluation",
    "Rulebook",
    "TreatmentSpec",
    "builtin_rulebook",
    "check_condition",
    "compile_condition",
    "evaluate_rules",
    "load_rulebook",
    "parse_rulebook",
    "sample_facts",
    "validate_rulebook_file",
]
