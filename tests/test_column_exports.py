"""Columns of real exports that hide what they are: case-normalised names, compact dates of
birth, national numbers of other countries, house numbers in their own column, keys of
patients and clinical terms; each with a negative row."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from triage.classifiers.columns import classify_column, classify_dataset
from triage.classifiers.text import TextAnalyzer
from triage.context import RunContext
from triage.vocab import ColumnRole, Entity

N = 120
GIVEN = ["lachlan", "mary", "oliver", "chloe", "james", "sophie", "thomas", "emily", "jack", "ruby"]
SURNAMES = ["berry", "smith", "jones", "taylor", "brown", "wilson", "evans", "walker", "white"]
SURNAMES += ["green", "hughes", "wood", "clarke", "roberts"]


def _col(header: str, values: list[str], analyzer: TextAnalyzer):  # type: ignore[no-untyped-def]
    return classify_column(header, pd.Series(values, dtype="str"), RunContext(), analyzer)


def _cycle(values: list[str], n: int = N) -> list[str]:
    return [values[i % len(values)] + ("" if i < len(values) else f"{i}") for i in range(n)]


@pytest.mark.parametrize(
    ("header", "values", "role", "entity"),
    [
        ("given_name", [GIVEN[i % 10] for i in range(N)], ColumnRole.DIRECT_IDENTIFIER, "PERSON"),
        (
            "surname",
            [SURNAMES[i % len(SURNAMES)] for i in range(N)],
            ColumnRole.DIRECT_IDENTIFIER,
            "PERSON",
        ),
        # a compact date of birth, year first
        (
            "date_of_birth",
            [f"19{50 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}" for i in range(N)],
            ColumnRole.QUASI_IDENTIFIER,
            "DATE_OF_BIRTH",
        ),
        # eight digits under no date header are a number
        ("reference", [f"1999{1 + i % 12:02d}{1 + i % 28:02d}" for i in range(N)], None, None),
        # a national number of another country under its header
        (
            "soc_sec_id",
            [str(6_988_048 + 7 * i) for i in range(N)],
            ColumnRole.DIRECT_IDENTIFIER,
            None,
        ),
        ("soc_sec_id", ["1", "2", "3"] * (N // 3), None, None),  # few values: no identifier
        # a patient's key
        (
            "PATIENT",
            [str(uuid.UUID(int=i % 30 + 1)) for i in range(N)],
            ColumnRole.DIRECT_IDENTIFIER,
            None,
        ),
        ("ENCOUNTER", [str(uuid.UUID(int=i + 1)) for i in range(N)], None, None),
        # clinical terms with their SNOMED CT tags
        (
            "DESCRIPTION",
            [f"{w} (disorder)" for w in ("Acute viral pharyngitis", "Asthma", "Otitis media")] * 40,
            ColumnRole.SENSITIVE_ATTRIBUTE,
            None,
        ),
        # half of them tagged, the rest plain condition names: still clinical terms
        (
            "DESCRIPTION",
            [
                *(f"{w} (disorder)" for w in ("Anemia", "Acute bronchitis", "Sinusitis")),
                *(f"{w} (finding)" for w in ("Chronic neck pain", "Stress")),
                "Appendicitis",
                "Prediabetes",
                "Sprain of ankle",
                "Drug overdose",
                "Miscarriage",
            ]
            * 12,
            ColumnRole.SENSITIVE_ATTRIBUTE,
            None,
        ),
        # two tags are not enough; a place's own (building) tag is not clinical
        ("DESCRIPTION", ["Town hall (building)", "Library (building)", "Pool"] * 40, None, None),
        (
            "DESCRIPTION",
            ["Wound (disorder)", "Rust (finding)", "Gate", "Fence", "Wall", "Door", "Sign"] * 17,
            None,
            None,
        ),
    ],
)
def test_export_columns(
    analyzer: TextAnalyzer,
    header: str,
    values: list[str],
    role: ColumnRole | None,
    entity: str | None,
) -> None:
    col = _col(header, values, analyzer)
    if role is None:  # whatever else it is, not an identifier nor a special category
        assert col.role not in (ColumnRole.DIRECT_IDENTIFIER, ColumnRole.SENSITIVE_ATTRIBUTE)
    else:
        assert col.role is role
    if entity is not None:
        assert Entity(entity) in col.entities


def test_place_names_in_lower_case_are_not_names(analyzer: TextAnalyzer) -> None:
    places = ["killarney", "bittern", "st james", "willaroo", "headingley", "roundhay"]
    col = _col("locality", [places[i % len(places)] for i in range(N)], analyzer)
    assert col.role is not ColumnRole.DIRECT_IDENTIFIER


@pytest.mark.parametrize(
    ("with_people", "role"), [(True, ColumnRole.DIRECT_IDENTIFIER), (False, ColumnRole.LOCATION)]
)
def test_house_number_column_is_part_of_an_address(
    analyzer: TextAnalyzer, with_people: bool, role: ColumnRole
) -> None:
    frame = pd.DataFrame(
        {
            "street_number": [str(1 + i % 90) for i in range(N)],
            "street": ["Elm Road", "Mill Lane", "High Street"] * (N // 3),
        }
    )
    if with_people:
        frame["full_name"] = [
            f"{GIVEN[i % 10].title()} {SURNAMES[i % 14].title()}" for i in range(N)
        ]
    out = classify_dataset(frame, RunContext(), analyzer)
    assert out.columns["street_number"].role is role
