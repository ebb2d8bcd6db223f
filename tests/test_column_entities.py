"""Column-level tables for the entities that come from NER and context rather than a single
pattern: PERSON, LOCATION (street addresses) and DATE_OF_BIRTH. Each has at least 10 positive
columns and 10 look-alike negatives, judged with the spaCy model as in a real run."""

from __future__ import annotations

import pandas as pd
import pytest

from triage.classifiers.columns import classify_column
from triage.classifiers.text import TextAnalyzer
from triage.context import RunContext
from triage.vocab import Entity

FORENAMES = [
    "Oliver",
    "Amelia",
    "Priya",
    "Mohammed",
    "Siobhan",
    "Gareth",
    "Chloe",
    "Tomasz",
    "Fatima",
    "Duncan",
    "Eleanor",
    "Kwame",
]
SURNAMES = [
    "Smith",
    "Patel",
    "O'Brien",
    "Jones",
    "Kowalski",
    "Begum",
    "Macdonald",
    "Evans",
    "Okafor",
    "Taylor",
    "Hughes",
    "Nguyen",
]


def names(offset: int, style: str = "first last") -> list[str]:
    out = []
    for i in range(24):
        first, last = FORENAMES[(i + offset) % 12], SURNAMES[(i * 5 + offset) % 12]
        out.append(
            {
                "first last": f"{first} {last}",
                "last, first": f"{last}, {first}",
                "title": f"Mrs {first} {last}",
                "first": first,
            }[style]
        )
    return out


def streets(numbered: bool) -> list[str]:
    roads = [
        "High Street",
        "Church Lane",
        "Station Road",
        "Park Avenue",
        "Mill Close",
        "Victoria Road",
        "Queens Drive",
        "Elm Grove",
    ]
    towns = ["Leeds", "York", "Bradford"]
    return [
        f"{i + 3} {roads[i % 8]}, {towns[i % 3]}" if numbered else roads[i % 8] for i in range(24)
    ]


def dates(fmt: str, start_year: int = 1940) -> list[str]:
    days = pd.date_range(f"{start_year}-01-03", periods=24, freq="401D")
    return [d.strftime(fmt) for d in days]


PERSON_POS = [
    ("full_name", names(0)),
    ("name", names(1)),
    ("resident", names(2)),
    ("contact", names(3)),
    ("field_3", names(4)),
    ("col_b", names(5)),
    ("client_name", names(6, "last, first")),
    ("officer", names(7, "title")),
    ("complainant", names(8)),
    ("x1", names(9)),
    ("first_name", names(10, "first")),
]
PERSON_NEG = [
    pytest.param(
        "name",
        ["Widget Pro", "Gadget Max", "Sensor Hub", "Smart Plug", "Light Bar"] * 5,
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limitation: under a 'name' header the small spaCy model tags "
            "two-word product names as people (errs towards treating data as personal)",
        ),
    ),
    ("service_name", ["Bulky Waste", "Garden Waste", "Pest Control", "Street Cleaning"] * 6),
    ("site_name", ["Leeds", "York", "Bradford", "Harrogate", "Wakefield"] * 5),
    ("street", streets(False)),
    ("team_name", ["Highways", "Parks", "Waste", "Housing", "Planning"] * 5),
    ("company", ["Acme Ltd", "Northern Power plc", "Yorkshire Water", "BT Group"] * 6),
    ("job_title", ["Engineer", "Manager", "Inspector", "Clerk", "Technician"] * 5),
    ("colour", ["Red", "Green", "Blue", "Amber", "White"] * 5),
    ("flag", ["Y", "N"] * 12),
    ("ward", ["Headingley", "Armley", "Roundhay", "Kirkstall", "Beeston"] * 5),
    ("status", ["Open", "Closed", "In progress", "Pending"] * 6),
]
LOCATION_POS = [
    (h, streets(True))
    for h in (
        "address",
        "home_address",
        "location",
        "addr",
        "field_9",
        "premises",
        "site",
        "correspondence",
        "col4",
        "where",
    )
]
LOCATION_NEG = [
    ("address_count", [str(i) for i in range(24)]),
    ("address", ["Y", "N"] * 12),
    ("location", ["North", "South", "East", "West"] * 6),
    ("status", ["Open", "Closed"] * 12),
    ("category", ["Street light fault", "Pothole", "Graffiti", "Fly-tipping"] * 6),
    ("street_type", ["Road", "Street", "Lane", "Avenue"] * 6),
    ("asset_id", [f"SL-{1000 + i}" for i in range(24)]),
    ("reading", [f"{10 + i / 10:.1f}" for i in range(24)]),
    ("town", ["Leeds", "York", "Bradford"] * 8),
    ("note", ["ok", "check", "replace"] * 8),
]
DOB_POS = [
    (h, dates(f))
    for h, f in [
        ("date_of_birth", "%d/%m/%Y"),
        ("dob", "%Y-%m-%d"),
        ("birth_date", "%d-%m-%Y"),
        ("DOB", "%d/%m/%Y"),
        ("born", "%Y-%m-%d"),
        ("d_o_b", "%d/%m/%Y"),
        ("dateofbirth", "%Y-%m-%d"),
        ("birthdate", "%d %B %Y"),
        ("client_dob", "%d/%m/%Y"),
        ("date_birth", "%Y-%m-%d"),
    ]
]
DOB_NEG = [
    ("referral_date", dates("%d/%m/%Y", 2020)),
    ("timestamp", dates("%Y-%m-%d", 2021)),
    ("date", dates("%Y-%m-%d", 2019)),
    ("installed_on", dates("%d/%m/%Y", 2015)),
    ("dob_count", [str(i) for i in range(24)]),
    ("birth_weight_g", [str(3000 + i) for i in range(24)]),
    ("reported_on", dates("%d-%m-%Y", 2022)),
    ("date_of_birth_flag", ["Y", "N"] * 12),
    ("closed", dates("%Y-%m-%d", 2023)),
    ("inspection_date", dates("%d %B %Y", 2018)),
]


def entities_of(analyzer: TextAnalyzer, header: str, values: list[str]) -> tuple[Entity, ...]:
    col = classify_column(
        header, pd.Series(values, dtype="str"), RunContext(), analyzer, person_related=True
    )
    return col.entities


@pytest.mark.parametrize(("header", "values"), PERSON_POS)
def test_person_positive(analyzer, header, values) -> None:
    assert Entity.PERSON in entities_of(analyzer, header, values)


@pytest.mark.parametrize(("header", "values"), PERSON_NEG)
def test_person_negative(analyzer, header, values) -> None:
    assert Entity.PERSON not in entities_of(analyzer, header, values)


@pytest.mark.parametrize(("header", "values"), LOCATION_POS)
def test_location_positive(analyzer, header, values) -> None:
    assert Entity.LOCATION in entities_of(analyzer, header, values)


@pytest.mark.parametrize(("header", "values"), LOCATION_NEG)
def test_location_negative(analyzer, header, values) -> None:
    assert Entity.LOCATION not in entities_of(analyzer, header, values)


@pytest.mark.parametrize(("header", "values"), DOB_POS)
def test_date_of_birth_positive(analyzer, header, values) -> None:
    assert Entity.DATE_OF_BIRTH in entities_of(analyzer, header, values)


@pytest.mark.parametrize(("header", "values"), DOB_NEG)
def test_date_of_birth_negative(analyzer, header, values) -> None:
    assert Entity.DATE_OF_BIRTH not in entities_of(analyzer, header, values)
