"""data.police.uk street-level crime: released as the police publish it, never when changed.

The rows are made here in the published form (snap points named "On or near ...", months,
published crime types, 64-character crime IDs) and then changed one way each: day dates,
exact points, an extra column, contact details of a person.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from triage.classifiers.police import STREET_COLUMNS, assess_street_level
from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.rules import builtin_rulebook
from triage.vocab import Decision, Destination

CTX = RunContext(nlp=NlpSettings(model=None))
SNAPS = [
    ("-2.309810", "53.446514", "On or near Chester Road"),
    ("-2.312077", "53.449230", "On or near Parking Area"),
    ("-2.301954", "53.441872", "On or near Kings Road"),
    ("-2.318211", "53.452391", "On or near Supermarket"),
    ("-2.296437", "53.438150", "On or near Edge Lane"),
    ("-2.321045", "53.444706", "On or near Park/Open Space"),
    ("-2.305518", "53.455012", "On or near Talbot Road"),
    ("-2.315602", "53.436984", "On or near "),
]
TYPES = ["Anti-social behaviour", "Vehicle crime", "Burglary", "Violence and sexual offences"]


def published(n: int = 48) -> pd.DataFrame:
    """Rows in data.police.uk's street-level form."""
    rows = []
    for i in range(n):
        lon, lat, where = SNAPS[i % len(SNAPS)]
        kind = TYPES[i % len(TYPES)]
        asb = kind == "Anti-social behaviour"
        rows.append(
            {
                "Crime ID": "" if asb else hashlib.sha256(str(i).encode()).hexdigest(),
                "Month": "2024-03",
                "Reported by": "Greater Manchester Police",
                "Falls within": "Greater Manchester Police",
                "Longitude": lon,
                "Latitude": lat,
                "Location": where,
                "LSOA code": f"E0100{6000 + i % 3}",
                "LSOA name": f"Trafford 00{1 + i % 3}A",
                "Crime type": kind,
                "Last outcome category": "" if asb else "Under investigation",
                "Context": "",
            }
        )
    return pd.DataFrame(rows, columns=list(STREET_COLUMNS), dtype="str")


def day_dates() -> pd.DataFrame:
    frame = published()
    frame["Month"] = [f"2024-03-{1 + i % 28:02d}" for i in range(len(frame))]
    return frame


def exact_points() -> pd.DataFrame:
    frame = published()
    frame["Longitude"] = [f"{-2.3 - i * 0.000731:.6f}" for i in range(len(frame))]
    frame["Latitude"] = [f"{53.44 + i * 0.000517:.6f}" for i in range(len(frame))]
    frame["Location"] = [f"On or near {i} Acacia Avenue" for i in range(len(frame))]
    return frame


def extra_column() -> pd.DataFrame:
    frame = published()
    frame["Victim age"] = [str(20 + i % 50) for i in range(len(frame))]
    return frame


def contact_details() -> pd.DataFrame:
    frame = published()
    frame["Context"] = [
        f"Reported by resident{i}@example.com, 07700 900{i:03d}" for i in range(len(frame))
    ]
    return frame


def outcome_text() -> pd.DataFrame:
    frame = published()
    frame["Last outcome category"] = "Suspect (John Smith, 14 Acacia Avenue) charged"
    return frame


CHANGED = {
    "day dates": (day_dates, "not a month"),
    "contact details": (contact_details, "Context column holds text"),
    "outcome text": (outcome_text, "not published categories"),
    "exact points": (exact_points, "do not repeat"),
    "extra column": (extra_column, "outside the published schema"),
}


def run(frame: pd.DataFrame, destination: str = "open-data"):
    data = Dataset(name="street.csv", sha256="0" * 64, format="csv", frame=frame)
    return Engine(builtin_rulebook(Destination(destination)), CTX, None).check([data]).report


def test_published_form_is_recognised() -> None:
    street = assess_street_level(published())
    assert street is not None and street.recognised, street
    assert (street.rows, street.points, street.months) == (48, 8, ("2024-03",))
    assert "re-publication" in street.message()


@pytest.mark.parametrize("case", sorted(CHANGED))
def test_changed_forms_are_not_the_police_release(case: str) -> None:
    make, reason = CHANGED[case]
    street = assess_street_level(make())
    assert street is not None and not street.recognised
    assert any(reason in r for r in street.reasons), street.reasons


def test_people_found_by_other_detectors_break_recognition() -> None:
    street = assess_street_level(published(), person_columns=("Context",))
    assert street is not None and not street.recognised


def test_a_point_with_two_names_is_not_a_snap_point() -> None:
    frame = published()
    frame.loc[0, "Location"] = "On or near Somewhere Else"
    street = assess_street_level(frame)
    assert street is not None and not street.recognised


def test_other_tables_are_not_judged() -> None:
    assert assess_street_level(pd.DataFrame({"Month": ["2024-03"], "count": ["4"]})) is None


@pytest.mark.parametrize("destination", ["open-data", "foi"])
def test_published_form_is_released_with_the_rule(destination: str) -> None:
    report = run(published(), destination)
    assert report.decision is Decision.RELEASE
    fired = {r.rule: r for r in report.rules_fired}
    assert set(fired) == {"police-street-level-republication"}
    rule = fired["police-street-level-republication"]
    assert "already anonymised" in rule.rationale
    assert rule.legal_basis and "Recital 26" in rule.legal_basis
    assert any(f.kind == "police_street_level" for f in report.findings)


@pytest.mark.parametrize("case", sorted(CHANGED))
def test_changed_crime_files_are_never_released(case: str) -> None:
    report = run(CHANGED[case][0]())
    assert report.decision in (Decision.REFER, Decision.WITHHOLD), [
        r.rule for r in report.rules_fired
    ]
    assert "police-street-level-republication" not in {r.rule for r in report.rules_fired}
    assert any(f.kind == "police_street_level_changed" for f in report.findings)
