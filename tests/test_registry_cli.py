"""``triage registry add | list | show | remove`` and ``check --registry --record`` through
``triage.cli.main``: on SQLite (a file in tmp) and on PostgreSQL (a fresh schema per test,
skipped only when the server cannot be reached). No command prints a raw cell value."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
REQUESTS = EXAMPLES / "service_requests.csv"
OPEN_DATA = EXAMPLES / "context" / "open-data.yaml"
RECORDED = re.compile(r"^recorded release (\d+): (.+)$")


@pytest.fixture(autouse=True)
def _no_ambient_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIAGE_REGISTRY", raising=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reg.db'}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add(capsys: pytest.CaptureFixture[str], url: str, name: str = "X") -> int:
    code, out, err = run(
        capsys,
        "registry",
        "add",
        str(REQUESTS),
        "--name",
        name,
        "--pattern-only",
        "--registry",
        url,
    )
    assert code == 0, err
    match = RECORDED.match(out.strip())
    assert match is not None, out
    assert match.group(2) == name
    return int(match.group(1))


def listed_ids(capsys: pytest.CaptureFixture[str], url: str, *extra: str) -> dict[int, str]:
    code, out, err = run(capsys, "registry", "list", "--registry", url, *extra)
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.strip()]
    return {int(line.split("\t")[0]): line for line in lines}


def raw_values() -> set[str]:
    frame = pd.read_csv(REQUESTS, dtype=str)
    values: set[str] = set()
    for col in ("resident_name", "email", "phone", "postcode"):
        values |= set(frame[col].dropna())
    return values


# ------------------------------------------------------------------ add / list / show / remove


def test_add_list_show_remove(capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    release_id = add(capsys, sqlite_url)
    listing = listed_ids(capsys, sqlite_url)
    assert list(listing) == [release_id]
    fields = listing[release_id].split("\t")
    assert fields[2] == "X" and "600 rows" in fields and "10 columns" in fields

    code, out, err = run(capsys, "registry", "show", str(release_id), "--registry", sqlite_url)
    assert code == 0, err
    assert f"id: {release_id}" in out and "name: X" in out
    roles = dict(
        re.findall(r"^  (\w+): (\w+) \[", out, flags=re.MULTILINE),
    )
    assert roles["resident_name"] == "direct_identifier"
    assert roles["email"] == "direct_identifier"
    assert roles["phone"] == "direct_identifier"
    assert roles["postcode"] == "quasi_identifier"
    assert roles["description"] == "free_text"
    assert "fingerprint:" in out
    leaked = sorted(v for v in raw_values() if v in out)
    assert not leaked, f"{len(leaked)} raw values printed by registry show"

    code, out, err = run(
        capsys, "registry", "remove", str(release_id), "--reason", "test", "--registry", sqlite_url
    )
    assert code == 0, err
    assert f"removed release {release_id} (X)" in out
    assert listed_ids(capsys, sqlite_url) == {}
    everything = listed_ids(capsys, sqlite_url, "--all")
    assert list(everything) == [release_id]
    assert "removed " in everything[release_id]

    code, out, err = run(capsys, "registry", "show", str(release_id), "--registry", sqlite_url)
    assert code == 0, err
    assert re.search(r"^removed: .* \(test\)$", out, flags=re.MULTILINE)


@pytest.mark.parametrize(
    "action",
    [["show", "999"], ["remove", "999", "--reason", "test"]],
    ids=["show", "remove"],
)
def test_unknown_id_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, action: list[str]
) -> None:
    add(capsys, sqlite_url)
    code, out, err = run(capsys, "registry", *action, "--registry", sqlite_url)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("triage: error:") and "999" in err


# ------------------------------------------------------------------ check --registry --record


def check(
    capsys: pytest.CaptureFixture[str], path: Path, url: str, out: Path, *extra: str
) -> tuple[int, dict[str, object]]:
    code, _, err = run(
        capsys,
        "check",
        str(path),
        "--destination",
        "open-data",
        "--context",
        str(OPEN_DATA),
        "--registry",
        url,
        "--out",
        str(out),
        "--quiet",
        *extra,
    )
    assert code in (0, 10, 20, 30), err
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_check_records_a_release(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, tmp_path: Path
) -> None:
    code, report = check(
        capsys, EXAMPLES / "air_quality.csv", sqlite_url, tmp_path / "aq", "--record"
    )
    assert code == 0 and report["decision"] == "release"
    ids = report["run"]["recorded_release_ids"]  # type: ignore[index]
    assert ids and all(isinstance(i, int) for i in ids)
    listing = listed_ids(capsys, sqlite_url)
    assert set(ids) <= set(listing)
    line = listing[ids[0]].split("\t")
    assert line[2] == "air_quality.csv" and line[3] == "open-data"


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    """Service requests without the direct identifiers: request ids and postcodes still link
    it to the full file once that is on the register."""
    frame = pd.read_csv(REQUESTS, dtype=str)
    path = tmp_path / "requests_extract.csv"
    cols = ["request_id", "postcode", "ward", "reported_on", "category", "status"]
    frame[cols].head(200).to_csv(path, index=False)
    return path


def linked_check(
    capsys: pytest.CaptureFixture[str], url: str, extract: Path, out: Path
) -> tuple[int, dict[str, object]]:
    release_id = add(capsys, url, "full requests")
    _, report = check(capsys, extract, url, out)
    return release_id, report


def test_check_reports_a_mosaic_link_with_a_registered_release(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, extract: Path, tmp_path: Path
) -> None:
    release_id, report = linked_check(capsys, sqlite_url, extract, tmp_path / "ex")
    label = f"full requests (release {release_id})"
    mosaic = report["mosaic"]
    assert isinstance(mosaic, list)
    (link,) = [m for m in mosaic if label in m["datasets"]]
    assert "requests_extract.csv" in link["datasets"]
    assert {"request_id", "postcode"} <= set(link["linking_columns"])
    (evidence,) = [e for e in report["mosaic_evidence"] if label in e["datasets"]]  # type: ignore[attr-defined]
    assert evidence["flagged"] is True
    findings = [f for f in report["findings"] if f["kind"] == "mosaic_linkage"]  # type: ignore[attr-defined]
    assert findings and findings[0]["severity"] == "high"
    assert "request_id" in findings[0]["columns"]


def test_flagged_link_with_a_registered_release_is_not_released(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, extract: Path, tmp_path: Path
) -> None:
    _, report = linked_check(capsys, sqlite_url, extract, tmp_path / "ex")
    assert report["decision"] != "release"


OTHER_KEY_CASES = [
    # (key when registered, key when checked, a problem is expected)
    ("key-one-0123456789", "key-two-0123456789", True),
    ("key-one-0123456789", None, True),
    ("key-one-0123456789", "key-one-0123456789", False),
    (None, "key-two-0123456789", False),
]


@pytest.mark.parametrize(("add_key", "check_key", "expected"), OTHER_KEY_CASES)
def test_register_entry_under_another_key_is_a_refer_problem(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    tmp_path: Path,
    add_key: str | None,
    check_key: str | None,
    expected: bool,
) -> None:
    """An entry that cannot be compared (another key) is not "no link": a problem forcing
    refer, naming the release and holding no raw value."""
    for key, step in ((add_key, "add"), (check_key, "check")):
        if key is None:
            monkeypatch.delenv("TRIAGE_PSEUDONYM_KEY", raising=False)
        else:
            monkeypatch.setenv("TRIAGE_PSEUDONYM_KEY", key)
        if step == "add":
            release_id = add(capsys, sqlite_url, "earlier requests")
    _, report = check(capsys, EXAMPLES / "air_quality.csv", sqlite_url, tmp_path / "aq")
    problems = [p for p in report["problems"] if p["kind"] == "registry_other_key"]  # type: ignore[union-attr,index]
    assert bool(problems) is expected
    if expected:
        assert report["decision"] in ("refer", "withhold")
        assert f"earlier requests (release {release_id})" in problems[0]["message"]
        assert problems[0]["forces"] == "refer"
        raw = pd.read_csv(REQUESTS, dtype=str)["postcode"].dropna().head(20)
        text = json.dumps(report)
        assert not any(v in text for v in raw)
    else:
        assert report["decision"] == "release"


# ------------------------------------------------------------------ PostgreSQL


def test_add_and_list_on_postgresql(
    capsys: pytest.CaptureFixture[str], pg_url: str, pg_server: sa.Engine
) -> None:
    first = add(capsys, pg_url, "X")
    second = add(capsys, pg_url, "Y")
    assert second != first
    listing = listed_ids(capsys, pg_url)
    assert sorted(listing) == sorted([first, second])
    assert listing[first].split("\t")[2] == "X"
    assert listing[second].split("\t")[2] == "Y"
    code, out, err = run(capsys, "registry", "show", str(first), "--registry", pg_url)
    assert code == 0, err
    assert not [v for v in raw_values() if v in out]
    # the tables live in the test's own schema, not in public
    schema = pg_url.rsplit("%3D", 1)[1]
    with pg_server.connect() as conn:
        tables = conn.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        ).scalars()
        assert list(tables)


@pytest.mark.parametrize(
    ("purpose", "reuse_rule_fires"),
    [
        ("Street reports for the repairs team", True),
        ("Publication on the council open-data portal for residents and researchers", False),
    ],
)
def test_reuse_for_another_use_case_asks_for_a_new_triage(
    capsys: pytest.CaptureFixture[str],
    sqlite_url: str,
    extract: Path,
    tmp_path: Path,
    purpose: str,
    reuse_rule_fires: bool,
) -> None:
    code, _, err = run(
        capsys,
        "registry",
        "add",
        str(REQUESTS),
        "--name",
        "full requests",
        "--purpose",
        purpose,
        "--registry",
        sqlite_url,
        "--pattern-only",
    )
    assert code == 0, err
    _, report = check(capsys, extract, sqlite_url, tmp_path / "reuse")
    fired = {r["rule"] for r in report["rules_fired"]}  # type: ignore[attr-defined]
    assert ("reuse-for-another-use-case" in fired) is reuse_rule_fires
    assert report["decision"] != "release"
