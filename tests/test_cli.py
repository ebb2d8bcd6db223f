"""End-to-end checks through the command line (INTERFACE.md)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
KEY = "a-test-key-of-sufficient-length"
REPORT_KEYS = {
    "schema_version",
    "decision",
    "destination",
    "datasets",
    "findings",
    "rules_fired",
    "mosaic",
}


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report_of(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def raw_values(path: Path, columns: list[str]) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {row[c] for row in csv.DictReader(fh) for c in columns if row[c]}


def test_harmless_sensor_data_is_released(tmp_path: Path, capsys) -> None:
    code, out, _ = run(
        [
            "check",
            str(EXAMPLES / "air_quality.csv"),
            "--destination",
            "open-data",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    report = report_of(tmp_path)
    assert (code, out.strip(), report["decision"]) == (0, "release", "release")
    assert set(report) >= REPORT_KEYS
    (ds,) = report["datasets"]
    assert ds["risk"]["after"] is None
    assert set(ds["columns"]) == {
        "sensor_id",
        "timestamp",
        "no2_ugm3",
        "pm25_ugm3",
        "temperature_c",
        "humidity_pct",
        "status",
    }
    assert not (tmp_path / "released").exists()
    for name in ("report.md", "report.html"):
        assert (tmp_path / name).stat().st_size > 500


def test_special_category_data_for_open_data_is_referred(tmp_path: Path, capsys) -> None:
    code, _, _ = run(
        [
            "check",
            str(EXAMPLES / "council_referrals.csv"),
            "--destination",
            "open-data",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    report = report_of(tmp_path)
    assert code == 20 and report["decision"] == "refer"
    (ds,) = report["datasets"]
    assert ds["columns"]["primary_need"]["role"] == "sensitive_attribute"
    assert ds["columns"]["nhs_number"]["entities"] == ["UK_NHS"]
    assert "sensitive-small-groups" in {r["rule"] for r in report["rules_fired"]}
    assert not (tmp_path / "released").exists()


def test_resident_reports_for_open_data_are_changed_and_rechecked(tmp_path: Path, capsys) -> None:
    src = EXAMPLES / "service_requests.csv"
    code, _, _ = run(
        ["check", str(src), "--destination", "open-data", "--out", str(tmp_path)], capsys
    )
    report = report_of(tmp_path)
    assert code == 10 and report["decision"] == "release_with_changes"
    (ds,) = report["datasets"]
    roles = {c: v["role"] for c, v in ds["columns"].items()}
    assert roles["resident_name"] == roles["email"] == roles["phone"] == "direct_identifier"
    assert roles["postcode"] == roles["ward"] == "quasi_identifier"
    assert roles["description"] == "free_text"
    assert ds["risk"]["after"]["k_anonymity"] >= 10 > ds["risk"]["before"]["k_anonymity"]
    assert any("unchanged: request_id" in k and "category, status" in k for k in ds["kept"])
    released = tmp_path / "released" / "service_requests.csv"
    text = released.read_text(encoding="utf-8")
    for value in raw_values(src, ["resident_name", "email", "phone", "description"]):
        assert value not in text
    for rule in report["rules_fired"]:
        assert rule["rationale"] and "legal_basis" in rule


@pytest.mark.parametrize("example", ["council_referrals.csv", "service_requests.csv"])
def test_no_raw_identifier_appears_in_any_report(tmp_path: Path, capsys, example: str) -> None:
    src = EXAMPLES / example
    context = str(EXAMPLES / "context" / "third-party.yaml")
    run(
        [
            "check",
            str(src),
            "--destination",
            "third-party",
            "--context",
            context,
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    header = src.read_text(encoding="utf-8").splitlines()[0].split(",")
    personal = {
        "nhs_number",
        "full_name",
        "resident_name",
        "email",
        "phone",
        "date_of_birth",
        "postcode",
    }
    values = raw_values(src, [c for c in header if c in personal])
    for name in ("report.json", "report.md", "report.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        leaked = [v for v in values if v in text]
        assert not leaked, f"{name} leaks {len(leaked)} raw values"


def test_pseudonymisation_without_key_never_releases(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("TRIAGE_PSEUDONYM_KEY", raising=False)
    code, _, err = run(
        [
            "check",
            str(EXAMPLES / "service_requests.csv"),
            "--destination",
            "third-party",
            "--context",
            str(EXAMPLES / "context" / "third-party.yaml"),
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    report = report_of(tmp_path)
    assert code == 20 and report["decision"] == "refer"
    assert any("key" in p["message"] for p in report["problems"])
    assert "Traceback" not in err


def test_third_party_with_key_pseudonymises_deterministically(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("TRIAGE_PSEUDONYM_KEY", KEY)
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        code, _, _ = run(
            [
                "check",
                str(EXAMPLES / "service_requests.csv"),
                "--destination",
                "third-party",
                "--context",
                str(EXAMPLES / "context" / "third-party.yaml"),
                "--context",
                str(EXAMPLES / "context" / "third-party.yaml"),
                "--out",
                str(out),
            ],
            capsys,
        )
        assert code == 10
    first, second = (o / "released" / "service_requests.csv" for o in outs)
    assert first.read_bytes() == second.read_bytes()
    assert report_of(outs[0]) == report_of(outs[1])
    assert re.search(r"PS-[0-9a-f]{16}", first.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.csv", None, "missing.csv"),
        ("empty.csv", b"", "empty"),
        ("header_only.csv", b"a,b,c\n", "no data"),
        ("binary.csv", bytes(range(256)) * 4, "binary.csv"),
        ("data.xyz", b"a,b\n1,2\n", "unsupported"),
        ("ragged.csv", b"a,b\n1,2,3\n3,4,5,6\n", "ragged.csv"),
        # a Data Package descriptor is not a table (it was read as a 2-row table and released)
        (
            "datapackage.json",
            b'{"name": "p", "resources": [{"name": "a", "path": "a.csv"}, {"path": "b.csv"}]}',
            "Data Package",
        ),
        (
            "package.json",
            b'{"profile": "data-package", "resources": [{"name": "a", "path": "a.csv"}]}',
            "Data Package",
        ),
        (
            "inline.json",
            b'{"resources": [{"name": "a", "data": [{"x": 1}]}, {"name": "b", "path": "b.csv"}]}',
            "Data Package",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys, name, content, needle) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(
        ["check", str(path), "--destination", "foi", "--out", str(tmp_path / "out")], capsys
    )
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("triage: error: ")
    assert needle.lower() in err.lower()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["check"],
        ["check", "x.csv", "--destination", "moon", "--out", "o"],
        ["check", "x.csv", "--destination", "foi"],
        ["rulebook", "validate"],
        ["serve", "--job-timeout", "-5"],
        ["serve", "--job-timeout", "nan"],
        ["serve", "--http-processes", "0"],
    ],
)
def test_usage_errors_exit_2(args: list[str], capsys) -> None:
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_bad_rulebook_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nversion: '1'\ndestination: foi\ndescription: x\nparams: {k: 5}\nrules:\n"
        "  - id: R1\n    description: d\n    when: 'metrics.no_such_metric > 1'\n"
        "    outcome: release\n    rationale: r\n    legal_basis: null\n",
        encoding="utf-8",
    )
    code, _, err = run(["rulebook", "validate", str(bad)], capsys)
    assert code == 2 and "bad.yaml" in err and "R1" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(
        [
            "check",
            str(EXAMPLES / "air_quality.csv"),
            "--destination",
            "foi",
            "--policy",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert code == 2 and "R1" in err


@pytest.mark.parametrize("destination", ["open-data", "third-party", "foi", "internal"])
def test_shipped_rulebooks_validate(destination: str, capsys) -> None:
    path = ROOT / "rules" / "rulebooks" / f"{destination}.yaml"
    code, out, _ = run(["rulebook", "validate", str(path)], capsys)
    assert code == 0 and "valid" in out


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("triage")
    proc = subprocess.run(
        [
            str(exe),
            "check",
            str(tmp_path / "nope.csv"),
            "--destination",
            "foi",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("triage: error:") and "Traceback" not in proc.stderr


def test_third_party_without_answers_is_referred(tmp_path: Path, capsys) -> None:
    code, _, _ = run(
        [
            "check",
            str(EXAMPLES / "air_quality.csv"),
            "--destination",
            "third-party",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    report = report_of(tmp_path)
    assert code == 20
    assert [p["kind"] for p in report["problems"]] == ["context_missing"]


def test_incomplete_answers_force_refer_and_are_listed(tmp_path: Path, capsys) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("destination: open-data\nanswers:\n  use_case: portal\n", "utf-8")
    code, _, _ = run(
        [
            "check",
            str(EXAMPLES / "air_quality.csv"),
            "--destination",
            "open-data",
            "--context",
            str(answers),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    report = report_of(tmp_path / "o")
    assert code == 20
    assert "owner_permission" in report["context"]["missing"]
    assert report["data_class"] == "closed"


def test_complete_answers_record_conditions(tmp_path: Path, capsys) -> None:
    code, _, _ = run(
        [
            "check",
            str(EXAMPLES / "air_quality.csv"),
            "--destination",
            "open-data",
            "--context",
            str(EXAMPLES / "context" / "open-data.yaml"),
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    report = report_of(tmp_path)
    assert code == 0 and report["data_class"] == "open"
    assert any("OGL-3.0" in c for c in report["conditions"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Triage record" in html and "Head of Highways" in html


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["context", "template", "--destination", "foi"], 0),
        (
            ["context", "validate", str(EXAMPLES / "context" / "foi.yaml"), "--destination", "foi"],
            0,
        ),
        (
            [
                "context",
                "validate",
                str(EXAMPLES / "context" / "foi.yaml"),
                "--destination",
                "open-data",
            ],
            2,
        ),
    ],
)
def test_context_commands(args: list[str], code: int, capsys) -> None:
    assert run(args, capsys)[0] == code


def test_foi_document_is_truly_redacted_through_the_cli(tmp_path: Path, capsys) -> None:
    import zipfile

    code, _, _ = run(
        [
            "check",
            str(EXAMPLES / "foi_response.docx"),
            "--destination",
            "foi",
            "--context",
            str(EXAMPLES / "context" / "foi.yaml"),
            "--officials",
            str(EXAMPLES / "public_officials.yaml"),
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    report = report_of(tmp_path)
    assert code == 10 and report["decision"] == "release_with_changes"
    released = tmp_path / "released" / "foi_response.docx"
    with zipfile.ZipFile(released) as docx:
        xml = " ".join(
            docx.read(n).decode("utf-8", "replace") for n in docx.namelist() if n.endswith(".xml")
        )
    for secret in ("Whitcombe", "943 476 5919", "0161 496 0732", "4721", "blind spot"):
        assert secret not in xml, secret
    assert "Okafor" in xml  # a councillor acting in a public role is disclosed
    for name in ("report.json", "report.md", "report.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "Whitcombe" not in text and "943 476 5919" not in text
    assert (tmp_path / "documents" / "foi_response" / "redaction_log.csv").exists()


def test_service_key_and_audit_commands(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    code, out, _ = run(
        ["key", "create", "--role", "reviewer", "--name", "ops", "--db-url", url], capsys
    )
    token = out.strip()
    assert code == 0 and len(token) >= 32 and "\n" not in token
    code, _, _ = run(["audit", "verify", "--db-url", url], capsys)
    assert code == 0
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:  # tamper with the only audit entry
        conn.execute(sa.text("UPDATE audit_log SET action = 'forged'"))
    engine.dispose()
    code, _, _ = run(["audit", "verify", "--db-url", url], capsys)
    assert code == 1
