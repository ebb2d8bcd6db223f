"""The engine fails closed and re-checks what it treats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from triage.classifiers import registry
from triage.classifiers.detectors.nhs import NhsDetector
from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.planning import plan_treatments
from triage.rules import builtin_rulebook, parse_rulebook
from triage.vocab import ColumnRole, Decision, Destination

CTX = RunContext(nlp=NlpSettings(model=None))
SENSORS = pd.DataFrame(
    {"sensor": [f"S{i % 7}" for i in range(60)], "no2": [str(10 + i % 13) for i in range(60)]},
    dtype="str",
)
NHS = ["943 476 5919", "401 023 2137", "987 654 4321", "450 557 7104"] * 15
PEOPLE = pd.DataFrame({"field_7": NHS, "no2": [str(i % 5) for i in range(60)]}, dtype="str")


def dataset(frame: pd.DataFrame, name: str = "d.csv") -> Dataset:
    return Dataset(name=name, sha256="0" * 64, format="csv", frame=frame)


def run(frame: pd.DataFrame, destination: str = "open-data", rulebook=None):
    rb = rulebook or builtin_rulebook(Destination(destination))
    return Engine(rb, CTX, None).check([dataset(frame)]).report


def test_clean_sensor_data_is_released() -> None:
    assert run(SENSORS).decision is Decision.RELEASE


def test_unlabelled_nhs_numbers_are_found_and_dropped() -> None:
    result = Engine(builtin_rulebook(Destination.OPEN_DATA), CTX, None).check([dataset(PEOPLE)])
    (ds,) = result.report.datasets
    assert ds.columns["field_7"].role is ColumnRole.DIRECT_IDENTIFIER
    assert result.report.decision is Decision.RELEASE_WITH_CHANGES
    assert list(result.released["d.csv"].columns) == ["no2"]


class _Crashing(NhsDetector):
    id = "crashing"

    def match(self, values: pd.Series) -> np.ndarray:
        raise RuntimeError("boom")


@pytest.mark.parametrize("frame", [SENSORS, PEOPLE])
def test_a_crashing_detector_never_releases(monkeypatch, frame: pd.DataFrame) -> None:
    real = registry.all_detectors()
    monkeypatch.setattr(registry, "all_detectors", lambda: [*real, _Crashing()])
    report = run(frame)
    assert report.decision in (Decision.REFER, Decision.WITHHOLD)
    assert any(p.kind == "detector_failed" for p in report.problems)
    assert all("943" not in p.message for p in report.problems)


RULEBOOK = """
name: t
version: "1"
destination: open-data
description: test
params: {k: 5}
rules:
"""


def custom(rules: str):
    return parse_rulebook((RULEBOOK + rules).encode(), "t.yaml")


def test_when_no_rule_decides_the_engine_refers() -> None:
    rb = custom(
        "  - id: never\n    description: d\n    when: 'false'\n    outcome: release\n"
        "    rationale: r\n    legal_basis: null\n"
    )
    report = run(SENSORS, rulebook=rb)
    assert report.decision is Decision.REFER and "no rule decided" in report.decision_reason


def test_a_rule_that_errors_at_run_time_forces_refer() -> None:
    rb = custom(
        "  - id: ok\n    description: d\n    when: 'true'\n    outcome: release\n"
        "    rationale: r\n    legal_basis: null\n"
        "  - id: bad\n    description: d\n"
        '    when: \'dataset.name == "d.csv" && columns[9].name == "x"\'\n'
        "    outcome: release\n    rationale: r\n    legal_basis: null\n"
    )
    report = run(SENSORS, rulebook=rb)
    assert report.decision is Decision.REFER
    assert any(p.kind == "rule_error" and "bad" in p.message for p in report.problems)


def test_an_identifier_surviving_treatment_withholds() -> None:
    rb = custom(
        "  - id: change\n    description: d\n    when: 'size(roles.direct_identifier) > 0'\n"
        "    outcome: release_with_changes\n    rationale: r\n    legal_basis: null\n"
        "    treatments: [{transform: mask, columns: [no2]}]\n"
        "  - id: clean\n    description: d\n    when: 'size(roles.direct_identifier) == 0'\n"
        "    outcome: release\n    rationale: r\n    legal_basis: null\n"
    )
    report = run(PEOPLE, rulebook=rb)
    assert report.decision is Decision.WITHHOLD
    assert any(f.kind == "identifier_survived_treatment" for f in report.findings)


def test_treated_data_that_still_fails_the_rules_is_referred() -> None:
    # the treatment does not remove what the rule objects to, so the re-check still fires it
    rb = custom(
        "  - id: change\n    description: d\n    when: 'dataset.rows > 10'\n"
        "    outcome: release_with_changes\n    rationale: r\n    legal_basis: null\n"
        "    treatments: [{transform: mask, columns: [no2]}]\n"
    )
    report = run(SENSORS, rulebook=rb)
    assert report.decision is Decision.REFER
    assert "still asks for changes" in report.decision_reason
    assert report.datasets[0].released is None


def test_first_replacing_treatment_in_rulebook_order_wins() -> None:
    rb = builtin_rulebook(Destination.THIRD_PARTY)
    from triage.classifiers.columns import classify_dataset

    frame = pd.DataFrame(
        {"nhs": NHS, "name": ["Ann Smith", "Bob Jones", "Cat Brown", "Dan Green"] * 15},
        dtype="str",
    )
    columns = classify_dataset(frame, CTX, None).columns
    fired = [r for r in rb.rules if r.id == "direct-identifiers"]
    steps = {s.transform: s.columns for s in plan_treatments(fired, columns)}
    assert steps["pseudonymise"] == ("nhs",)
    assert steps["drop"] == ("name",)


def test_missing_key_refers_with_a_clear_problem() -> None:
    from triage.questionnaire import builtin_questionnaire, load_answers

    answers = load_answers(
        Path(__file__).resolve().parents[1] / "examples" / "context" / "third-party.yaml",
        builtin_questionnaire(),
        Destination.THIRD_PARTY,
    )
    rb = builtin_rulebook(Destination.THIRD_PARTY)
    report = Engine(rb, CTX, None, answers=answers).check([dataset(PEOPLE)]).report
    assert report.decision is Decision.REFER
    (problem,) = [p for p in report.problems if p.kind == "treatment_failed"]
    assert "TRIAGE_PSEUDONYM_KEY" in problem.message and problem.dataset == "d.csv"


def test_python_api_returns_the_report(tmp_path) -> None:
    import triage

    report = triage.check(
        [str(Path(__file__).resolve().parents[1] / "examples" / "air_quality.csv")],
        "open-data",
        out=tmp_path,
        nlp_model=None,
    )
    assert report.decision is Decision.RELEASE
    assert report.run is not None and "presidio-analyzer" in report.run.packages
    assert (tmp_path / "report.json").exists()


def test_a_dataset_checked_alone_is_checked_as_in_a_submission() -> None:
    """``check_dataset`` builds the dataset's own state (its table, format, CRS and links):
    an aggregate table checked alone is judged by its cells, as in ``check``."""
    counts = [str(v) for v in [2, 30, 41, 55, 3, 60, 72, 18, 25, 90, 33, 47]]
    frame = pd.DataFrame(
        {
            "lsoa_code": [f"E0100{i:04d}" for i in range(12)],
            "lsoa_name": [f"Trafford {i:03d}A" for i in range(12)],
            "Benefit claimants over 65": counts,
        }
    )
    engine = Engine(builtin_rulebook(Destination.OPEN_DATA), CTX, None)
    alone = engine.check_dataset(dataset(frame, "c.csv"))
    within = engine.check([dataset(frame, "c.csv")]).report
    assert "small-cells" in {f.rule for f in alone.firings}
    assert alone.decision is within.decision is Decision.RELEASE_WITH_CHANGES
    assert alone.reason == within.decision_reason.removeprefix("c.csv: ")
    assert alone.firings == within.rules_fired
    assert alone.findings == within.findings
    assert alone.candidate is not None
    assert alone.report.risk.before == within.datasets[0].risk.before
