"""The shipped rulebooks: they load, and give the expected decision on typical fact sets."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from triage.facts import NO_PLACE_FACTS as NO_PLACE
from triage.facts import TABLE_METRICS
from triage.questionnaire import builtin_questionnaire, load_answers
from triage.risk.measures import MICRODATA_METRICS
from triage.rules import builtin_rulebook, evaluate_rules, load_rulebook
from triage.vocab import ColumnRole, Decision, Destination

ALL = list(Destination)
R, RWC, REFER, WITHHOLD = (
    Decision.RELEASE,
    Decision.RELEASE_WITH_CHANGES,
    Decision.REFER,
    Decision.WITHHOLD,
)


def col(
    name: str,
    role: str,
    entities: list[str] | None = None,
    qi_kind: str | None = None,
    sensitive_kind: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "role": role,
        "entities": entities or [],
        "qi_kind": qi_kind,
        "sensitive_kind": sensitive_kind,
        # the hand-written free text here holds only personal entities
        "personal_text": list(entities or []) if role == "free_text" else [],
    }


def make_facts(
    columns: list[dict[str, Any]],
    *,
    person_related: bool,
    k: int | None = None,
    l_div: int | None = None,
    findings: list[dict[str, Any]] | None = None,
    problems: list[dict[str, Any]] | None = None,
    mosaic: list[dict[str, Any]] | None = None,
    stage: str = "before",
) -> dict[str, Any]:
    roles: dict[str, list[str]] = {role.value: [] for role in ColumnRole}
    for column in columns:
        roles[column["role"]].append(column["name"])
    entities = sorted({e for column in columns for e in column["entities"]})
    qis = len(roles["quasi_identifier"])
    return {
        "destination": "open-data",
        "stage": stage,
        "dataset": {
            "name": "d.csv",
            "rows": 500,
            "columns": len(columns),
            "person_related": person_related,
            "is_table": False,
            "table_kind": None,
        },
        "columns": columns,
        "roles": roles,
        "entities": entities,
        "metrics": {
            **dict.fromkeys(MICRODATA_METRICS),
            **dict.fromkeys(TABLE_METRICS),
            "k_anonymity": k,
            "unique_records": None if k is None else (3 if k == 1 else 0),
            "l_diversity": l_div,
            "records_below_k": None if k is None else 7,
            "share_below_k": None if k is None else 0.014,
            "quasi_identifiers": qis,
            "sensitive_attributes": len(roles["sensitive_attribute"]),
        },
        "findings": findings or [],
        "problems": problems or [],
        "mosaic": mosaic or [],
        "context": {q.id: None for q in builtin_questionnaire().questions},
        **copy.deepcopy(NO_PLACE),
    }


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "context"


def answers_for(destination: Destination) -> dict[str, Any]:
    """The complete example answers shipped for ``destination``."""
    path = EXAMPLES / f"{destination.value}.yaml"
    return dict(load_answers(path, builtin_questionnaire(), destination).values)


SENSOR = [
    col("sensor_id", "none"),
    col("timestamp", "quasi_identifier", ["DATE_TIME"], qi_kind="event_date"),
    col("lat", "location", ["COORDINATES"]),
    col("lon", "location", ["COORDINATES"]),
    col("no2_ugm3", "none"),
]
COUNCIL = [
    col("full_name", "direct_identifier", ["PERSON"]),
    col("nhs_number", "direct_identifier", ["UK_NHS"]),
    col("phone", "direct_identifier", ["PHONE_NUMBER"]),
    col("age_band", "quasi_identifier", qi_kind="age"),
    col("ward", "quasi_identifier", qi_kind="area"),
    col("service", "none"),
]
QIS = [
    col("dob", "quasi_identifier", ["DATE_OF_BIRTH"], qi_kind="date_of_birth"),
    col("sex", "quasi_identifier", qi_kind="sex"),
    col("postcode", "quasi_identifier", ["UK_POSTCODE"], qi_kind="postcode"),
    col("visits", "none"),
]
SENSITIVE = [
    col("age_band", "quasi_identifier", qi_kind="age"),
    col("ward", "quasi_identifier", qi_kind="area"),
    col("primary_support_reason", "sensitive_attribute", sensitive_kind="health"),
]
AGGREGATE = [
    col("age_band", "quasi_identifier", qi_kind="age"),
    col("ward", "quasi_identifier", qi_kind="area"),
    col("count", "none"),
]
TEXT = [
    col("case_ref", "none"),
    col("ward", "quasi_identifier", qi_kind="area"),
    col("notes", "free_text", ["PERSON", "PHONE_NUMBER"]),
]
HIGH_ID = [{"kind": "nhs_number", "severity": "high", "columns": ["nhs_number"], "count": 480}]

# scenario -> facts, expected decision per destination (open-data, third-party, foi, internal)
SCENARIOS: dict[str, tuple[dict[str, Any], dict[Destination, Decision]]] = {
    "clean-sensor-data": (
        make_facts(SENSOR, person_related=False, k=1),
        dict.fromkeys(ALL, R),
    ),
    "council-names-and-nhs-numbers": (
        make_facts(COUNCIL, person_related=True, k=12, findings=HIGH_ID),
        dict.fromkeys(ALL, RWC),
    ),
    "qis-with-small-k": (
        make_facts(QIS, person_related=True, k=1),
        {
            Destination.OPEN_DATA: RWC,
            Destination.FOI: RWC,
            Destination.THIRD_PARTY: RWC,
            Destination.INTERNAL: R,
        },
    ),
    "aggregate-people-data-large-k": (
        make_facts(AGGREGATE, person_related=True, k=25),
        dict.fromkeys(ALL, R),
    ),
    "sensitive-attrs-small-k": (
        make_facts(SENSITIVE, person_related=True, k=2, l_div=1),
        {
            Destination.OPEN_DATA: REFER,
            Destination.FOI: REFER,
            Destination.THIRD_PARTY: REFER,
            Destination.INTERNAL: RWC,
        },
    ),
    "sensitive-attrs-homogeneous-group": (
        make_facts(SENSITIVE, person_related=True, k=12, l_div=1),
        {
            Destination.OPEN_DATA: WITHHOLD,
            Destination.FOI: WITHHOLD,
            Destination.THIRD_PARTY: REFER,
            Destination.INTERNAL: R,
        },
    ),
    "sensitive-attrs-diverse-large-groups": (
        make_facts(SENSITIVE, person_related=True, k=12, l_div=3),
        dict.fromkeys(ALL, R),
    ),
    "criminal-offence-data": (
        make_facts(
            [*AGGREGATE[:2], col("offence", "sensitive_attribute", sensitive_kind="offence")],
            person_related=True,
            k=15,
            l_div=4,
        ),
        {
            Destination.OPEN_DATA: REFER,
            Destination.FOI: REFER,
            Destination.THIRD_PARTY: R,
            Destination.INTERNAL: R,
        },
    ),
    "problems-present": (
        make_facts(SENSOR, person_related=False, problems=[{"kind": "nlp_model_missing"}]),
        dict.fromkeys(ALL, REFER),
    ),
    "critical-finding": (
        make_facts(
            [col("card", "direct_identifier", ["CREDIT_CARD"])],
            person_related=True,
            findings=[
                {"kind": "credit_card", "severity": "critical", "columns": ["card"], "count": 10}
            ],
        ),
        dict.fromkeys(ALL, WITHHOLD),
    ),
    "free-text-with-names": (
        make_facts(TEXT, person_related=True, k=40),
        dict.fromkeys(ALL, RWC),
    ),
    "mosaic-linkage": (
        make_facts(
            AGGREGATE,
            person_related=True,
            k=15,
            mosaic=[
                {
                    "datasets": ["d.csv", "published.csv"],
                    "linking_columns": ["ward"],
                    "k_anonymity_after_linkage": 2,
                    "link_kinds": ["quasi_identifier"],
                    "flagged": True,
                    "registered": True,
                    "risks": ["linkage_k"],
                    "registered_use_case": None,
                }
            ],
        ),
        {
            Destination.OPEN_DATA: REFER,
            Destination.FOI: REFER,
            Destination.THIRD_PARTY: REFER,
            Destination.INTERNAL: R,
        },
    ),
    "sensor-near-sensitive-site": (
        make_facts(
            SENSOR,
            person_related=False,
            findings=[
                {
                    "kind": "sensitive_site_proximity",
                    "severity": "high",
                    "columns": ["lat", "lon"],
                    "count": 3,
                }
            ],
        ),
        dict.fromkeys(ALL, REFER),
    ),
    "after-treatment-still-small-k": (
        make_facts(QIS[1:], person_related=True, k=2, stage="after"),
        {
            Destination.OPEN_DATA: REFER,
            Destination.FOI: REFER,
            Destination.THIRD_PARTY: REFER,
            Destination.INTERNAL: R,
        },
    ),
    "after-treatment-clean": (
        make_facts(AGGREGATE, person_related=True, k=11, stage="after"),
        dict.fromkeys(ALL, R),
    ),
    "after-pseudonymised-ids": (
        make_facts(
            [col("nhs_number", "direct_identifier"), *AGGREGATE],
            person_related=True,
            k=11,
            stage="after",
        ),
        {
            Destination.OPEN_DATA: REFER,
            Destination.FOI: REFER,
            Destination.THIRD_PARTY: R,
            Destination.INTERNAL: R,
        },
    ),
    "after-generalised-qis": (
        make_facts(QIS, person_related=True, k=12, stage="after"),
        dict.fromkeys(ALL, R),
    ),
    "after-identifiers-still-recognisable": (
        make_facts(
            [col("nhs_number", "direct_identifier", ["UK_NHS"]), *AGGREGATE],
            person_related=True,
            k=11,
            stage="after",
        ),
        dict.fromkeys(ALL, REFER),
    ),
}


@pytest.mark.parametrize("destination", ALL)
def test_shipped_rulebook_loads(destination: Destination) -> None:
    book = builtin_rulebook(destination)
    assert book.destination is destination
    assert book.source == f"{destination.value}.yaml"
    assert len(book.sha256) == 64
    assert (
        book.params["k"]
        == {"open-data": 10, "foi": 10, "third-party": 5, "internal": 3}[destination.value]
    )
    for rule in book.rules:
        assert rule.rationale.strip(), rule.id
        assert rule.legal_basis and rule.legal_basis.strip(), rule.id
        assert rule.description.strip(), rule.id


@pytest.mark.parametrize("destination", ALL)
def test_shipped_rulebook_file_validates(destination: Destination) -> None:
    from importlib import resources

    path = (
        resources.files("triage.rules").joinpath("rulebooks").joinpath(f"{destination.value}.yaml")
    )
    book = load_rulebook(str(path))
    assert book == builtin_rulebook(destination)


CASES = [(name, destination) for name in SCENARIOS for destination in ALL]


@pytest.mark.parametrize(("scenario", "destination"), CASES)
def test_decision_per_destination(scenario: str, destination: Destination) -> None:
    facts, expected = SCENARIOS[scenario]
    book = builtin_rulebook(destination)
    facts = {**facts, "destination": destination.value, "context": answers_for(destination)}
    result = evaluate_rules(book, facts)
    assert result.errors == []
    fired = [rule.id for rule in result.fired]
    decision = Decision.most_restrictive([rule.outcome for rule in result.fired])
    assert fired, "no rule fired"
    assert decision is expected[destination], fired


@pytest.mark.parametrize(
    ("destination", "transforms"),
    [
        (Destination.OPEN_DATA, ["drop"]),
        (Destination.FOI, ["drop"]),
        (Destination.THIRD_PARTY, ["pseudonymise", "drop"]),
        (Destination.INTERNAL, ["pseudonymise"]),
    ],
)
def test_direct_identifier_treatments(destination: Destination, transforms: list[str]) -> None:
    facts, _ = SCENARIOS["council-names-and-nhs-numbers"]
    result = evaluate_rules(builtin_rulebook(destination), facts)
    rule = next(rule for rule in result.fired if rule.id == "direct-identifiers")
    assert [t.transform for t in rule.treatments] == transforms
    assert all(t.role is ColumnRole.DIRECT_IDENTIFIER for t in rule.treatments)
    if destination is Destination.THIRD_PARTY:
        assert {e.value for e in rule.treatments[0].entities} == {
            "UK_NHS",
            "UK_NINO",
            "EMAIL_ADDRESS",
        }


@pytest.mark.parametrize(
    ("destination", "transform"),
    [
        (Destination.OPEN_DATA, "drop"),
        (Destination.FOI, "drop"),
        (Destination.THIRD_PARTY, "redact_text"),
        (Destination.INTERNAL, "redact_text"),
    ],
)
def test_free_text_treatment(destination: Destination, transform: str) -> None:
    facts, _ = SCENARIOS["free-text-with-names"]
    result = evaluate_rules(builtin_rulebook(destination), facts)
    rule = next(rule for rule in result.fired if rule.id == "free-text-personal")
    assert [(t.transform, t.role) for t in rule.treatments] == [(transform, ColumnRole.FREE_TEXT)]


@pytest.mark.parametrize(
    ("destination", "k"),
    [(Destination.OPEN_DATA, 10), (Destination.FOI, 10), (Destination.THIRD_PARTY, 5)],
)
def test_small_k_uses_rulebook_params(destination: Destination, k: int) -> None:
    facts, _ = SCENARIOS["qis-with-small-k"]
    result = evaluate_rules(builtin_rulebook(destination), facts)
    rule = next(rule for rule in result.fired if rule.id == "small-groups")
    (treatment,) = rule.treatments
    assert treatment.transform == "anonymise_k"
    assert treatment.params == {"k": k, "max_suppression": 0.05}


def test_open_data_generalises_dates_of_birth_and_postcodes() -> None:
    facts, _ = SCENARIOS["qis-with-small-k"]
    fired = evaluate_rules(builtin_rulebook(Destination.OPEN_DATA), facts).fired
    ids = [rule.id for rule in fired]
    # generalisation rules come before anonymise_k so k is reached with less suppression
    assert ids.index("date-of-birth-to-year") < ids.index("small-groups")
    assert "postcode-to-sector" in ids


def test_treatment_rules_do_not_fire_on_recheck() -> None:
    facts, _ = SCENARIOS["qis-with-small-k"]
    after = {**facts, "stage": "after"}
    for destination in ALL:
        fired = evaluate_rules(builtin_rulebook(destination), after).fired
        assert all(rule.outcome is not Decision.RELEASE_WITH_CHANGES for rule in fired)


# --- triage answers drive rules (issue 8) --------------------------------------------------

ANSWER_CASES = [
    # (destination, answers changed, expected decision on clean sensor data)
    (Destination.OPEN_DATA, {}, Decision.RELEASE),
    (Destination.OPEN_DATA, {"owner_permission": "refused"}, Decision.WITHHOLD),
    (Destination.OPEN_DATA, {"owner_permission": "not_asked"}, Decision.REFER),
    (Destination.OPEN_DATA, {"asset_attributes": ["cctv_coverage"]}, Decision.WITHHOLD),
    (Destination.FOI, {"asset_attributes": ["network_details"]}, Decision.WITHHOLD),
    (
        Destination.OPEN_DATA,
        {"harm_if_misused": "severe", "likelihood_of_misuse": "likely"},
        Decision.WITHHOLD,
    ),
    (
        Destination.OPEN_DATA,
        {"harm_if_misused": "severe", "likelihood_of_misuse": "possible"},
        Decision.REFER,
    ),
    (Destination.OPEN_DATA, {"already_public": "yes_same_detail"}, Decision.RELEASE),
    (Destination.THIRD_PARTY, {}, Decision.RELEASE),
    (Destination.THIRD_PARTY, {"agreement_reference": None}, Decision.REFER),
    (Destination.THIRD_PARTY, {"recipient_name": None}, Decision.REFER),
    (Destination.THIRD_PARTY, {"asset_attributes": ["control_systems"]}, Decision.REFER),
    (Destination.INTERNAL, {"owner_permission": "refused"}, Decision.WITHHOLD),
]


@pytest.mark.parametrize(("destination", "changes", "expected"), ANSWER_CASES)
def test_answers_change_the_decision(
    destination: Destination, changes: dict[str, Any], expected: Decision
) -> None:
    facts, _ = SCENARIOS["clean-sensor-data"]
    context = {**answers_for(destination), **changes}
    result = evaluate_rules(
        builtin_rulebook(destination),
        {**facts, "destination": destination.value, "context": context},
    )
    assert result.errors == []
    assert Decision.most_restrictive([r.outcome for r in result.fired]) is expected


def test_cni_locations_are_withheld_from_open_data() -> None:
    columns = [col("lat_lon", "location", ["COORDINATES"]), col("asset", "none", [])]
    facts = make_facts(columns, person_related=False)
    context = {**answers_for(Destination.OPEN_DATA), "asset_categories": ["cni"]}
    result = evaluate_rules(builtin_rulebook(Destination.OPEN_DATA), {**facts, "context": context})
    fired = {r.id for r in result.fired}
    assert "sensitive-asset-precise-location" in fired
    assert Decision.most_restrictive([r.outcome for r in result.fired]) is Decision.WITHHOLD
