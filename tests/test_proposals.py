"""A ``refer`` whose rules asked for changes carries the treated data as a proposal to the
reviewer (engine, runner, CLI, rendering); nothing is ever released by it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from triage.cli import main
from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.pipeline.state import CheckResult
from triage.report.html_page import render_html
from triage.report.markdown import render_markdown
from triage.rules import parse_rulebook
from triage.vocab import Decision

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CTX = RunContext(nlp=NlpSettings(model=None))
NHS = ["943 476 5919", "401 023 2137", "987 654 4321", "450 557 7104"] * 15
PEOPLE = pd.DataFrame({"field_7": NHS, "no2": [str(i % 5) for i in range(60)]}, dtype="str")
SENSORS = pd.DataFrame(
    {"sensor": [f"S{i % 7}" for i in range(60)], "no2": [str(10 + i % 13) for i in range(60)]},
    dtype="str",
)
HEAD = 'name: t\nversion: "1"\ndestination: open-data\ndescription: t\nparams: {k: 5}\nrules:\n'


def rule(rule_id: str, when: str, outcome: str, treatments: str = "") -> str:
    return (
        f"  - id: {rule_id}\n    description: d\n    when: '{when}'\n    outcome: {outcome}\n"
        "    rationale: r\n    legal_basis: null\n"
        + (f"    treatments: [{treatments}]\n" if treatments else "")
    )


DROP_IDS = rule(
    "drop-ids",
    "size(roles.direct_identifier) > 0",
    "release_with_changes",
    "{transform: drop, columns: [field_7]}",
)
CLEAN = rule("clean", "size(roles.direct_identifier) == 0", "release")
ALWAYS_REFER = rule("ask", "true", "refer")


def check(rules: str, *frames: tuple[str, pd.DataFrame]) -> CheckResult:
    rulebook = parse_rulebook((HEAD + rules).encode(), "t.yaml")
    datasets = [Dataset(name=n, sha256="0" * 64, format="csv", frame=f) for n, f in frames]
    return Engine(rulebook, CTX, None).check(datasets)


@pytest.mark.parametrize(
    ("rules", "frame", "proposed_columns", "recheck"),
    [
        # the rules asked for changes and, independently, for a person
        pytest.param(DROP_IDS + CLEAN + ALWAYS_REFER, PEOPLE, ["no2"], "ask (refer)", id="refer"),
        # the treatment's re-check still asks for changes
        pytest.param(
            rule(
                "change",
                "dataset.rows > 10",
                "release_with_changes",
                "{transform: mask, columns: [no2]}",
            ),
            SENSORS,
            ["sensor", "no2"],
            "change (release_with_changes)",
            id="recheck-refers",
        ),
    ],
)
def test_a_refer_with_changes_proposes_the_treated_data(
    rules: str, frame: pd.DataFrame, proposed_columns: list[str], recheck: str
) -> None:
    result = check(rules, ("d.csv", frame))
    report = result.report
    assert report.decision is Decision.REFER and report.data_class == "closed"
    assert result.released == {} and result.released_files == {}
    assert list(result.proposed["d.csv"].columns) == proposed_columns
    (ds,) = report.datasets
    assert (ds.released, ds.rows_released, ds.risk.after) == (None, None, None)
    assert ds.proposed == "proposed/d.csv" and ds.rows_proposed == len(frame)
    assert ds.risk.proposed is not None and ds.proposal is not None
    assert ds.proposal.changed and recheck in (ds.proposal.recheck or "")
    assert not any("released" in k for k in ds.proposal.kept)
    assert any(f.stage == "after" for f in report.rules_fired)  # the re-check is reported
    data = report.to_json_dict()["datasets"][0]
    assert data["risk"]["after"] is None
    assert data["risk"]["proposed"] == ds.risk.proposed.model_dump(mode="json")


def test_the_proposal_names_its_risk_and_keeps_the_others_as_submitted() -> None:
    result = check(DROP_IDS + CLEAN + ALWAYS_REFER, ("people.csv", PEOPLE), ("air.csv", SENSORS))
    assert result.report.decision is Decision.REFER
    assert set(result.proposed) == {"people.csv", "air.csv"}
    assert result.proposed["air.csv"] is result.inputs["air.csv"]
    people, air = result.report.datasets
    assert people.proposal is not None and people.proposal.changed
    assert air.proposal is not None and not air.proposal.changed and air.risk.proposed is None
    assert air.proposed == "proposed/air.csv" and air.rows_proposed == len(SENSORS)


@pytest.mark.parametrize(
    ("rules", "frame", "decision"),
    [
        pytest.param(ALWAYS_REFER, PEOPLE, Decision.REFER, id="refer-without-changes"),
        pytest.param(
            DROP_IDS + rule("stop", "true", "withhold"), PEOPLE, Decision.WITHHOLD, id="withhold"
        ),
        # the proposal's re-check finds the identifier still there: nothing to propose
        pytest.param(
            rule(
                "mask-wrong",
                "size(roles.direct_identifier) > 0",
                "release_with_changes",
                "{transform: mask, columns: [no2]}",
            )
            + ALWAYS_REFER,
            PEOPLE,
            Decision.REFER,
            id="identifier-survives",
        ),
        # pseudonymising needs a key this run does not have
        pytest.param(
            rule(
                "pseudo",
                "size(roles.direct_identifier) > 0",
                "release_with_changes",
                "{transform: pseudonymise, columns: [field_7]}",
            )
            + ALWAYS_REFER,
            PEOPLE,
            Decision.REFER,
            id="treatment-fails",
        ),
    ],
)
def test_no_proposal(rules: str, frame: pd.DataFrame, decision: Decision) -> None:
    result = check(rules, ("d.csv", frame))
    assert result.report.decision is decision
    assert result.proposed == {} and result.released == {}
    (ds,) = result.report.datasets
    assert (ds.proposed, ds.proposal, ds.risk.proposed, ds.risk.after) == (None, None, None, None)


def test_release_with_changes_is_unchanged_by_proposals() -> None:
    result = check(DROP_IDS + CLEAN, ("d.csv", PEOPLE))
    assert result.report.decision is Decision.RELEASE_WITH_CHANGES
    assert result.proposed == {} and list(result.released["d.csv"].columns) == ["no2"]
    (ds,) = result.report.datasets
    assert ds.released == "released/d.csv" and ds.risk.after is not None
    assert ds.proposed is None and ds.risk.proposed is None


def test_rendered_reports_show_the_proposal_to_the_reviewer() -> None:
    report = check(DROP_IDS + CLEAN + ALWAYS_REFER, ("d.csv", PEOPLE)).report
    md, page = render_markdown(report), render_html(report)
    assert "### Proposed changes (awaiting a reviewer)" in md
    assert "proposed/d.csv" in md and "| Metric | Before | Proposed |" in md
    assert "Proposed changes (awaiting a reviewer)" in page and "proposed/d.csv" in page
    assert "nothing is released unless a reviewer approves" in page
    assert "943 476 5919" not in md + page


def cli(*args: str | Path) -> int:
    """``triage check ARGS --pattern-only --quiet``; returns the exit code."""
    return main(["check", *(str(a) for a in args), "--pattern-only", "--quiet"])


def referrals_with_formulas() -> bytes:
    """council_referrals.csv with formula-like referral ids (a column the proposal keeps)."""
    rows = list(csv.reader((EXAMPLES / "council_referrals.csv").open(encoding="utf-8")))
    for row in rows[1:6]:
        row[0] = "=1+2"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def test_cli_writes_the_proposal_and_refers(tmp_path: Path) -> None:
    source = tmp_path / "council_referrals.csv"
    source.write_bytes(referrals_with_formulas())
    out = tmp_path / "out"
    code = cli(
        source,
        "--destination",
        "open-data",
        "--context",
        EXAMPLES / "context" / "open-data.yaml",
        "--out",
        out,
    )
    assert code == 20
    assert not (out / "released").exists()
    assert [p.name for p in (out / "proposed").iterdir()] == ["council_referrals.csv"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["decision"] == "refer"
    (ds,) = report["datasets"]
    assert ds["proposed"] == "proposed/council_referrals.csv" and ds["released"] is None
    assert ds["risk"]["after"] is None
    assert ds["risk"]["proposed"]["k_anonymity"] >= 10 > ds["risk"]["before"]["k_anonymity"]
    assert ds["proposal"]["changed"] and "re-check" in ds["proposal"]["recheck"]
    proposed = (out / "proposed" / "council_referrals.csv").read_text(encoding="utf-8")
    header = proposed.splitlines()[0].split(",")
    assert "full_name" not in header and "nhs_number" not in header
    assert "'=1+2" in proposed and "\n=1+2" not in proposed
    assert "Proposed changes (awaiting a reviewer)" in (out / "report.md").read_text()


def test_cli_withhold_writes_no_proposal(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(HEAD + DROP_IDS + rule("stop", "true", "withhold"), encoding="utf-8")
    source = tmp_path / "people.csv"
    PEOPLE.to_csv(source, index=False)
    out = tmp_path / "out"
    code = cli(source, "--destination", "open-data", "--policy", policy, "--out", out)
    assert code == 30
    assert not (out / "proposed").exists() and not (out / "released").exists()
    (ds,) = json.loads((out / "report.json").read_text(encoding="utf-8"))["datasets"]
    assert ds["proposed"] is None and ds["risk"]["proposed"] is None


def test_a_referred_document_proposes_its_redacted_copy(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = cli(EXAMPLES / "foi_response.docx", "--destination", "foi", "--out", out)
    assert code == 20
    assert not (out / "released").exists()
    assert (out / "proposed" / "foi_response.docx").read_bytes() == (
        out / "documents" / "foi_response" / "redacted" / "foi_response.docx"
    ).read_bytes()
    ds, table = json.loads((out / "report.json").read_text(encoding="utf-8"))["datasets"]
    assert ds["proposed"] == "proposed/foi_response.docx" and ds["released"] is None
    assert table["name"] == "foi_response_table1" and table["proposed"] is None
