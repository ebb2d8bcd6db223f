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


# --------------------------------------------------------------------------- intervals, user


from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from triage.errors import ConfigError  # noqa: E402
from triage.redaction.hierarchies import interval_hierarchy  # noqa: E402
from triage.redaction.user_hierarchies import (  # noqa: E402
    hierarchy_from_definition,
    load_hierarchies,
    resolve_hierarchy,
)

ADULT_YAML = Path(__file__).resolve().parent.parent / "bench" / "hierarchies" / "adult.yaml"


def labels(h: object, values: list[str], level: int) -> list[object]:
    return h.map_uniques(np.array(values, dtype=object), level).tolist()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "level", "expected"),
    [
        (
            {"widths": (None, 5), "bottom": 16, "top": 90, "integer": True},
            1,
            ["<16", "34", "90+", "*"],
        ),
        (
            {"widths": (None, 5), "bottom": 16, "top": 90, "integer": True},
            2,
            ["<16", "30-34", "90+", "*"],
        ),
        ({"widths": (10, 20)}, 1, ["[10, 20)", "[30, 40)", "[90, 100)", "*"]),
        ({"widths": (10, 20)}, 2, ["[0, 20)", "[20, 40)", "[80, 100)", "*"]),
        ({"widths": (10,), "bottom": 18}, 1, ["<18", "[30, 40)", "[90, 100)", "*"]),
        ({"widths": (10,), "bottom": 18}, 2, ["*", "*", "*", "*"]),
    ],
)
def test_interval_hierarchy(kwargs: dict[str, object], level: int, expected: list[str]) -> None:
    h = interval_hierarchy(**kwargs)  # type: ignore[arg-type]
    assert labels(h, ["12", "34", "93", "n/a"], level) == expected


@pytest.mark.parametrize("widths", [(), (10, 15), (5, None), (-1,)])
def test_interval_hierarchy_rejects(widths: tuple[float | None, ...]) -> None:
    with pytest.raises(ValueError):
        interval_hierarchy(widths)


def test_top_percentile_fitted_to_column() -> None:
    h = interval_hierarchy((1000,), top_percentile=90)
    income = pd.Series([str(x) for x in range(0, 100_000, 1000)])
    fitted = h.fit(income)
    top = fitted.map_uniques(np.array(["99000", "5500"], dtype=object), 1).tolist()
    assert top == ["89100+", "[5000, 6000)"]
    assert h.fit(pd.Series([], dtype=object)).levels == 3


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "h.yaml"
    p.write_text(text)
    return p


def test_load_table_and_kinds(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """hierarchies:
  edu:
    levels:
      - [BSc, Degree, Higher, "*"]
      - [MSc, Degree, Higher, "*"]
      - [A-level, School, Lower, "*"]
  age:
    intervals: {widths: [5, 10], top: 90, integer: true}
  code:
    prefix: [3, 1]
  country:
    rules:
      - [{pattern: "^(US|CA)$", label: "North America"}, {pattern: ".", label: Other}]
""",
    )
    hs = load_hierarchies(p)
    assert sorted(hs) == ["age", "code", "country", "edu"]
    assert hs["edu"].levels == 4
    assert labels(hs["edu"], ["MSc", "GCSE"], 1) == ["Degree", "*"]
    assert labels(hs["edu"], ["MSc", "A-level"], 2) == ["Higher", "Lower"]
    assert labels(hs["age"], ["93", "44"], 2) == ["90+", "40-49"]
    assert labels(hs["code"], ["AB123"], 1) == ["AB1"]
    assert labels(hs["country"], ["CA", "FR"], 1) == ["North America", "Other"]
    assert hs["code"].fit(pd.Series(["AB1", "AB2", "CD1"], name="code")) is not None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("hierarchies:\n  e:\n    levels:\n      - [a, x, p]\n      - [b, x]\n", 5, "every value"),
        (
            "hierarchies:\n  e:\n    levels:\n      - [a, x, p]\n      - [b, x, q]\n",
            5,
            "not monotone",
        ),
        ("hierarchies:\n  e:\n    levels:\n      - [a, x]\n      - [a, y]\n", 5, "twice"),
        ("hierarchies:\n  e:\n    levels:\n      - [a, ~]\n", 4, "empty"),
        ("hierarchies:\n  e:\n    intervals: {widths: [10, 15]}\n", 3, "multiple"),
        ("hierarchies:\n  e:\n    prefix: [1, 3]\n", 3, "decreasing"),
        ("hierarchies:\n  e:\n    rules:\n      - [{pattern: '(', label: x}]\n", 4, "regex"),
        ("hierarchies:\n  e:\n    levels: [[a, b]]\n    prefix: [2]\n", 3, "exactly one"),
        ("hierarchies:\n  e: [\n", 3, "invalid YAML"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_hierarchies(p)
    assert f"{p}:{line}" in str(err.value)
    assert words in str(err.value)


def test_rules_monotony_checked_on_fit() -> None:
    h = hierarchy_from_definition(
        "c",
        {
            "rules": [
                [{"pattern": "^a", "label": "A"}, {"pattern": ".", "label": "B"}],
                [{"pattern": "1$", "label": "one"}, {"pattern": ".", "label": "other"}],
            ]
        },
    )
    h.fit(pd.Series(["a1", "b1"]))  # a1 -> A -> ?, b1 -> B: fine
    with pytest.raises(ConfigError, match="not monotone"):
        h.fit(pd.Series(["a1", "a2"], name="c"))  # both A at level 1, differ at level 2


def test_resolve_hierarchy_specs() -> None:
    assert resolve_hierarchy("age", "x").name == "age"
    assert resolve_hierarchy({"prefix": [2]}, "x").levels == 3
    assert resolve_hierarchy(f"{ADULT_YAML}#education", "x").levels == 4
    assert resolve_hierarchy(str(ADULT_YAML), "race").levels == 2
    with pytest.raises(ConfigError):
        resolve_hierarchy("nonsense", "x")
    with pytest.raises(ConfigError, match="no hierarchy"):
        resolve_hierarchy(str(ADULT_YAML), "nope")


def test_adult_yaml_is_valid() -> None:
    hs = load_hierarchies(ADULT_YAML)
    assert {"age", "education", "native-country", "workclass"} <= set(hs)


def test_anonymise_k_with_user_hierarchies() -> None:
    from triage.context import RunContext
    from triage.redaction.base import TransformContext
    from triage.redaction.registry import get_transform
    from triage.risk.classes import k_anonymity

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "income": rng.integers(0, 200_000, n).astype(str),
            "edu": rng.choice(["BSc", "MSc", "A-level", "GCSE"], n),
        }
    )
    params = {
        "k": 5,
        "max_suppression": 0.02,
        "hierarchies": {
            "income": {"intervals": {"widths": [10_000, 50_000], "top_percentile": 95}},
            "edu": {
                "levels": [
                    ["BSc", "Degree"],
                    ["MSc", "Degree"],
                    ["A-level", "School"],
                    ["GCSE", "School"],
                ]
            },
        },
    }
    r = get_transform("anonymise_k").run(
        frame, ["income", "edu"], params, TransformContext(RunContext(), {})
    )
    assert k_anonymity(r.frame, ["income", "edu"]) >= 5
    assert r.rows_removed <= 0.02 * n
    assert r.frame["income"].str.startswith("[").any() or r.frame["income"].str.endswith("+").any()


@pytest.mark.parametrize(
    "value",
    [
        "LS1 4AB",
        "ls14ab",
        "EC1A1BB",
        "GIR 0AA",
        "gir0aa",
        "LS1",
        "LS1 4",
        "LS14",
        "  sw1a  2aa ",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
        "W1A 0AX",
        "not a postcode",
        "",
        "AB12 3CD5",
        "12345",
        "LS1  4",
        "GIR",
    ],
)
def test_vectorised_postcodes_agree_with_postcode_parts(value: str) -> None:
    from triage.redaction.hierarchies import postcode_parts, postcode_table

    sector, district, area = (a[0] for a in postcode_table(np.array([value], dtype=object)))
    expected = postcode_parts(value)
    assert (None if sector is None else (sector, district, area)) == expected
