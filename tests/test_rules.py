"""Rulebook model, loader errors and CEL condition evaluation (triage.rules)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from triage.errors import RulebookError
from triage.rules import (
    Rule,
    Rulebook,
    TreatmentSpec,
    evaluate_rules,
    load_rulebook,
    parse_rulebook,
    validate_rulebook_file,
)
from triage.vocab import ColumnRole, Decision, Destination, Entity

GOOD_RULE: dict[str, Any] = {
    "id": "r1",
    "description": "direct identifiers",
    "when": "size(roles.direct_identifier) > 0",
    "outcome": "release_with_changes",
    "treatments": [{"transform": "drop", "role": "direct_identifier"}],
    "rationale": "names identify people",
    "legal_basis": "UK GDPR Art. 5(1)(c)",
}


def rulebook_dict(**rule_changes: Any) -> dict[str, Any]:
    rule = {**copy.deepcopy(GOOD_RULE), **rule_changes}
    return {
        "name": "test",
        "version": "1",
        "destination": "open-data",
        "params": {"k": 10, "l": 2, "max_suppression": 0.05},
        "rules": [{k: v for k, v in rule.items() if v is not None}],
    }


def write(tmp_path: Path, data: Any, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_good_rulebook_loads(tmp_path: Path) -> None:
    path = write(tmp_path, rulebook_dict())
    book = load_rulebook(path)
    assert book.source == "book.yaml"
    assert len(book.sha256) == 64
    assert book.destination is Destination.OPEN_DATA
    assert book.rules[0].treatments[0].role is ColumnRole.DIRECT_IDENTIFIER
    assert validate_rulebook_file(path) == book


def test_version_number_is_text(tmp_path: Path) -> None:
    data = rulebook_dict()
    data["version"] = 2
    assert load_rulebook(write(tmp_path, data)).version == "2"


def test_param_references_resolve(tmp_path: Path) -> None:
    treatments = [
        {
            "transform": "anonymise_k",
            "role": "quasi_identifier",
            "params": {"k": "$k", "max_suppression": "$max_suppression"},
        },
    ]
    book = load_rulebook(write(tmp_path, rulebook_dict(treatments=treatments)))
    assert book.rules[0].treatments[0].params == {"k": 10, "max_suppression": 0.05}


def test_known_transforms_parameter(tmp_path: Path) -> None:
    data = rulebook_dict(treatments=[{"transform": "geomask", "role": "location"}])
    path = write(tmp_path, data)
    with pytest.raises(RulebookError, match="unknown transform 'geomask'"):
        load_rulebook(path)
    book = load_rulebook(path, transforms=["geomask", "drop"])
    assert book.rules[0].treatments[0].transform == "geomask"


def test_models_are_frozen_and_strict() -> None:
    spec = TreatmentSpec(transform="drop", role=ColumnRole.DIRECT_IDENTIFIER)
    with pytest.raises(ValueError):
        spec.transform = "mask"
    with pytest.raises(ValueError):
        TreatmentSpec(transform="drop", role=ColumnRole.NONE, colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="selects no columns"):
        TreatmentSpec(transform="drop")
    assert spec.describe() == "drop(role=direct_identifier)"


BAD_RULES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-key", {"colour": "red"}, "unknown key 'colour'"),
    ("unknown-outcome", {"outcome": "publish"}, "unknown outcome 'publish'"),
    ("missing-rationale", {"rationale": None}, "missing key 'rationale'"),
    ("empty-when", {"when": ""}, "when"),
    ("bad-id", {"id": "r 1"}, "id"),
    (
        "unknown-role",
        {"treatments": [{"transform": "drop", "role": "identifier"}]},
        "unknown role 'identifier'",
    ),
    (
        "unknown-entity",
        {"treatments": [{"transform": "drop", "entities": ["SHOE_SIZE"]}]},
        "unknown entity 'SHOE_SIZE'",
    ),
    (
        "unknown-qi-kind",
        {"treatments": [{"transform": "generalise", "qi_kinds": ["shoe_size"]}]},
        "unknown qi_kind 'shoe_size'",
    ),
    (
        "unknown-transform",
        {"treatments": [{"transform": "shred", "role": "direct_identifier"}]},
        "unknown transform 'shred'",
    ),
    (
        "treatment-key",
        {"treatments": [{"transform": "drop", "role": "direct_identifier", "colour": "x"}]},
        "unknown key 'treatments.0.colour'",
    ),
    ("no-selector", {"treatments": [{"transform": "drop"}]}, "selects no columns"),
    ("rwc-without-treatment", {"treatments": []}, "needs at least one treatment"),
    ("refer-with-treatment", {"outcome": "refer"}, "takes no treatments"),
    (
        "unknown-param-reference",
        {
            "treatments": [
                {"transform": "anonymise_k", "role": "quasi_identifier", "params": {"k": "$kay"}}
            ]
        },
        "unknown param reference '$kay'",
    ),
    ("cel-syntax", {"when": "size(roles.direct_identifier) >"}, "CEL syntax error: Syntax error"),
    ("unknown-variable", {"when": "facts.rows > 1"}, "unknown variable 'facts'"),
    ("unknown-metric", {"when": "metrics.k_anon != null"}, "unknown field metrics.k_anon"),
    ("unknown-dataset-field", {"when": "dataset.owner == 'x'"}, "unknown field dataset.owner"),
    ("unknown-role-name", {"when": "size(roles.identifier) > 0"}, "unknown role roles.identifier"),
    ("unknown-param", {"when": "params.kay > 1"}, "unknown param params.kay"),
    ("unknown-function", {"when": "shout(destination)"}, "unknown function 'shout'"),
    (
        "unknown-element-field",
        {"when": "findings.exists(f, f.sev == 'high')"},
        "no such key: 'sev'",
    ),
    ("unguarded-null", {"when": "metrics.k_anonymity < params.k"}, "!= null"),
    (
        "unguarded-null-behind-guard",
        {"when": "dataset.person_related && stage == 'after' && metrics.l_diversity < params.l"},
        "!= null",
    ),
    (
        "unguarded-element-null",
        {"when": "mosaic.exists(m, m.k_anonymity_after_linkage < params.k)"},
        "!= null",
    ),
    ("empty-list-index", {"when": "findings[0].severity == 'high'"}, "list is empty"),
    ("non-bool", {"when": "size(entities)"}, "must return a bool"),
    ("type-error", {"when": "dataset.rows > 'many'"}, "no such overload"),
]


@pytest.mark.parametrize(
    ("rule_id", "changes", "expected"), BAD_RULES, ids=[c[0] for c in BAD_RULES]
)
def test_bad_rule_is_one_line_error(
    tmp_path: Path, rule_id: str, changes: dict[str, Any], expected: str
) -> None:
    changes = {"id": rule_id, **changes}
    path = write(tmp_path, rulebook_dict(**changes), name=f"{rule_id}.yaml")
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: rule {changes['id']}: ")
    assert f"{rule_id}.yaml" in message
    assert expected in message


def test_duplicate_rule_ids(tmp_path: Path) -> None:
    data = rulebook_dict()
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    with pytest.raises(RulebookError, match=r"book\.yaml: rule r1: duplicate rule id$"):
        load_rulebook(write(tmp_path, data))


BAD_FILES: list[tuple[str, str, str]] = [
    ("yaml-syntax", "name: x\nrules: [\n  - id: a\n", "YAML syntax error at line"),
    ("not-mapping", "- 1\n- 2\n", "must be a mapping"),
    (
        "unknown-top-key",
        "name: x\nversion: '1'\ndestination: foi\nrules: []\nowner: me\n",
        "unknown key 'owner'",
    ),
    ("missing-rules", "name: x\nversion: '1'\ndestination: foi\n", "missing key 'rules'"),
    ("empty-rules", "name: x\nversion: '1'\ndestination: foi\nrules: []\n", "non-empty list"),
    ("rule-not-mapping", "name: x\nversion: '1'\ndestination: foi\nrules: [1]\n", "rule #1"),
    (
        "rule-without-id",
        "name: x\nversion: '1'\ndestination: foi\nrules: [{when: 'true'}]\n",
        "no string 'id'",
    ),
    (
        "params-not-mapping",
        "name: x\nversion: '1'\ndestination: foi\nparams: [1]\nrules: []\n",
        "params must be a mapping",
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_is_one_line_error(tmp_path: Path, case: str, text: str, expected: str) -> None:
    path = write(tmp_path, text, name=f"{case}.yaml")
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_bad_destination(tmp_path: Path) -> None:
    data = rulebook_dict()
    data["destination"] = "twitter"
    with pytest.raises(RulebookError, match=r"book\.yaml: destination: "):
        load_rulebook(write(tmp_path, data))


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nversion: '1'\nrules:\n  - id: a\n   when: b\n")
    with pytest.raises(RulebookError, match="line 5"):
        load_rulebook(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match=r"nope\.yaml: file not found"):
        load_rulebook(tmp_path / "nope.yaml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(RulebookError, match="not UTF-8"):
        load_rulebook(path)


# ----------------------------------------------------------------------------- evaluation


def facts(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "destination": "open-data",
        "stage": "before",
        "dataset": {"name": "a.csv", "rows": 100, "columns": 3, "person_related": True},
        "columns": [
            {
                "name": "nhs",
                "role": "direct_identifier",
                "entities": ["UK_NHS"],
                "qi_kind": None,
                "sensitive_kind": None,
                "personal_text": [],
            },
            {
                "name": "age",
                "role": "quasi_identifier",
                "entities": [],
                "qi_kind": "age",
                "sensitive_kind": None,
                "personal_text": [],
            },
        ],
        "roles": {role.value: [] for role in ColumnRole},
        "entities": ["UK_NHS"],
        "metrics": {
            "k_anonymity": 3,
            "unique_records": 1,
            "l_diversity": None,
            "records_below_k": 4,
            "share_below_k": 0.04,
            "quasi_identifiers": 1,
            "sensitive_attributes": 0,
        },
        "findings": [{"kind": "nhs_number", "severity": "high", "columns": ["nhs"], "count": 9}],
        "problems": [],
        "mosaic": [],
    }
    base["roles"]["direct_identifier"] = ["nhs"]
    base["roles"]["quasi_identifier"] = ["age"]
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def book_with(when: str, params: dict[str, Any] | None = None) -> Rulebook:
    data = {
        "name": "t",
        "version": "1",
        "destination": "open-data",
        "params": params if params is not None else {"k": 5, "l": 2},
        "rules": [{"id": "c", "when": when, "outcome": "refer", "rationale": "test"}],
    }
    return parse_rulebook(yaml.safe_dump(data).encode(), "t.yaml")


CONDITIONS: list[tuple[str, dict[str, Any], bool]] = [
    ("size(roles.direct_identifier) > 0", {}, True),
    ("size(roles.free_text) > 0", {}, False),
    ("'UK_NHS' in entities", {}, True),
    ("'PERSON' in entities", {}, False),
    ("findings.exists(f, f.severity == 'critical')", {}, False),
    ("findings.exists(f, f.severity == 'high')", {}, True),
    ("findings.exists(f, f.severity in ['high', 'critical'] && 'nhs' in f.columns)", {}, True),
    ("metrics.k_anonymity != null && metrics.k_anonymity < params.k", {}, True),
    (
        "metrics.k_anonymity != null && metrics.k_anonymity < params.k",
        {"metrics": {"k_anonymity": None}},
        False,
    ),
    ("metrics.l_diversity == null || metrics.l_diversity >= params.l", {}, True),
    (
        "metrics.l_diversity == null || metrics.l_diversity >= params.l",
        {"metrics": {"l_diversity": 1}},
        False,
    ),
    ("metrics.share_below_k != null && metrics.share_below_k > 0.05", {}, False),
    ("columns.exists(c, c.qi_kind == 'age')", {}, True),
    ("columns.all(c, c.sensitive_kind == null)", {}, True),
    ("columns.exists(c, c.role == 'free_text' && size(c.entities) > 0)", {}, False),
    ("dataset.person_related && dataset.rows >= 100", {}, True),
    ("stage == 'after'", {}, False),
    ("stage == 'after'", {"stage": "after"}, True),
    ("destination == 'open-data'", {}, True),
    ("size(problems) > 0", {"problems": [{"kind": "nlp_model_missing"}]}, True),
    (
        "mosaic.exists(m, m.k_anonymity_after_linkage != null && m.k_anonymity_after_linkage < 5)",
        {
            "mosaic": [
                {
                    "datasets": ["a", "b"],
                    "linking_columns": ["ward"],
                    "k_anonymity_after_linkage": 2,
                }
            ]
        },
        True,
    ),
    (
        "mosaic.exists(m, m.k_anonymity_after_linkage != null && m.k_anonymity_after_linkage < 5)",
        {
            "mosaic": [
                {
                    "datasets": ["a", "b"],
                    "linking_columns": ["ward"],
                    "k_anonymity_after_linkage": None,
                }
            ]
        },
        False,
    ),
    ("entities.exists(e, e.startsWith('UK_'))", {}, True),
]


@pytest.mark.parametrize(("when", "changes", "expected"), CONDITIONS)
def test_condition_on_facts(when: str, changes: dict[str, Any], expected: bool) -> None:
    result = evaluate_rules(book_with(when), facts(**changes))
    assert result.errors == []
    assert [rule.id for rule in result.fired] == (["c"] if expected else [])


def test_enum_values_in_facts_are_accepted() -> None:
    book = book_with("'UK_NHS' in entities && destination == 'foi'")
    result = evaluate_rules(book, facts(entities=(Entity.UK_NHS,), destination=Destination.FOI))
    assert [rule.id for rule in result.fired] == ["c"]


RUNTIME_ERRORS: list[tuple[str, dict[str, Any]]] = [
    # guarded at load time against the sample, but a malformed fact set still errors
    (
        "metrics.k_anonymity != null && metrics.k_anonymity < params.k",
        {"metrics": {"k_anonymity": "3"}},
    ),
    ("size(roles.direct_identifier) > 0", {"roles": {"direct_identifier": None}}),
    ("dataset.rows > 1", {"dataset": {"name": "x"}}),
]


@pytest.mark.parametrize(("when", "changes"), RUNTIME_ERRORS)
def test_runtime_error_is_recorded_not_raised(when: str, changes: dict[str, Any]) -> None:
    book = book_with(when)
    bad = facts(**changes)
    if "dataset" in changes:
        bad["dataset"] = changes["dataset"]
    result = evaluate_rules(book, bad)
    assert result.fired == []
    assert len(result.errors) == 1
    rule_id, message = result.errors[0]
    assert rule_id == "c"
    assert message and "\n" not in message


def test_runtime_errors_do_not_stop_other_rules() -> None:
    data = {
        "name": "t",
        "version": "1",
        "destination": "internal",
        "params": {"k": 3},
        "rules": [
            {"id": "bad", "when": "dataset.rows > 1", "outcome": "release", "rationale": "x"},
            {"id": "good", "when": "size(problems) == 0", "outcome": "release", "rationale": "x"},
        ],
    }
    book = parse_rulebook(yaml.safe_dump(data).encode(), "t.yaml")
    bad = facts(dataset={"name": "x", "rows": "many", "columns": 1, "person_related": False})
    result = evaluate_rules(book, bad)
    assert [rule.id for rule in result.fired] == ["good"]
    assert [rule_id for rule_id, _ in result.errors] == ["bad"]
    assert result.outcome is Decision.RELEASE


def test_params_default_to_rulebook_params() -> None:
    book = book_with("params.k == 5")
    assert [rule.id for rule in evaluate_rules(book, facts()).fired] == ["c"]
    explicit = {**facts(), "params": {"k": 7, "l": 2}}
    assert evaluate_rules(book, explicit).fired == []


def test_string_literals_are_not_checked_as_fields() -> None:
    book = book_with("destination != 'metrics.bogus' && stage != \"dataset.nothing\"")
    assert [rule.id for rule in evaluate_rules(book, facts()).fired] == ["c"]


def test_rule_lookup() -> None:
    book = book_with("true")
    assert isinstance(book.rule("c"), Rule)
    with pytest.raises(KeyError):
        book.rule("missing")
