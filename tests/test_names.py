"""Name corroboration: person names, organisation names and role mailboxes."""

from __future__ import annotations

import pytest

from triage.classifiers import names


@pytest.mark.parametrize(
    ("value", "person"),
    [
        ("Aisha Khan", True),
        ("Mrs J Smith", True),
        ("Dr Olivia Harvey", True),
        ("Smith, Jane", True),
        ("J. Kowalski", True),
        ("Teresa", True),
        ("Jakub Wójcik", True),
        ("Victoria Road", False),  # a street
        ("Albert Street", False),
        ("Altrincham Leisure Centre", False),
        ("Smith & Sons Ltd", False),
        ("TfL", False),
        ("Green Waste", False),
        ("Jubilee Park", False),
        ("George House", False),  # a building named after someone
        ("Boots Pharmacy", False),
        ("", False),
    ],
)
def test_is_person_name(value: str, person: bool) -> None:
    assert names.is_person_name(value) is person


@pytest.mark.parametrize(
    ("value", "organisation"),
    [
        ("Acme Recycling Limited", True),
        ("St Mary's Church", True),
        ("Leeds City Council", True),
        ("Dr Olivia Harvey", False),  # "Dr" is an honorific here, not "Drive"
        ("Aisha Khan", False),
    ],
)
def test_is_organisation_name(value: str, organisation: bool) -> None:
    assert names.is_organisation_name(value) is organisation


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("foi@leeds.gov.uk", "role"),
        ("info@example.org", "role"),
        ("casework@ico.org.uk", "role"),
        ("customer.services@council.gov.uk", "role"),
        ("jane.smith@example.com", "person"),
        ("jsmith@example.com", "person"),
        ("olivia.harvey77@gmail.com", "person"),
        ("x7q@example.com", "unknown"),
        ("surveyor_12@adur-worthing.gov.uk", "role"),  # a job, numbered
        ("parks.ranger@council.gov.uk", "role"),
        ("officer2@example.org", "role"),  # a numbered job title, no name
        ("mary.warden@example.com", "person"),  # a given name first: a person
    ],
)
def test_email_kind(address: str, kind: str) -> None:
    assert names.email_kind(address) == kind


def test_lexicons_hold_names_of_many_communities() -> None:
    given, surnames = names.lexicons()
    assert {"olivia", "jakub", "aisha"} <= given
    assert {"smith", "wójcik", "kowalski"} <= surnames
    assert "road" not in surnames | given


def test_name_evidence_counts_and_explains() -> None:
    evidence = names.name_evidence(["Aisha Khan", "Victoria Road", "Mill Lane", "Jo Black"])
    assert (evidence.person_like, evidence.organisation_like) == (2, 2)
    assert evidence.person_share == 0.5
    assert "2 of 4" in evidence.sentence()
