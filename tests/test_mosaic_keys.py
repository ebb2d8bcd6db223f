"""Class 4 of real-data failures: links through shared keys, and k after every link."""

from __future__ import annotations

import pandas as pd
import pytest

from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.rules import builtin_rulebook
from triage.vocab import Destination

CTX = RunContext(nlp=NlpSettings(model=None))
KEYS = [f"CH{1000 + i}" for i in range(60)]


def _grants(person_level: bool) -> pd.DataFrame:
    frame = {"charger_id": KEYS, "installed": [f"2024-0{1 + i % 9}-01" for i in range(60)]}
    if person_level:  # a grant to a household: who lives there
        frame["sex"] = ["Female", "Male"] * 30
        frame["age_band"] = ["18-29", "30-44", "45-64", "65+"] * 15
    return pd.DataFrame(frame, dtype="str")


def _sessions(key: str = "charger_id") -> pd.DataFrame:
    return pd.DataFrame(
        {
            key: [KEYS[(i * 7) % 60] for i in range(300)],
            "session_start": [f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:15" for i in range(300)],
            "kwh": [str(3 + i % 37) for i in range(300)],
        },
        dtype="str",
    )


def _check(*frames: tuple[str, pd.DataFrame]):
    datasets = [Dataset(name=n, sha256="0" * 64, format="csv", frame=f) for n, f in frames]
    return Engine(builtin_rulebook(Destination.OPEN_DATA), CTX, None).check(datasets).report


@pytest.mark.parametrize("key", ["charger_id", "device_ref"])
def test_a_shared_key_links_datasets_and_states_k(key: str) -> None:
    grants = _grants(False).rename(columns={"charger_id": key})
    report = _check(("grants.csv", grants), ("sessions.csv", _sessions(key)))
    (link, *_) = report.mosaic
    assert link.linking_columns == [key]
    assert link.k_anonymity_after_linkage is not None


def test_a_person_level_side_states_k_over_the_joined_classes() -> None:
    report = _check(("grants.csv", _grants(True)), ("sessions.csv", _sessions()))
    (link, *_) = report.mosaic
    # over the union of both sides' quasi-identifiers (sex, age band), counted on the join
    assert link.linking_columns == ["charger_id"]
    assert link.k_anonymity_after_linkage is not None and link.k_anonymity_after_linkage >= 1


def test_sequence_numbers_are_not_keys() -> None:
    left = pd.DataFrame({"row": [str(i) for i in range(60)], "x": ["a"] * 60}, dtype="str")
    right = pd.DataFrame({"row": [str(i % 60) for i in range(300)], "y": ["b"] * 300}, dtype="str")
    assert not _check(("l.csv", left), ("r.csv", right)).mosaic


@pytest.mark.parametrize("sessions_per_charger", [5, 20, 40])
def test_k_after_a_key_link_counts_people_not_joined_records(sessions_per_charger: int) -> None:
    """One household per charger: however many sessions join it, its class holds one
    household, so the link is flagged even when the joined records per key reach k."""
    n = 60 * sessions_per_charger
    sessions = pd.DataFrame(
        {
            "charger_id": [KEYS[i % 60] for i in range(n)],
            "kwh": [str(3 + i % 37) for i in range(n)],
        },
        dtype="str",
    )
    grants = pd.DataFrame(  # a grant to a household, no quasi-identifier: keys alone link
        {"charger_id": KEYS, "applicant_email": [f"resident{i}@example.org" for i in range(60)]}
    )
    report = _check(("grants.csv", grants), ("sessions.csv", sessions))
    (link, *_) = report.mosaic
    assert link.k_anonymity_after_linkage == 1
    assert "linkage-risk" in {r.rule for r in report.rules_fired}
