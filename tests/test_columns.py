"""Tests of triage.classifiers.columns (column roles, person-relatedness, problems)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from triage.classifiers.base import Detector
from triage.classifiers.columns import (
    DatasetClassification,
    classify_column,
    classify_dataset,
)
from triage.classifiers.text import TextAnalyzer
from triage.context import RunContext
from triage.vocab import QI_KINDS, SENSITIVE_KINDS, ColumnRole, Entity

N = 120
RNG = np.random.default_rng(7)

FIRST = ["John", "Mary", "Priya", "David", "Sarah", "Mohammed", "Emma", "James", "Olivia", "Peter"]
LAST = ["Smith", "Jones", "Patel", "Brown", "Taylor", "Khan", "Wilson", "Evans", "Walker", "Wright"]


def _nhs_numbers(n: int) -> list[str]:
    out: list[str] = []
    i = 0
    while len(out) < n:
        base = f"{401_000_000 + i * 7919:09d}"
        i += 1
        check = 11 - sum(int(d) * (10 - k) for k, d in enumerate(base)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            out.append(base + str(check))
    return out


def _names(n: int) -> list[str]:
    return [f"{FIRST[i % 10]} {LAST[(i * 3 + i // 10) % 10]}" for i in range(n)]


def _choice(options: list[str], n: int = N) -> list[str]:
    return [str(x) for x in RNG.choice(options, n)]


COLUMNS: dict[str, list[str]] = {
    "nhs_number": _nhs_numbers(N),
    "field_7": _nhs_numbers(N),
    "email_count": [str(i) for i in range(N)],
    "email": [f"user{i}@example.org" for i in range(N)],
    "contact_phone": [f"07911 {100000 + i}" for i in range(N)],
    "full_name": _names(N),
    "postcode": _choice(["LS1 4AP", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"]),
    "sex": _choice(["M", "F"]),
    "gender_code": _choice(["Male", "Female", "Non-binary"]),
    "age": [str(x) for x in RNG.integers(0, 99, N)],
    "date_of_birth": [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}" for i in range(N)],
    "incident_date": [f"2023-0{1 + i % 9}-2{i % 10}" for i in range(N)],
    "religion": _choice(["Christian", "Muslim", "No religion", "Hindu", "Sikh"]),
    "col_x": _choice(["Christian", "Muslim", "No religion", "Hindu", "Sikh"]),
    "ethnic_group": _choice(["White British", "Indian", "Pakistani", "Black African"]),
    "diagnosis": _choice(["Diabetes", "Asthma", "Depression", "COPD", "Dementia"]),
    "benefit_type": _choice(["Universal Credit", "Housing Benefit", "PIP", "ESA"]),
    "offence": _choice(["Burglary", "Assault", "Theft", "Robbery"]),
    "lsoa_code": [f"E0100{1000 + i % 50}" for i in range(N)],
    "ward": _choice(["Headingley", "Hyde Park", "Roundhay", "Armley"]),
    "marital_status": _choice(["Single", "Married", "Divorced", "Widowed"]),
    "notes": [
        f"Resident reported damp in the kitchen, call on 07911 {200000 + i} or email "
        f"tenant{i}@example.org to arrange a visit"
        for i in range(N)
    ],
    "score": [f"{x:.3f}" for x in RNG.random(N)],
    "age_band": _choice(["0-15", "16-24", "25-44", "45-64", "65+"]),
    "year_of_birth": [str(1940 + i % 60) for i in range(N)],
    "sex_code": _choice(["1", "2"]),
    "disability_flag": _choice(["0", "1"]),
    "household_count": [str(x) for x in RNG.integers(1, 9, N)],
    "home_address": [f"{10 + i} Victoria Road, Leeds, LS6 {1 + i % 9}AB" for i in range(N)],
}

EXPECTED: dict[str, tuple[ColumnRole, tuple[Entity, ...], str | None, str | None]] = {
    "nhs_number": (ColumnRole.DIRECT_IDENTIFIER, (Entity.UK_NHS,), None, None),
    "field_7": (ColumnRole.DIRECT_IDENTIFIER, (Entity.UK_NHS,), None, None),
    "email_count": (ColumnRole.NONE, (), None, None),
    "email": (ColumnRole.DIRECT_IDENTIFIER, (Entity.EMAIL_ADDRESS,), None, None),
    "contact_phone": (ColumnRole.DIRECT_IDENTIFIER, (Entity.PHONE_NUMBER,), None, None),
    "full_name": (ColumnRole.DIRECT_IDENTIFIER, (Entity.PERSON,), None, None),
    "postcode": (ColumnRole.QUASI_IDENTIFIER, (Entity.UK_POSTCODE,), "postcode", None),
    "sex": (ColumnRole.QUASI_IDENTIFIER, (), "sex", None),
    "gender_code": (ColumnRole.QUASI_IDENTIFIER, (), "sex", None),
    "age": (ColumnRole.QUASI_IDENTIFIER, (), "age", None),
    "date_of_birth": (
        ColumnRole.QUASI_IDENTIFIER,
        (Entity.DATE_OF_BIRTH,),
        "date_of_birth",
        None,
    ),
    "incident_date": (ColumnRole.QUASI_IDENTIFIER, (Entity.DATE_TIME,), "event_date", None),
    "religion": (ColumnRole.SENSITIVE_ATTRIBUTE, (), None, "religion"),
    "col_x": (ColumnRole.SENSITIVE_ATTRIBUTE, (), None, "religion"),
    "ethnic_group": (ColumnRole.QUASI_IDENTIFIER, (), "ethnicity", "ethnicity"),
    "diagnosis": (ColumnRole.SENSITIVE_ATTRIBUTE, (), None, "health"),
    "benefit_type": (ColumnRole.SENSITIVE_ATTRIBUTE, (), None, "benefit"),
    "offence": (ColumnRole.SENSITIVE_ATTRIBUTE, (), None, "offence"),
    "lsoa_code": (ColumnRole.QUASI_IDENTIFIER, (), "area", None),
    "ward": (ColumnRole.QUASI_IDENTIFIER, (), "area", None),
    "marital_status": (ColumnRole.QUASI_IDENTIFIER, (), "marital_status", None),
    "notes": (ColumnRole.FREE_TEXT, (Entity.EMAIL_ADDRESS, Entity.PHONE_NUMBER), None, None),
    "score": (ColumnRole.NONE, (), None, None),
    "age_band": (ColumnRole.QUASI_IDENTIFIER, (), "age", None),
    "year_of_birth": (
        ColumnRole.QUASI_IDENTIFIER,
        (Entity.DATE_OF_BIRTH,),
        "date_of_birth",
        None,
    ),
    "sex_code": (ColumnRole.QUASI_IDENTIFIER, (), "sex", None),
    "disability_flag": (ColumnRole.SENSITIVE_ATTRIBUTE, (), None, "disability"),
    "household_count": (ColumnRole.NONE, (), None, None),
    "home_address": (ColumnRole.DIRECT_IDENTIFIER, (Entity.LOCATION,), None, None),
}


@pytest.fixture(scope="module")
def people_frame() -> pd.DataFrame:
    return pd.DataFrame(COLUMNS, dtype="str")


@pytest.fixture(scope="module")
def people(people_frame: pd.DataFrame, analyzer: TextAnalyzer) -> DatasetClassification:
    return classify_dataset(people_frame, RunContext(), analyzer)


@pytest.mark.parametrize("column", list(EXPECTED))
def test_role_per_column(people: DatasetClassification, column: str) -> None:
    role, entities, qi_kind, sensitive_kind = EXPECTED[column]
    got = people.columns[column]
    assert (got.role, got.entities, got.qi_kind, got.sensitive_kind) == (
        role,
        entities,
        qi_kind,
        sensitive_kind,
    ), got.evidence


def test_dataset_level(people: DatasetClassification, people_frame: pd.DataFrame) -> None:
    assert people.person_related
    assert list(people.columns) == list(people_frame.columns)
    assert people.problems == ()
    for c in people.columns.values():
        assert c.qi_kind is None or c.qi_kind in QI_KINDS
        assert c.sensitive_kind is None or c.sensitive_kind in SENSITIVE_KINDS


def test_evidence_has_no_raw_values(people: DatasetClassification) -> None:
    text = " ".join(" ".join(c.evidence) for c in people.columns.values())
    for column, values in COLUMNS.items():
        for value in values[:20]:
            if len(value) > 3 and value != column:
                assert value not in text, (column, value)


def test_field_7_evidence(people: DatasetClassification) -> None:
    [sentence] = people.columns["field_7"].evidence
    assert f"{N} of {N} sampled distinct values validate as UK_NHS" in sentence
    assert "header 'field_7' gave no hint" in sentence


def test_free_text_counts_rows(people: DatasetClassification) -> None:
    notes = people.columns["notes"]
    assert notes.sampled == N
    assert notes.entity_counts[Entity.EMAIL_ADDRESS] == N
    assert notes.entity_counts[Entity.PHONE_NUMBER] == N


def test_free_text_samples_at_most_text_sample_rows(analyzer: TextAnalyzer) -> None:
    ctx = RunContext(text_sample_rows=25)
    col = classify_column("notes", pd.Series(COLUMNS["notes"], dtype="str"), ctx, analyzer)
    assert col.role == ColumnRole.FREE_TEXT
    assert col.sampled == 25
    assert col.entity_counts[Entity.EMAIL_ADDRESS] == 25


SENSOR = {
    "device_ip": [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(N)],
    "site_postcode": _choice(["LS1 4AP", "SW1A 1AA", "M1 1AE"]),
    "uprn": [str(100_023_336_956 + i) for i in range(N)],
    "reading_time": [f"2024-03-0{1 + i % 9}T10:{i % 60:02d}:00" for i in range(N)],
    "pm25": [f"{x:.1f}" for x in RNG.random(N) * 40],
    "vehicle_count": [str(x) for x in RNG.integers(0, 500, N)],
}


@pytest.mark.parametrize(
    ("column", "without_people", "with_people"),
    [
        ("device_ip", ColumnRole.NONE, ColumnRole.DIRECT_IDENTIFIER),
        ("site_postcode", ColumnRole.LOCATION, ColumnRole.QUASI_IDENTIFIER),
        ("uprn", ColumnRole.LOCATION, ColumnRole.DIRECT_IDENTIFIER),
        ("reading_time", ColumnRole.NONE, ColumnRole.QUASI_IDENTIFIER),
        ("pm25", ColumnRole.NONE, ColumnRole.NONE),
        ("vehicle_count", ColumnRole.NONE, ColumnRole.NONE),
    ],
)
def test_person_related_switches_roles(
    pattern_only: TextAnalyzer, column: str, without_people: ColumnRole, with_people: ColumnRole
) -> None:
    sensor = pd.DataFrame(SENSOR, dtype="str")
    alone = classify_dataset(sensor, RunContext(), pattern_only)
    assert not alone.person_related
    assert alone.columns[column].role == without_people, alone.columns[column].evidence
    with_sex = sensor.assign(sex=_choice(["M", "F"]))
    mixed = classify_dataset(with_sex, RunContext(), pattern_only)
    assert mixed.person_related
    assert mixed.columns[column].role == with_people, mixed.columns[column].evidence


def test_postcode_qi_kind_only_when_person_related(pattern_only: TextAnalyzer) -> None:
    frame = pd.DataFrame({"postcode": SENSOR["site_postcode"]}, dtype="str")
    alone = classify_dataset(frame, RunContext(), pattern_only).columns["postcode"]
    assert (alone.role, alone.qi_kind) == (ColumnRole.LOCATION, None)
    assert Entity.UK_POSTCODE in alone.entities


def test_input_frame_not_mutated(people_frame: pd.DataFrame, analyzer: TextAnalyzer) -> None:
    before = people_frame.copy()
    classify_dataset(people_frame, RunContext(sample_size=50), analyzer)
    pd.testing.assert_frame_equal(people_frame, before)


def test_deterministic(people_frame: pd.DataFrame, analyzer: TextAnalyzer) -> None:
    ctx = RunContext(sample_size=40, text_sample_rows=10, ner_sample_size=10)
    assert classify_dataset(people_frame, ctx, analyzer) == classify_dataset(
        people_frame, ctx, analyzer
    )


def test_sampling_caps_distinct_values(analyzer: TextAnalyzer) -> None:
    series = pd.Series(_nhs_numbers(500) * 3 + [None, "", "  "], dtype="str")
    col = classify_column("x", series, RunContext(sample_size=100), analyzer)
    assert col.sampled == 100
    assert col.entities == (Entity.UK_NHS,)


# --- injected fake detectors ----------------------------------------------------------


class FakeNhs(Detector):
    id: ClassVar[str] = "fake_nhs"
    entity: ClassVar[Entity] = Entity.UK_NHS
    pattern: ClassVar[str] = r"\d{10}"
    header_hints: ClassVar[tuple[str, ...]] = (r"nhs",)

    def validate(self, value: str) -> bool:
        digits = [int(d) for d in value]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
        return (0 if check == 11 else check) == digits[9]


class Crashing(Detector):
    id: ClassVar[str] = "crashing"
    entity: ClassVar[Entity] = Entity.UK_NINO
    pattern: ClassVar[str] = r".*"

    def match(self, values: pd.Series) -> np.ndarray:
        raise RuntimeError("secret value 9434765919 leaked?")


class HeaderOnly(Detector):
    id: ClassVar[str] = "ref"
    entity: ClassVar[Entity] = Entity.UK_UPRN
    pattern: ClassVar[str] = r"\d{1,12}"
    header_hints: ClassVar[tuple[str, ...]] = (r"uprn",)
    requires_header: ClassVar[bool] = True


@pytest.mark.parametrize(
    ("header", "values", "entities"),
    [
        ("field_7", _nhs_numbers(50), (Entity.UK_NHS,)),  # values without a hint
        ("nhs_count", [str(i) for i in range(50)], ()),  # hint without values
        ("nhs_no", _nhs_numbers(20) + [str(i) for i in range(30)], (Entity.UK_NHS,)),  # 40% + hint
        ("ref_no", _nhs_numbers(20) + [str(i) for i in range(30)], ()),  # 40% without hint
        ("property", [str(1000 + i) for i in range(50)], ()),  # requires_header, no hint
        ("uprn", [str(1000 + i) for i in range(50)], (Entity.UK_UPRN,)),  # requires_header + hint
    ],
)
def test_values_and_headers(
    pattern_only: TextAnalyzer, header: str, values: list[str], entities: tuple[Entity, ...]
) -> None:
    col = classify_column(
        header,
        pd.Series(values, dtype="str"),
        RunContext(),
        pattern_only,
        detectors=[FakeNhs(), HeaderOnly()],
    )
    assert col.entities == entities, col.evidence


def test_detector_crash_is_a_problem(pattern_only: TextAnalyzer) -> None:
    frame = pd.DataFrame({"a": _nhs_numbers(30), "b": [str(i) for i in range(30)]}, dtype="str")
    result = classify_dataset(frame, RunContext(), pattern_only, detectors=[Crashing(), FakeNhs()])
    crashes = [p for p in result.problems if p.kind == "detector_failed"]
    assert len(crashes) == 2  # one per column
    assert all("crashing" in p.message and "9434765919" not in p.message for p in crashes)
    assert {p.forces.value for p in crashes} == {"refer"}
    assert result.columns["a"].entities == (Entity.UK_NHS,)  # other detectors continue


# --- names and the NLP model ---------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "use_model", "person", "problem"),
    [
        ("surname_forename", True, True, False),
        ("visitor_name", True, True, False),  # generic header, NER agrees
        ("attendee", True, True, False),  # no name header: NER decides
        ("patient_name", False, True, True),  # header + shape without NER
        ("attendee", False, True, True),  # no header, no NER: common forenames (name list)
    ],
)
def test_names(
    analyzer: TextAnalyzer,
    pattern_only: TextAnalyzer,
    header: str,
    use_model: bool,
    person: bool,
    problem: bool,
) -> None:
    frame = pd.DataFrame({header: _names(80)}, dtype="str")
    result = classify_dataset(frame, RunContext(), analyzer if use_model else pattern_only)
    col = result.columns[header]
    assert (Entity.PERSON in col.entities) is person, col.evidence
    assert (col.role == ColumnRole.DIRECT_IDENTIFIER) is person
    kinds = [p.kind for p in result.problems]
    assert ("nlp_model_missing" in kinds) is problem


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("town", ["Leeds", "Bradford", "Wakefield", "Harrogate", "York", "Halifax"] * 5),
        ("category", ["Pothole", "Fly Tipping", "Graffiti", "Street Lighting"] * 5),
        ("supplier_name", ["Acme Supplies", "Northern Gas", "Leeds Paving", "Yorkshire Water"]),
        ("street_name", ["Victoria Road", "Elm Grove", "High Street", "Mill Lane"]),
    ],
)
def test_not_names(analyzer: TextAnalyzer, header: str, values: list[str]) -> None:
    col = classify_column(header, pd.Series(values, dtype="str"), RunContext(), analyzer)
    assert Entity.PERSON not in col.entities, col.evidence


def test_pattern_only_free_text_finds_structured(pattern_only: TextAnalyzer) -> None:
    frame = pd.DataFrame({"notes": COLUMNS["notes"]}, dtype="str")
    result = classify_dataset(frame, RunContext(), pattern_only)
    notes = result.columns["notes"]
    assert notes.role == ColumnRole.FREE_TEXT
    assert set(notes.entities) >= {Entity.EMAIL_ADDRESS, Entity.PHONE_NUMBER}
    assert "pattern-only" in " ".join(notes.evidence)
    assert [p.kind for p in result.problems] == ["nlp_model_missing"]


def test_empty_and_missing_columns(analyzer: TextAnalyzer) -> None:
    frame = pd.DataFrame({"empty": [None] * 5, "blank": ["", " ", None, "", ""]}, dtype="str")
    result = classify_dataset(frame, RunContext(), analyzer)
    assert all(c.role == ColumnRole.NONE and c.sampled == 0 for c in result.columns.values())


def test_large_frame_is_fast(pattern_only: TextAnalyzer) -> None:
    import time

    rows = 1_000_000
    rng = np.random.default_rng(1)
    pool = pd.array([str(x) for x in rng.integers(0, 10**9, 200_000)], dtype="str")
    sexes = pd.array(["M", "F", "Other"], dtype="str")
    data = {f"n{i}": pool.take(rng.integers(0, len(pool), rows)) for i in range(10)}
    data |= {f"s{i}": sexes.take(rng.integers(0, 3, rows)) for i in range(10)}
    frame = pd.DataFrame(data)
    start = time.perf_counter()
    result = classify_dataset(frame, RunContext(), pattern_only)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, elapsed
    assert result.columns["s0"].qi_kind == "sex"


def test_surname_first_names(analyzer: TextAnalyzer) -> None:
    values = [f"{LAST[i % 10]}, {FIRST[(i * 7) % 10]}" for i in range(40)]
    problems: list = []
    col = classify_column(
        "client", pd.Series(values, dtype="str"), RunContext(), analyzer, problems=problems
    )
    assert col.entities == (Entity.PERSON,), col.evidence
    assert problems == []


# --- names without NER, single letters, health values, ordinary categories ------------

_FULL_NAMES = [
    f"{first} {last}"
    for first in ["Callum", "Teresa", "Maureen", "George", "Leanne", "Iain", "Olivia", "Nigel"]
    for last in ["Watts", "Briggs", "Campbell-Reynolds", "Black", "Rees", "Harvey"]
]


@pytest.mark.parametrize(
    ("header", "values", "person"),
    [
        ("field_3", _FULL_NAMES, True),  # common forenames: names even without NER
        ("x7", [f"Mr {n}" for n in _FULL_NAMES[:20]] + [f"Dr {n}" for n in _FULL_NAMES[20:]], True),
        ("flag", ["Y", "N"] * 20, False),  # single letters are not names
        ("resolved", ["Y", "N", "U"] * 10, False),
        ("x8", ["Library", "Leisure Centre", "Parks", "Waste", "Housing", "Planning"] * 5, False),
        ("x9", ["Victoria Road", "Albert Street", "Mill Lane", "Park Avenue"] * 5, False),
        ("site_name", [f"{n} House" for n in _FULL_NAMES], False),  # negative-free but ...
    ],
)
def test_names_pattern_only(
    pattern_only: TextAnalyzer, header: str, values: list[str], person: bool
) -> None:
    col = classify_column(header, pd.Series(values, dtype="str"), RunContext(), pattern_only)
    assert (Entity.PERSON in col.entities) is person, col.evidence


@pytest.mark.parametrize(("header", "values"), [("flag", ["Y", "N"]), ("resolved", ["Y", "N"])])
def test_yes_no_is_not_a_name_with_model(
    analyzer: TextAnalyzer, header: str, values: list[str]
) -> None:
    col = classify_column(header, pd.Series(values * 30, dtype="str"), RunContext(), analyzer)
    assert Entity.PERSON not in col.entities, col.evidence


_NEEDS = [
    "Mobility",
    "Dementia",
    "Mental health",
    "Learning disability",
    "Carer support",
    "Frailty",
    "Sensory impairment",
]


@pytest.mark.parametrize(
    ("header", "values", "role", "kind"),
    [
        ("primary_need", _NEEDS, ColumnRole.SENSITIVE_ATTRIBUTE, "health"),
        ("field_4", _NEEDS, ColumnRole.SENSITIVE_ATTRIBUTE, "health"),
        # a third are conditions: still health data
        (
            "reason",
            [
                "Asthma",
                "Frailty",
                "Mobility",
                "Housing",
                "Debt",
                "Employment",
                "Transport",
                "Noise",
                "Other",
            ],
            ColumnRole.SENSITIVE_ATTRIBUTE,
            "health",
        ),
        (
            "x3",
            ["Deaf", "Blind", "Wheelchair user", "Not disabled", "Dyslexia"],
            ColumnRole.SENSITIVE_ATTRIBUTE,
            "disability",
        ),
        # ordinary categories stay harmless
        ("status", ["ok", "calibrating", "fault", "offline"], ColumnRole.NONE, None),
        ("condition", ["good", "poor", "fair", "excellent"], ColumnRole.NONE, None),
        ("road_condition", ["Good", "Poor", "Fair"], ColumnRole.NONE, None),
        ("treatment", ["done", "pending", "failed"], ColumnRole.NONE, None),
        (
            "service",
            ["Library", "Leisure", "Parks", "Waste", "Mobility", "Housing", "Roads"],
            ColumnRole.NONE,
            None,
        ),  # one care word among seven: not enough
        # a health header with real categories is still sensitive
        ("condition", ["Asthma", "Diabetes", "Unknown"], ColumnRole.SENSITIVE_ATTRIBUTE, "health"),
        ("diagnosis", ["A", "B", "C", "D"], ColumnRole.SENSITIVE_ATTRIBUTE, "health"),
    ],
)
def test_health_values_win(
    pattern_only: TextAnalyzer,
    header: str,
    values: list[str],
    role: ColumnRole,
    kind: str | None,
) -> None:
    col = classify_column(header, pd.Series(values * 10, dtype="str"), RunContext(), pattern_only)
    assert col.role == role, col.evidence
    assert col.sensitive_kind == kind


def test_council_referrals_primary_need(pattern_only: TextAnalyzer) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "council_referrals.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    result = classify_dataset(frame, RunContext(), pattern_only)
    col = result.columns["primary_need"]
    assert col.role == ColumnRole.SENSITIVE_ATTRIBUTE
    assert col.sensitive_kind == "health"
    assert result.columns["full_name"].entities == (Entity.PERSON,)


_MAILBOXES = ["info@podpoint.com", "enquiries@ubitricity.co.uk", "foi@trafford.gov.uk"] * 4
_PERSON_MAILS = ["jane.smith@gmail.com", "olivia.harvey@outlook.com", "jsmith@yahoo.co.uk"] * 4


@pytest.mark.parametrize(
    ("header", "values", "with_people", "role"),
    [
        # class 2: public contact details of organisations are not personal data
        ("email", _MAILBOXES, False, ColumnRole.NONE),
        (
            "telephone",
            ["0161 912 2122", "0161 912 5020", "01619122000"] * 4,
            False,
            ColumnRole.NONE,
        ),
        # ... but identify when the records are people
        ("email", _MAILBOXES, True, ColumnRole.DIRECT_IDENTIFIER),
        # persons' addresses and mobiles always identify
        ("email", _PERSON_MAILS, False, ColumnRole.DIRECT_IDENTIFIER),
        (
            "phone",
            ["07911 123456", "07824 556677", "07400 123456"] * 4,
            False,
            ColumnRole.DIRECT_IDENTIFIER,
        ),
        # a header naming a person's contact wins over shared-looking values
        ("home_email", _MAILBOXES, False, ColumnRole.DIRECT_IDENTIFIER),
    ],
)
def test_contact_details(
    pattern_only: TextAnalyzer, header: str, values: list[str], with_people: bool, role: ColumnRole
) -> None:
    frame = pd.DataFrame({header: values})
    if with_people:
        frame["sex"] = ["Male", "Female", "Female"] * 4
    col = classify_dataset(frame, RunContext(), pattern_only).columns[header]
    assert col.role == role, col.evidence


@pytest.mark.parametrize(
    ("values", "free_text"),
    [
        # class 3: a short list of long category labels, each repeated, is not free text
        (
            [
                "Provides no unpaid care",
                "Provides 9 hours or less unpaid care a week",
                "Provides 50 or more hours unpaid care a week",
            ]
            * 20,
            False,
        ),
        # one-off sentences are free text, even beside a common boilerplate value
        (
            ["No comment"] * 40
            + [f"Spoke to resident number {i} about the missed bin" for i in range(20)],
            True,
        ),
    ],
)
def test_repeated_categories_are_not_free_text(
    pattern_only: TextAnalyzer, values: list[str], free_text: bool
) -> None:
    col = classify_dataset(pd.DataFrame({"x": values}), RunContext(), pattern_only).columns["x"]
    assert (col.role == ColumnRole.FREE_TEXT) is free_text, col.evidence


@pytest.mark.parametrize(
    "header",
    [
        "nationality",
        "NATIONALITY",
        "country_of_birth",
        "PLACE_OF_BIRTH_COUNTRY",
        "native_country",
        "first_language",
        "citizenship",
    ],
)
def test_nationality_and_birth_country_are_quasi_identifiers(
    pattern_only: TextAnalyzer, header: str
) -> None:
    """Class 5 of real-data failures: country of birth and nationality were not QIs."""
    values = ["British", "Polish", "Romanian", "Indian", "Irish"] * 8
    col = classify_column(header, pd.Series(values, dtype="str"), RunContext(), pattern_only)
    assert (col.role, col.qi_kind) == (ColumnRole.QUASI_IDENTIFIER, "nationality"), col.evidence
