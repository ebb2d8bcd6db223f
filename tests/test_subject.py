"""Whose points are they: people (homes) or public assets, and the evidence that decided it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from triage.classifiers.subject import judge_subject
from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.questionnaire import builtin_questionnaire, load_answers
from triage.rules import builtin_rulebook
from triage.vocab import Decision, Destination

N = 40
LAT = [f"{53.38 + i * 0.0013:.6f}" for i in range(N)]
LON = [f"{-2.35 - i * 0.0017:.6f}" for i in range(N)]


def _frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({**columns, "lat": LAT, "lon": LON}, dtype="str")


def _cycle(values: list[str]) -> list[str]:
    return [values[i % len(values)] for i in range(N)]


# class 1: points that stand for where a person lives, without a name column
HOMES = [
    (
        "telecare_installations.csv",
        _frame(
            install_ref=[f"TC{i:05d}" for i in range(N)],
            equipment_type=_cycle(["Pendant alarm", "Falls detector", "Smoke detector"]),
            installed=_cycle(["2024-01-05", "2024-02-11", "2024-03-19"]),
        ),
    ),
    (
        "home_adaptations_2024.csv",
        _frame(
            case_id=[f"HA{i}" for i in range(N)],
            works=_cycle(["Stairlift", "Level access shower", "Ramp", "Grab rails"]),
        ),
    ),
    ("export.csv", _frame(ref=[str(i) for i in range(N)], blue_badge_type=_cycle(["A", "B"]))),
    (
        "waste_rounds.csv",
        _frame(
            uprn_ref=[f"R{i}" for i in range(N)],
            service=_cycle(["Assisted collection", "Assisted bin collection"]),
        ),
    ),
    (
        "visits.csv",
        _frame(ref=[str(i) for i in range(N)], care_package=_cycle(["Daily", "Weekly"])),
    ),
]
# ... and public assets at public addresses, with organisation-shaped names
ASSETS = [
    (
        "ev_chargepoints.csv",
        _frame(name=_cycle(["Tesco Extra - Altrincham", "Sale Leisure Centre", "Stretford Mall"])),
    ),
    ("data.csv", _frame(site=_cycle(["Altrincham Library", "Sale Library", "Coppice Library"]))),
    (
        "care_homes.csv",
        _frame(provider=_cycle(["Future Directions CIC", "Maria Mallaband 16 Limited"])),
    ),
    ("childrens_centres.csv", _frame(name=_cycle(["Partington Children's Centre"]))),
    ("police_stations.csv", _frame(station=_cycle(["Stretford Police Station"]))),
    ("highway_trees.csv", _frame(treeID=[f"T{i}" for i in range(N)], species=_cycle(["Tilia"]))),
    ("street_lighting.csv", _frame(column_id=[f"L{i}" for i in range(N)], lamp=_cycle(["LED"]))),
    ("litter_bins.csv", _frame(bin_id=[f"B{i}" for i in range(N)])),
    ("defibrillators.csv", _frame(Location=_cycle(["Acre Hall Primary School", "AECOM"]))),
]


@pytest.mark.parametrize(("name", "frame"), HOMES, ids=[h[0] for h in HOMES])
def test_homes_of_people_are_people_points(name: str, frame: pd.DataFrame) -> None:
    judged = judge_subject(frame, name)
    assert judged.subject == "people", judged.sentence()


@pytest.mark.parametrize(("name", "frame"), ASSETS, ids=[a[0] for a in ASSETS])
def test_public_assets_are_assets(name: str, frame: pd.DataFrame) -> None:
    judged = judge_subject(frame, name)
    assert judged.subject == "assets", judged.sentence()


def test_home_addresses_are_not_facilities() -> None:
    frame = _frame(address=_cycle(["12 Acacia Road, Sale", "Flat 2, Albert Court, Urmston"]))
    assert judge_subject(frame, "list.csv").subject == "unknown"


@pytest.mark.parametrize(
    ("answer", "subject"),
    [("people", "people"), ("places_or_assets", "assets"), ("unsure", "unknown")],
)
def test_a_declared_answer_decides(answer: str, subject: str) -> None:
    judged = judge_subject(ASSETS[0][1], ASSETS[0][0], declared=answer)
    assert judged.subject == subject
    assert "record_subject" in judged.sentence()


def test_the_evidence_names_what_decided() -> None:
    judged = judge_subject(HOMES[0][1], HOMES[0][0])
    assert "telecare" in judged.sentence()


# ---------------------------------------------------------------- through the open-data rules

CTX = RunContext(nlp=NlpSettings(model=None))
ROOT = Path(__file__).resolve().parents[1]


def _answers(tmp: Path, record_subject: str):
    text = (ROOT / "examples" / "context" / "open-data.yaml").read_text(encoding="utf-8")
    (tmp / "answers.yaml").write_text(text + f"  record_subject: {record_subject}\n", "utf-8")
    return load_answers(tmp / "answers.yaml", builtin_questionnaire(), Destination.OPEN_DATA)


def _check(name: str, frame: pd.DataFrame, answers=None):
    rb = builtin_rulebook(Destination.OPEN_DATA)
    dataset = Dataset(name=name, sha256="0" * 64, format="csv", frame=frame)
    return Engine(rb, CTX, None, answers=answers).check([dataset]).report


def _fired(report) -> set[str]:
    return {r.rule for r in report.rules_fired}


def test_telecare_points_are_coarsened_for_open_data() -> None:
    report = _check(*HOMES[0])
    assert report.decision is Decision.RELEASE_WITH_CHANGES
    assert "people-points-too-precise" in _fired(report)


def test_chargepoints_keep_their_precision() -> None:
    report = _check(*ASSETS[0])
    assert report.decision is Decision.RELEASE, _fired(report)
    (finding,) = [f for f in report.findings if f.kind == "point_locations"]
    assert "subject assets" in finding.message


def test_unsure_refers_naming_the_question() -> None:
    frame = _frame(ref=[str(i) for i in range(N)])
    report = _check("points.csv", frame)
    assert report.decision is Decision.REFER
    assert "points-subject-unknown" in _fired(report)
    (rule,) = [r for r in report.rules_fired if r.rule == "points-subject-unknown"]
    assert "record_subject" in rule.rationale


@pytest.mark.parametrize(
    ("answer", "decision"),
    [("people", Decision.RELEASE_WITH_CHANGES), ("places_or_assets", Decision.RELEASE)],
)
def test_the_answer_settles_unknown_points(tmp_path: Path, answer: str, decision: Decision) -> None:
    frame = _frame(ref=[str(i) for i in range(N)])
    report = _check("points.csv", frame, _answers(tmp_path, answer))
    assert report.decision is decision, _fired(report)


@pytest.mark.parametrize(
    ("name", "columns", "subject"),
    [
        # a word scores once: a dozen "Recipient Org:..." headers are one organisation
        (
            "grants.csv",
            {f"Recipient Org:{h}": ["x"] for h in ("Name", "Identifier", "City", "County")},
            "assets",
        ),
        # "Pub Date" is a publication date, not a pub
        ("register.csv", {"Pub Date": ["2024-11-08"], "Ref": ["24/1"]}, "unknown"),
        ("planning_register.csv", {"Details": ["Rear extension"], "Ref": ["24/1"]}, "assets"),
        ("pub_crawl.csv", {"pub": ["The Crown"]}, "assets"),
        ("grants.csv", {"Recipient": ["a"], "Applicant": ["b"]}, "people"),
    ],
)
def test_header_evidence(name: str, columns: dict[str, list[str]], subject: str) -> None:
    assert judge_subject(pd.DataFrame(columns, dtype="str"), name).subject == subject


PLANNING = pd.DataFrame(
    {
        "Ref": [f"24/{i:05d}/B" for i in range(N)],
        "Details": [
            [
                f"Rear extension and garage {i + 1} Farmhill Lane Douglas Isle Of Man IM2 2EF",
                f"Change of use to cafe {i + 1} Victoria Street Douglas Isle Of Man IM1 2LW",
                f"Replacement windows to {i + 1} Queens Drive Peel Isle Of Man IM5 1XH",
            ][i % 3]
            for i in range(N)
        ],
    },
    dtype="str",
)


def _free_text_check(analyzer, name: str, frame: pd.DataFrame):
    rb = builtin_rulebook(Destination.OPEN_DATA)
    dataset = Dataset(name=name, sha256="0" * 64, format="csv", frame=frame)
    return Engine(rb, RunContext(), analyzer).check([dataset]).report


def test_site_addresses_in_free_text_of_places_are_kept(analyzer) -> None:
    """A planning register's descriptions name the sites: addresses of places, kept."""
    report = _free_text_check(analyzer, "planning_register.csv", PLANNING)
    assert report.decision is Decision.RELEASE, _fired(report)
    (finding,) = [f for f in report.findings if f.kind == "free_text_place_details"]
    assert finding.severity.value == "low" and "subject assets" in finding.message


def test_the_same_addresses_in_free_text_about_people_are_dropped(analyzer) -> None:
    frame = PLANNING.rename(columns={"Details": "Resident complaint"})
    report = _free_text_check(analyzer, "complaints.csv", frame)
    assert report.decision is not Decision.RELEASE
    assert "free-text-personal" in _fired(report)


MEMORIALS = pd.DataFrame(
    {
        "Site": [f"Community centre {i}" for i in range(N)],
        "Notes": [
            [
                f"Cabinet {i} donated in memory of Arthur Pennington by his friends",
                f"Unit {i} fitted outside the main door, checked weekly",
                f"Cabinet {i} on the wall, in loving memory of Mrs Edna Holloway",
            ][i % 3]
            for i in range(N)
        ],
    },
    dtype="str",
)


def test_names_of_the_deceased_in_free_text_of_places_are_kept(analyzer) -> None:
    """A defibrillator 'donated in memory of' someone names no data subject."""
    report = _free_text_check(analyzer, "defibrillator_sites.csv", MEMORIALS)
    assert report.decision is Decision.RELEASE, _fired(report)
    (finding,) = [f for f in report.findings if f.kind == "free_text_place_details"]
    assert "Recital 27" in finding.message and "DECEASED_PERSON" in finding.message


def test_names_of_the_deceased_in_free_text_about_people_are_dropped(analyzer) -> None:
    """In records about people the deceased's name identifies the living relative."""
    frame = MEMORIALS.rename(columns={"Site": "Client", "Notes": "Case notes"})
    report = _free_text_check(analyzer, "bereavement_cases.csv", frame)
    assert report.decision is not Decision.RELEASE
    assert "free-text-personal" in _fired(report)


@pytest.mark.parametrize(
    ("notes", "decision"),
    [
        # dates in site notes are not personal data: nothing to treat
        (["Works started in 2002 and completed in 2009", "Cleared in May 2015"], Decision.RELEASE),
        (["Reported by Gareth Pugh in 2002", "Cleared in May 2015"], Decision.RELEASE_WITH_CHANGES),
    ],
)
def test_dates_alone_do_not_make_free_text_personal(
    analyzer, notes: list[str], decision: Decision
) -> None:
    frame = pd.DataFrame(
        {
            "Site": [f"Former depot {i}" for i in range(N)],
            "Notes": [f"{notes[i % 2]}, plot {i}" for i in range(N)],
        },
        dtype="str",
    )
    report = _free_text_check(analyzer, "brownfield_sites.csv", frame)
    assert report.decision is decision, _fired(report)


def test_dates_left_in_treated_free_text_are_no_surviving_identifier(analyzer) -> None:
    """After the names are dropped, free text that still holds dates is released, not
    withheld: a date is not what the rulebook calls personal in free text."""
    frame = pd.DataFrame(
        {
            "Grantee": [
                ["Margaret Okonjo", "Daniel Whitfield", "Priya Raman"][i % 3] for i in range(N)
            ],
            "How paid": [
                f"The grant was paid by BACS transfer on {1 + i % 27} March 2015 after the "
                f"panel met to review case {i}."
                for i in range(N)
            ],
        },
        dtype="str",
    )
    report = _free_text_check(analyzer, "grants.csv", frame)
    assert not [f for f in report.findings if f.kind == "identifier_survived_treatment"]
    assert report.decision is not Decision.WITHHOLD, _fired(report)
