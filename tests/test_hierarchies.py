"""Tests of generalisation hierarchies (triage.redaction.hierarchies)."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import triage.redaction.hierarchies as hmod
from triage.redaction.hierarchies import hierarchy_for, numeric_hierarchy


def gen(kind: str, value: object, level: int) -> object:
    out = hierarchy_for(kind).generalise(pd.Series([value], dtype=object), level)
    return out.iloc[0]


def test_doctests() -> None:
    assert doctest.testmod(hmod).failed == 0


@pytest.mark.parametrize(
    ("value", "sector", "district", "area"),
    [
        ("LS1 4AB", "LS1 4", "LS1", "LS"),
        ("LS14AB", "LS1 4", "LS1", "LS"),
        ("ls1 4ab", "LS1 4", "LS1", "LS"),
        ("  M1  1AE ", "M1 1", "M1", "M"),
        ("EC1A 1BB", "EC1A 1", "EC1A", "EC"),
        ("EC1A1BB", "EC1A 1", "EC1A", "EC"),
        ("W1A 0AX", "W1A 0", "W1A", "W"),
        ("SW1A2AA", "SW1A 2", "SW1A", "SW"),
        ("GIR 0AA", "GIR 0", "GIR", "GIR"),
        ("GIR0AA", "GIR 0", "GIR", "GIR"),
        ("LS1 4", "LS1 4", "LS1", "LS"),
        ("LS1", "LS1", "LS1", "LS"),
        ("not a postcode", "*", "*", "*"),
        ("12345", "*", "*", "*"),
    ],
)
def test_postcode(value: str, sector: str, district: str, area: str) -> None:
    assert gen("postcode", value, 0) == value
    assert gen("postcode", value, 1) == sector
    assert gen("postcode", value, 2) == district
    assert gen("postcode", value, 3) == area
    assert gen("postcode", value, 4) == "*"


@pytest.mark.parametrize(
    ("value", "b5", "b10", "b20"),
    [
        ("34", "30-34", "30-39", "20-39"),
        ("0", "0-4", "0-9", "0-19"),
        ("34.9", "30-34", "30-39", "20-39"),
        (" 40 ", "40-44", "40-49", "40-59"),
        ("85", "85-89", "80-89", "80-89"),
        ("89", "85-89", "80-89", "80-89"),
        ("90", "90+", "90+", "90+"),
        ("104", "90+", "90+", "90+"),
        ("unknown", "*", "*", "*"),
        ("-3", "*", "*", "*"),
        ("", "*", "*", "*"),
    ],
)
def test_age(value: str, b5: str, b10: str, b20: str) -> None:
    assert [gen("age", value, lv) for lv in (1, 2, 3, 4)] == [b5, b10, b20, "*"]


@pytest.mark.parametrize(
    ("value", "month", "year"),
    [
        ("2024-03-05", "2024-03", "2024"),
        ("05/03/2024", "2024-03", "2024"),
        ("5/3/2024", "2024-03", "2024"),
        ("31/12/2023", "2023-12", "2023"),
        ("5 March 2024", "2024-03", "2024"),
        ("20240305", "2024-03", "2024"),
        ("2024-03-05T10:11:12", "2024-03", "2024"),
        ("2024-03", "2024-03", "2024"),
        ("2024", "2024", "2024"),
        ("not a date", "*", "*"),
    ],
)
def test_event_date(value: str, month: str, year: str) -> None:
    assert [gen("event_date", value, lv) for lv in (1, 2, 3)] == [month, year, "*"]


@pytest.mark.parametrize(
    ("value", "year", "decade"),
    [
        ("14/07/1984", "1984", "1980s"),
        ("1984-07-14", "1984", "1980s"),
        ("2000-01-01", "2000", "2000s"),
        ("?", "*", "*"),
    ],
)
def test_date_of_birth(value: str, year: str, decade: str) -> None:
    assert [gen("date_of_birth", value, lv) for lv in (1, 2, 3)] == [year, decade, "*"]


@pytest.mark.parametrize(
    ("value", "group"),
    [
        ("White: English, Welsh, Scottish, Northern Irish or British", "White"),
        ("White: Irish", "White"),
        ("White: Roma", "White"),
        ("Asian, Asian British or Asian Welsh: Bangladeshi", "Asian"),
        ("Chinese", "Asian"),
        ("Black, Black British, Black Welsh, Caribbean or African: African", "Black"),
        ("Mixed or Multiple ethnic groups: White and Asian", "Mixed"),
        ("Other ethnic group: Arab", "Other"),
        ("Other ethnic group: Any other ethnic group", "Other"),
        ("Martian", "Other"),
    ],
)
def test_ethnicity(value: str, group: str) -> None:
    assert gen("ethnicity", value, 1) == group
    assert gen("ethnicity", value, 2) == "*"


@pytest.mark.parametrize("kind", ["sex", "area", "occupation", "marital_status", None, "zzz"])
def test_two_level(kind: str | None) -> None:
    h = hierarchy_for(kind)
    assert h.levels == 2
    assert gen(kind or "x", "F", 0) == "F"
    assert gen(kind or "x", "F", 1) == "*"


def test_levels_and_names() -> None:
    assert hierarchy_for("age").levels == 5
    assert hierarchy_for("event_date").levels == 4
    assert hierarchy_for("date_of_birth").levels == 4
    assert hierarchy_for("postcode").levels == 5
    assert hierarchy_for("ethnicity").levels == 3
    for kind in ("age", "postcode", "sex"):
        h = hierarchy_for(kind)
        assert len(h.level_names) == h.levels
    with pytest.raises(ValueError):
        hierarchy_for("age").generalise(pd.Series(["1"]), 9)


def test_missing_values() -> None:
    s = pd.Series(["34", None, float("nan"), "34"], dtype=object)
    h = hierarchy_for("age")
    out = h.generalise(s, 1)
    assert out.iloc[0] == out.iloc[3] == "30-34"
    assert pd.isna(out.iloc[1]) and pd.isna(out.iloc[2])
    assert h.generalise(s, h.top).tolist() == ["*"] * 4


def test_generalise_keeps_input_and_index() -> None:
    s = pd.Series(["LS1 4AB", "LS14AB"], index=[10, 20], name="pc", dtype="str")
    before = s.copy()
    out = hierarchy_for("postcode").generalise(s, 2)
    pd.testing.assert_series_equal(s, before)
    assert out.index.tolist() == [10, 20] and out.name == "pc"
    assert out.tolist() == ["LS1", "LS1"]


def test_numeric() -> None:
    h = numeric_hierarchy(10)
    s = pd.Series(["42", "47.5", "x"], dtype=object)
    assert h.generalise(s, 1).tolist() == ["[40, 50)", "[40, 50)", "*"]
    assert h.generalise(s, 2).tolist() == ["[40, 60)", "[40, 60)", "*"]
    assert hierarchy_for("numeric").levels == 5
