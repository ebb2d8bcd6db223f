"""Load and validate rulebooks from YAML; every problem is one ``RulebookError`` line."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from triage.errors import RulebookError
from triage.kinds import FINDING_KINDS, PROBLEM_KINDS, kinds_named
from triage.params import engine_params, unknown_params
from triage.rules.conditions import check_condition, one_line
from triage.rules.model import KNOWN_TRANSFORMS, Rule, Rulebook
from triage.vocab import Destination

__all__ = ["builtin_rulebook", "load_rulebook", "parse_rulebook", "validate_rulebook_file"]

#: Bounds on a condition, checked before it is compiled (CEL runs outside Python's control)
MAX_CONDITION_CHARS = 2000
MAX_MACRO_DEPTH = 2
#: Appears in the RulebookError of a condition over the bounds
LIMIT_MARK = "over the condition bounds"

_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_MACRO_OPEN = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\($")

_TOP_KEYS = ("name", "version", "destination", "description", "params", "rules")
_REQUIRED_TOP_KEYS = ("name", "version", "destination", "rules")


def _format_validation(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown key {loc!r}"
    if error["type"] == "missing":
        return f"missing key {loc!r}"
    if error["type"] == "enum":
        field = next(
            (str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "value"
        )
        noun = {"entities": "entity", "role": "role", "outcome": "outcome"}.get(field, field)
        expected = str(error.get("ctx", {}).get("expected", "")).replace("'", "")
        return one_line(f"{loc}: unknown {noun} {error.get('input')!r} (expected {expected})")
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    got = error.get("input")
    detail = ""
    if isinstance(got, str | int | float | bool) and error["type"] not in ("value_error",):
        detail = f" (got {got!r})"
    text = f"{loc}: {message}{detail}" if loc else f"{message}{detail}"
    return one_line(text)


def macro_depth(expression: str) -> int:
    """The deepest nesting of CEL comprehension macros (``all``, ``exists``, ``map``...)."""
    text = _STRING.sub('""', expression)
    stack: list[bool] = []
    depth = deepest = 0
    for index, char in enumerate(text):
        if char == "(":
            is_macro = _MACRO_OPEN.search(text[max(0, index - 20) : index + 1]) is not None
            stack.append(is_macro)
            depth += is_macro
            deepest = max(deepest, depth)
        elif char == ")" and stack:
            depth -= stack.pop()
    return deepest


def condition_bounds_problem(expression: str) -> str | None:
    """A one-line problem when a condition is too long or nests macros too deeply."""
    if len(expression) > MAX_CONDITION_CHARS:
        return (
            f"condition is {len(expression)} characters, {LIMIT_MARK} "
            f"(at most {MAX_CONDITION_CHARS})"
        )
    depth = macro_depth(expression)
    if depth > MAX_MACRO_DEPTH:
        return (
            f"condition nests comprehension macros {depth} deep, {LIMIT_MARK} "
            f"(at most {MAX_MACRO_DEPTH})"
        )
    return None


def _resolve_params(value: Any, params: Mapping[str, Any], where: str) -> Any:
    """Replace ``"$name"`` strings by the rulebook param ``name`` (recursively)."""
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if name not in params:
            raise ValueError(f"{where}: unknown param reference {value!r}")
        return params[name]
    if isinstance(value, dict):
        return {key: _resolve_params(item, params, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_params(item, params, where) for item in value]
    return value


def parse_rulebook(
    data: bytes,
    source: str,
    *,
    label: str | None = None,
    transforms: Collection[str] | None = None,
) -> Rulebook:
    """Parse and validate rulebook YAML bytes.

    Parameters
    ----------
    data
        The file's bytes (hashed into ``Rulebook.sha256``).
    source
        The file name, stored as ``Rulebook.source``.
    label
        How error messages name the file (default ``source``).
    transforms
        Known transform ids (default :data:`KNOWN_TRANSFORMS`).

    Raises
    ------
    RulebookError
        One line: ``<file>: rule <id>: <problem>`` (or ``<file>: <problem>``).
    """
    where = label or source
    known_transforms = set(KNOWN_TRANSFORMS if transforms is None else transforms)

    def fail(problem: str, rule_id: str | None = None) -> RulebookError:
        prefix = f"{where}: rule {rule_id}: " if rule_id is not None else f"{where}: "
        return RulebookError(one_line(prefix + problem, limit=500))

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise fail("not UTF-8 text") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise fail(f"YAML syntax error{at}: {problem}") from None
    if not isinstance(raw, dict):
        raise fail("a rulebook must be a mapping with keys " + ", ".join(_TOP_KEYS))
    for key in raw:
        if key not in _TOP_KEYS:
            raise fail(f"unknown key {key!r} (allowed: {', '.join(_TOP_KEYS)})")
    for key in _REQUIRED_TOP_KEYS:
        if key not in raw:
            raise fail(f"missing key {key!r}")
    params = raw.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
        raise fail("params must be a mapping of names to values")
    raw_rules = raw["rules"]
    if not isinstance(raw_rules, list) or not raw_rules:
        raise fail("rules must be a non-empty list")
    unknown = unknown_params(params, json.dumps(raw_rules, default=str))
    if unknown:
        raise fail(unknown[0])
    try:
        engine_params(params)
    except ValueError as exc:
        raise fail(str(exc)) from None

    for key, value in params.items():
        if key.endswith("_findings") and isinstance(value, list):
            unknown_kinds = sorted(set(map(str, value)) - set(FINDING_KINDS))
            if unknown_kinds:
                raise fail(f"params.{key}: unknown finding kind {unknown_kinds[0]!r}")

    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw_rule in enumerate(raw_rules, start=1):
        if not isinstance(raw_rule, dict):
            raise fail(f"rule #{index} must be a mapping")
        rule_id = raw_rule.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise fail(f"rule #{index} has no string 'id'")
        if rule_id in seen:
            raise fail("duplicate rule id", rule_id)
        seen.add(rule_id)
        treatments = raw_rule.get("treatments")
        if isinstance(treatments, list):
            try:
                raw_rule = {
                    **raw_rule,
                    "treatments": _resolve_params(treatments, params, "treatments"),
                }
            except ValueError as exc:
                raise fail(str(exc), rule_id) from None
        try:
            rule = Rule.model_validate(raw_rule)
        except ValidationError as exc:
            raise fail(_format_validation(exc), rule_id) from None
        unknown_kinds = sorted(kinds_named(rule.when) - set(FINDING_KINDS) - set(PROBLEM_KINDS))
        if unknown_kinds:
            raise fail(f"unknown finding or problem kind {unknown_kinds[0]!r}", rule_id)
        for number, treatment in enumerate(rule.treatments, start=1):
            if treatment.transform not in known_transforms:
                raise fail(
                    f"treatments.{number - 1}: unknown transform {treatment.transform!r} "
                    f"(known: {', '.join(sorted(known_transforms))})",
                    rule_id,
                )
        problem = condition_bounds_problem(rule.when)
        if problem is not None:
            raise fail(problem, rule_id)
        problem = check_condition(rule.when, params, str(raw["destination"]))
        if problem is not None:
            raise fail(problem, rule_id)
        rules.append(rule)

    try:
        return Rulebook(
            name=raw["name"],
            version=raw["version"],
            destination=raw["destination"],
            description=raw.get("description") or "",
            params=params,
            rules=rules,
            sha256=hashlib.sha256(data).hexdigest(),
            source=source,
        )
    except ValidationError as exc:
        raise fail(_format_validation(exc)) from None


def load_rulebook(path: str | Path, *, transforms: Collection[str] | None = None) -> Rulebook:
    """Load a rulebook file.

    Raises
    ------
    RulebookError
        When the file is missing or unreadable, not YAML, or any rule is invalid.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise RulebookError(f"{file}: file not found") from None
    except IsADirectoryError:
        raise RulebookError(f"{file}: is a directory, not a rulebook file") from None
    except OSError as exc:
        raise RulebookError(one_line(f"{file}: cannot read: {exc.strerror or exc}")) from None
    return parse_rulebook(data, file.name, label=str(file), transforms=transforms)


def validate_rulebook_file(path: str | Path) -> Rulebook:
    """Validate a rulebook file for ``triage rulebook validate FILE`` (same as loading it)."""
    return load_rulebook(path)


@lru_cache(maxsize=8)
def builtin_rulebook(destination: Destination) -> Rulebook:
    """The shipped rulebook for ``destination`` (package data ``triage.rules/rulebooks``)."""
    destination = Destination(destination)
    name = f"{destination.value}.yaml"
    data = resources.files("triage.rules").joinpath("rulebooks").joinpath(name).read_bytes()
    rulebook = parse_rulebook(data, name)
    if rulebook.destination is not destination:
        raise RulebookError(
            f"{name}: destination is {rulebook.destination.value}, expected {destination.value}"
        )
    return rulebook
