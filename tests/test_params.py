"""Typed engine parameters: a rulebook's misspelt or ill-typed engine key is a load error."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from triage.errors import RulebookError
from triage.params import EngineParams, engine_params
from triage.rules import builtin_rulebook, parse_rulebook
from triage.vocab import Destination

RULE: dict[str, Any] = {"id": "r", "when": "true", "outcome": "refer", "rationale": "test"}


def book(params: dict[str, Any], rule: dict[str, Any] | None = None) -> bytes:
    data = {
        "name": "t",
        "version": "1",
        "destination": "open-data",
        "params": params,
        "rules": [rule or RULE],
    }
    return yaml.safe_dump(data).encode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kk": 10}, "params.kk: not an engine parameter and no rule uses it (did you mean 'k'?)"),
        ({"table_treshold": 3}, "did you mean 'table_threshold'?"),
        ({"k": "ten"}, "params.k: Input should be a valid integer"),
        ({"k": 0}, "params.k: Input should be greater than or equal to 1"),
        ({"max_suppression": 1.5}, "params.max_suppression: Input should be less than or equal"),
        ({"missing": "ignore"}, "params.missing: Input should be 'own_value' or 'matches_any'"),
        ({"site_buffers_m": {"school": -5}}, "buffer of 'school' is negative"),
        ({"staff_post_headers": "(job"}, "not a regular expression"),
        ({"require_context": "sometimes"}, "params.require_context: Input should be a valid bool"),
    ],
)
def test_bad_engine_param_is_a_load_error(params: dict[str, Any], message: str) -> None:
    with pytest.raises(RulebookError, match=r"^t\.yaml: ") as caught:
        parse_rulebook(book(params), "t.yaml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "rule",
    [
        {**RULE, "when": "params.local_cap > 3"},
        {
            "id": "r",
            "when": "true",
            "outcome": "release_with_changes",
            "treatments": [
                {
                    "transform": "suppress_records",
                    "role": "quasi_identifier",
                    "params": {"k": "$local_cap"},
                }
            ],
            "rationale": "test",
        },
    ],
)
def test_a_rulebooks_own_param_is_kept_when_a_rule_uses_it(rule: dict[str, Any]) -> None:
    loaded = parse_rulebook(book({"local_cap": 4, "k": 7}, rule), "t.yaml")
    assert loaded.params["local_cap"] == 4
    assert loaded.engine.k == 7


def test_defaults_when_absent() -> None:
    loaded = parse_rulebook(book({}), "t.yaml")
    assert loaded.engine == EngineParams()
    assert (loaded.engine.k, loaded.engine.l, loaded.engine.table_threshold) == (5, None, 10)


@pytest.mark.parametrize("destination", list(Destination))
def test_shipped_rulebooks_typed(destination: Destination) -> None:
    rulebook = builtin_rulebook(destination)
    assert rulebook.engine.k == rulebook.params["k"]
    assert rulebook.engine.table_threshold == rulebook.params["table_threshold"]
    assert rulebook.engine.max_suppression == rulebook.params["max_suppression"]


def test_engine_params_names_every_bad_key() -> None:
    with pytest.raises(ValueError, match=r"params\.k: .*; params\.l: "):
        engine_params({"k": -1, "l": "x"})
