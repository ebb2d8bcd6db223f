"""The finding and problem catalogues (``triage.kinds``) are closed and complete: every kind
the code writes is listed, every listed kind is written somewhere, and the rulebooks name only
listed kinds."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from triage.kinds import FINDING_KINDS, PROBLEM_KINDS, kinds_named
from triage.vocab import Decision

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("triage", "classifiers", "redaction", "rules", "api")
#: helpers that build a Problem from a kind given as their first argument
PROBLEM_HELPERS = {"_problem", "problem"}


def _strings(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for root in SOURCES:
        for path in sorted((ROOT / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    yield name, node


def _written() -> tuple[set[str], set[str], dict[str, set[str]]]:
    findings: set[str] = set()
    problems: set[str] = set()
    forces: dict[str, set[str]] = {}
    for name, call in _calls():
        kw = {k.arg: k.value for k in call.keywords}
        if name == "Finding" and "kind" in kw:
            findings |= set(_strings(kw["kind"]))
        elif name == "Problem" and "kind" in kw:
            kinds = set(_strings(kw["kind"]))
            problems |= kinds
            given = kw.get("forces")
            shown = ast.unparse(given) if given is not None else "Decision.REFER"
            for kind in kinds:
                forces.setdefault(kind, set()).add(shown)
        elif name in PROBLEM_HELPERS and call.args:
            problems |= set(_strings(call.args[0]))
    return findings, problems, forces


def test_every_finding_kind_written_is_listed_and_every_listed_one_written() -> None:
    findings, _, _ = _written()
    assert findings == set(FINDING_KINDS)


def test_every_problem_kind_written_is_listed_and_every_listed_one_written() -> None:
    _, problems, _ = _written()
    assert problems == set(PROBLEM_KINDS)


def test_problems_force_what_the_catalogue_says() -> None:
    """Where the code states ``forces`` as a constant, it is the catalogue's."""
    _, _, forces = _written()
    for kind, shown in forces.items():
        constants = {s for s in shown if s.startswith("Decision.")}
        expected = f"Decision.{Decision(PROBLEM_KINDS[kind].forces).name}"
        assert constants <= {expected}, (kind, shown)


def _rulebook_kinds(path: Path) -> set[str]:
    book = yaml.safe_load(path.read_text(encoding="utf-8"))
    named: set[str] = set()
    for key, value in (book.get("params") or {}).items():
        if key.endswith("_findings"):
            named |= set(value)
    for rule in book.get("rules", []):
        named |= kinds_named(str(rule.get("when", "")))
    return named


@pytest.mark.parametrize(
    "path", sorted((ROOT / "rules" / "rulebooks").glob("*.yaml")), ids=lambda p: p.stem
)
def test_rulebooks_name_only_listed_kinds(path: Path) -> None:
    named = _rulebook_kinds(path)
    assert named, "the rulebook names no kind: the pattern above needs updating"
    assert named <= set(FINDING_KINDS) | set(PROBLEM_KINDS)


@pytest.mark.parametrize(
    ("when", "params", "message"),
    [
        ("findings.exists(f, f.kind == 'smal_cells')", {}, "unknown finding or problem kind"),
        ("findings.exists(f, f.kind in ['small_cells', 'uniq'])", {}, "'uniq'"),
        (
            "findings.exists(f, f.kind in params.police_published_findings)",
            {"police_published_findings": ["low_k"]},
            "unknown finding kind 'low_k'",
        ),
    ],
)
def test_a_misspelt_kind_is_a_rulebook_error(when: str, params: dict, message: str) -> None:
    from triage.errors import RulebookError
    from triage.rules.loader import parse_rulebook

    rule = {"id": "r", "description": "d", "when": when, "outcome": "refer", "rationale": "r"}
    book = {"name": "t", "version": "1", "destination": "open-data", "rules": [rule]}
    if params:
        book["params"] = params
    with pytest.raises(RulebookError, match=re.escape(message)):
        parse_rulebook(yaml.safe_dump(book).encode(), "t.yaml")
