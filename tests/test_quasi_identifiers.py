"""Class 5 of real-data failures: quasi-identifiers, and claims on released data.

Released files claimed k=10 while k over plausible QIs was 1 (education, work class, household
relationship, town, language, numeric ZIP codes were not counted). These QIs count in data about
people and stay plain attributes elsewhere; the report says which columns were counted and why
the others were not, and a k claim holds over every column the report calls a QI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.classifiers.columns import classify_dataset
from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.redaction.hierarchies import hierarchy_for
from triage.rules import builtin_rulebook
from triage.vocab import ColumnRole, Destination

CTX = RunContext(nlp=NlpSettings(model=None))
N = 240
RNG = np.random.default_rng(5)


def _people(**extra: list[str]) -> pd.DataFrame:
    """A person-level table (sex and age band make it about people) with ``extra`` columns."""
    frame = {
        "sex": RNG.choice(["Female", "Male"], N).tolist(),
        "age_band": RNG.choice(["18-29", "30-44", "45-64", "65+"], N).tolist(),
    }
    return pd.DataFrame({**frame, **extra})


def _places(**extra: list[str]) -> pd.DataFrame:
    """A list of places (no person data) with ``extra`` columns."""
    return pd.DataFrame({"site_ref": [f"S{i:04d}" for i in range(N)], **extra})


CONTEXT_QIS = [
    # (header, values, QI kind in data about people)
    ("education", ["Bachelors", "HS-grad", "Masters", "Some-college"], "education"),
    ("highest_qualification", ["Level 1", "Level 2", "Level 3", "Level 4+"], "education"),
    ("workclass", ["Private", "State-gov", "Self-emp", "Local-gov"], "employment"),
    ("economic_activity", ["Employed", "Unemployed", "Retired", "Student"], "employment"),
    ("relationship", ["Husband", "Wife", "Own-child", "Not-in-family"], "household"),
    ("housing_tenure", ["Owner occupied", "Social rented", "Private rented"], "household"),
    ("clinic", ["Sale Clinic", "Altrincham Health Centre", "Partington"], "service_place"),
    ("pickup_location", ["Stretford Mall", "Sale Waterside", "Urmston Library"], "service_place"),
    ("CURRENT_TOWN", ["Sale", "Altrincham", "Urmston", "Stretford"], "area"),
    ("LANGUAGE", ["English", "Polish", "Urdu", "Welsh"], "nationality"),
    ("household_size", ["1", "2", "3", "4", "5"], "household"),
]


@pytest.mark.parametrize(("header", "values", "kind"), CONTEXT_QIS)
def test_contextual_attributes_are_quasi_identifiers_in_data_about_people(
    header: str, values: list[str], kind: str
) -> None:
    column = RNG.choice(values, N).tolist()
    about_people = classify_dataset(_people(**{header: column}), CTX, None).columns[header]
    assert (about_people.role, about_people.qi_kind) == (ColumnRole.QUASI_IDENTIFIER, kind)
    about_places = classify_dataset(_places(**{header: column}), CTX, None)
    assert not about_places.person_related
    assert about_places.columns[header].role is ColumnRole.NONE


@pytest.mark.parametrize(
    ("header", "values", "role"),
    [
        ("zipcode", [str(v) for v in RNG.integers(10000, 99999, 40)], ColumnRole.QUASI_IDENTIFIER),
        (
            "CURRENT_ZIP_CODE",
            [str(v) for v in RNG.integers(1000, 9999, 40)],
            ColumnRole.QUASI_IDENTIFIER,
        ),
        ("visits", [str(v) for v in RNG.integers(1000, 9999, 40)], ColumnRole.NONE),  # a measure
    ],
)
def test_numeric_postal_codes_are_quasi_identifiers(
    header: str, values: list[str], role: ColumnRole
) -> None:
    frame = _people(**{header: RNG.choice(values, N).tolist()})
    col = classify_dataset(frame, CTX, None).columns[header]
    assert col.role is role
    if role is ColumnRole.QUASI_IDENTIFIER:
        assert col.qi_kind == "postal_code"


@pytest.mark.parametrize(
    ("level", "expected"),
    [(0, ["82667", "5252"]), (1, ["8266*", "525*"]), (2, ["826**", "52**"]), (4, ["*", "*"])],
)
def test_postal_codes_generalise_by_masking_trailing_digits(
    level: int, expected: list[str]
) -> None:
    values = np.array(["82667", "5252"], dtype=object)
    assert hierarchy_for("postal_code").map_uniques(values, level).tolist() == expected


def _check(frame: pd.DataFrame, name: str = "people.csv"):
    dataset = Dataset(name=name, sha256="0" * 64, format="csv", frame=frame)
    return Engine(builtin_rulebook(Destination.OPEN_DATA), CTX, None).check([dataset])


def test_the_report_says_which_columns_were_counted_and_why_the_others_were_not() -> None:
    frame = _people(
        workclass=RNG.choice(["Private", "State-gov"], N).tolist(),
        visits=[str(v) for v in RNG.integers(0, 9, N)],
        email=[f"person{i}@example.org" for i in range(N)],
    )
    report = _check(frame).report
    (ds,) = report.datasets
    considered = {c["column"]: c for c in ds.risk.considered}
    assert set(considered) == set(frame.columns)
    counted = {c for c, v in considered.items() if v["quasi_identifier"]}
    assert counted == {"sex", "age_band", "workclass"} == set(ds.risk.before.quasi_identifiers)
    assert "direct identifier" in considered["email"]["why"]
    assert "no quasi-identifier" in considered["visits"]["why"]
    assert all(v["why"] for v in considered.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_k_claim_holds_over_every_column_the_report_calls_a_qi(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["Female", "Male"], n),
            "age_band": rng.choice(["18-29", "30-44", "45-64", "65+"], n),
            "education": rng.choice(["Bachelors", "HS-grad", "Masters", "Doctorate"], n),
            "relationship": rng.choice(["Husband", "Wife", "Own-child", "Unmarried"], n),
            "native_country": rng.choice(
                ["England", "Poland", "India", "Ireland"], n, p=[0.85, 0.05, 0.05, 0.05]
            ),
        }
    )
    result = _check(frame)
    (ds,) = result.report.datasets
    assert result.report.decision.value == "release_with_changes"
    assert ds.risk.after is not None and ds.risk.after.k_anonymity is not None
    released = result.released["people.csv"]
    qis = [c["column"] for c in ds.risk.considered if c["quasi_identifier"]]
    assert set(qis) == set(frame.columns)
    held = [q for q in qis if q in released.columns]
    assert int(released.groupby(held, dropna=False).size().min()) >= ds.risk.after.k_anonymity


def test_a_treatment_that_removes_most_records_is_referred_not_released() -> None:
    """ARX's 8-row test table at k=10: every record would go, so a person must choose."""
    frame = pd.DataFrame(
        {
            "age": ["34", "45", "66", "70", "34", "70", "45", "66"],
            "gender": ["male", "female", "male", "male", "female", "female", "male", "female"],
            "zipcode": ["82667", "82668", "82669", "82670", "82667", "82670", "82668", "82669"],
        }
    )
    result = _check(frame, "dis.csv")
    assert result.report.decision.value == "refer"
    problems = [p for p in result.report.problems if p.kind == "treatment_keeps_little"]
    assert problems and "remove" in problems[0].message
    assert "dis.csv" not in result.released
