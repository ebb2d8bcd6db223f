"""Tests of utility measures (triage.risk.utility), hand-computed small cases."""

from __future__ import annotations

import doctest
import math

import pandas as pd
import pytest

import triage.risk.utility as umod
from triage.risk.utility import (
    average_class_size_ratio,
    discernibility,
    generalisation_intensity,
    non_uniform_entropy,
    suppressed_cells,
    utility_report,
)


def test_doctests() -> None:
    assert doctest.testmod(umod).failed == 0


ORIG = pd.DataFrame(
    {"age": ["31", "32", "33", "47", "48"], "sex": ["F", "F", "M", "M", "M"]},
    index=[10, 11, 12, 13, 14],
)
#: record 12 removed; age generalised to decades; sex of record 11 suppressed
TREATED = pd.DataFrame(
    {"age": ["30-39", "30-39", "40-49", "40-49"], "sex": ["F", "*", "M", "M"]},
    index=[10, 11, 13, 14],
)


def test_suppressed_cells_and_records() -> None:
    assert suppressed_cells(ORIG, TREATED, ["age", "sex"]) == 1
    r = utility_report(ORIG, TREATED, ["age", "sex"], {"age": (2, 4), "sex": (0, 1)}, k=2)
    assert r["suppressed_records"] == 1
    assert r["records_after"] == 4


def test_discernibility_hand_computed() -> None:
    # classes after: {30-39,F}:1, {30-39,*}:1, {40-49,M}:2 -> 1 + 1 + 4, plus 1 removed x n=5
    assert discernibility(TREATED, ["age", "sex"], suppressed=1, n=5) == 11
    # before: every record unique -> 5
    assert discernibility(ORIG, ["age", "sex"]) == 5


def test_non_uniform_entropy_hand_computed() -> None:
    # generalised over all five records (removed record 12 counts as "*"):
    # age: 30-39 -> {31, 32}: 2 x 1 bit; "*" -> {33}: 0; 40-49 -> {47, 48}: 2 x 1 bit  = 4
    # sex: F -> {F}: 0; "*" (records 11 and 12) -> {F, M}: 2 x 1 bit; M -> {M, M}: 0 = 2
    assert non_uniform_entropy(ORIG, TREATED, ["age", "sex"]) == pytest.approx(6.0)
    # everything "*": age 5 distinct -> 5 log2 5; sex F 2/5, M 3/5
    expected = 5 * math.log2(5) + 2 * -math.log2(2 / 5) + 3 * -math.log2(3 / 5)
    assert non_uniform_entropy(ORIG, ORIG.iloc[0:0], ["age", "sex"]) == pytest.approx(expected)
    r = utility_report(ORIG, TREATED, ["age", "sex"])
    assert r["non_uniform_entropy_normalised"] == pytest.approx(6.0 / expected)
    assert non_uniform_entropy(ORIG, ORIG, ["age", "sex"]) == 0.0


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ({"age": (2, 4), "sex": (0, 1)}, 0.25),
        ({"age": (4, 4), "sex": (1, 1)}, 1.0),
        ({"age": (0, 4)}, 0.0),
        ({}, None),
    ],
)
def test_generalisation_intensity(levels: dict[str, tuple[int, int]], expected: float) -> None:
    assert generalisation_intensity(levels) == expected


def test_average_class_size_ratio() -> None:
    assert average_class_size_ratio(TREATED, ["age", "sex"], 2) == pytest.approx(4 / 3 / 2)
    assert average_class_size_ratio(ORIG, ["age", "sex"], 1) == 1.0
    assert average_class_size_ratio(ORIG.iloc[0:0], ["age"], 2) is None


def test_missing_values_are_a_value() -> None:
    o = pd.DataFrame({"a": [None, None, "x"]})
    assert discernibility(o, ["a"]) == 5
    assert non_uniform_entropy(o, o, ["a"]) == 0.0


def test_report_with_anonymise_k() -> None:
    from triage.context import RunContext
    from triage.redaction.base import TransformContext
    from triage.redaction.registry import get_transform

    frame = pd.DataFrame({"age": [str(20 + i % 40) for i in range(200)], "sex": ["F", "M"] * 100})
    tctx = TransformContext(RunContext(), {"age": "age", "sex": "sex"})
    res = get_transform("anonymise_k").run(frame, ["age", "sex"], {"k": 10}, tctx)
    from triage.redaction.anonymise_k import AnonymiseKParams, search_k

    plan = search_k(frame, ["age", "sex"], AnonymiseKParams(k=10), tctx)
    assert plan.optimal and set(plan.levels) == {"age", "sex"}
    assert plan.records_below_k == res.rows_removed
    r = utility_report(frame, res.frame, ["age", "sex"], plan.levels, k=10)
    assert 0 < r["generalisation_intensity"] <= 1
    assert r["average_class_size_ratio"] >= 1
    assert r["suppressed_records"] == res.rows_removed
    assert r["discernibility"] >= r["before"]["discernibility"]
    assert 0 < r["non_uniform_entropy_normalised"] <= 1
