"""A new version of a registered release (``--supersedes``): compared with it, not linked.

Issue class: a monthly republication was referred for linking to its own earlier release.
With ``--supersedes`` the earlier versions leave the mosaic check and the difference between
the versions is judged instead: a group that changed by fewer than k people is referred.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from triage.cli import main

KEY = "version-key-0123456789"
AGES, SEXES, WARDS = ["18-29", "30-44", "45-64", "65+"], ["Female", "Male"], ["Altrincham", "Sale"]
CLASSES = list(itertools.product(AGES, SEXES, WARDS))


def _month(per_class: int, extra: dict[int, int] | None = None) -> pd.DataFrame:
    """A person-level release: ``per_class`` people in each (age band, sex, ward) group, and
    ``extra[i]`` more in group i."""
    rows = []
    for i, (age, sex, ward) in enumerate(CLASSES):
        for _ in range(per_class + (extra or {}).get(i, 0)):
            rows.append({"age_band": age, "sex": sex, "ward": ward, "visits": str(len(rows) % 7)})
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def _keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIAGE_REGISTRY", raising=False)
    monkeypatch.setenv("TRIAGE_PSEUDONYM_KEY", KEY)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def _register(capsys: pytest.CaptureFixture[str], url: str, path: Path, name: str) -> None:
    code, err = _run(
        capsys, "registry", "add", str(path), "--name", name, "--pattern-only", "--registry", url
    )
    assert code == 0, err


def _check_argv(url: str, out: Path, *paths_and_flags: str) -> list[str]:
    common = ["--destination", "open-data", "--pattern-only", "--registry", url]
    return ["check", *paths_and_flags, *common, "--out", str(out), "--quiet"]


def _check(
    capsys: pytest.CaptureFixture[str], url: str, out: Path, *paths_and_flags: str
) -> tuple[int, dict[str, object]]:
    code, err = _run(capsys, *_check_argv(url, out, *paths_and_flags))
    assert code in (0, 10, 20, 30), err
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture
def registered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    first = tmp_path / "visits_may.csv"
    _month(15).to_csv(first, index=False)
    _register(capsys, url, first, "monthly visits")
    return url


def _rules(report: dict[str, object]) -> set[str]:
    return {str(r["rule"]) for r in report["rules_fired"]}  # type: ignore[attr-defined]


def test_without_supersedes_the_new_version_links_to_its_own_earlier_release(
    registered: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "visits_june.csv"
    _month(15, {3: 1}).to_csv(path, index=False)
    _, report = _check(capsys, registered, tmp_path / "out", str(path))
    assert any("monthly visits" in " ".join(m["datasets"]) for m in report["mosaic"])  # type: ignore[attr-defined]
    assert not report["versions"]


@pytest.mark.parametrize(
    ("extra", "small", "expected"),
    [
        ({}, 0, "release"),  # republished unchanged
        ({i: 12 for i in range(len(CLASSES))}, 0, "release"),  # every group grew by >= k
        ({3: 1}, 1, "refer"),  # one person arrived in a group of 15: singled out
        ({0: 2, 5: 3}, 2, "refer"),
    ],
)
def test_a_new_version_is_judged_by_its_difference(
    registered: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: dict[int, int],
    small: int,
    expected: str,
) -> None:
    path = tmp_path / "visits_june.csv"
    _month(15, extra).to_csv(path, index=False)
    _, report = _check(
        capsys, registered, tmp_path / "out", str(path), "--supersedes", "monthly visits"
    )
    assert not report["mosaic"]  # the earlier version is compared, not linked
    (version,) = report["versions"]  # type: ignore[misc]
    assert version["supersedes"] == "monthly visits (release 1)" and version["comparable"]
    assert version["classes_compared"] == len(CLASSES)
    assert version["small_changes"] == small
    assert set(version["quasi_identifiers"]) == {"age_band", "sex", "ward"}
    assert report["decision"] == expected
    assert ("version-differencing" in _rules(report)) is bool(small)


def test_a_version_that_cannot_be_compared_is_referred(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    first = tmp_path / "visits_may.csv"
    _month(15).to_csv(first, index=False)
    monkeypatch.delenv("TRIAGE_PSEUDONYM_KEY")  # recorded without a key: no groups counted
    _register(capsys, url, first, "monthly visits")
    monkeypatch.setenv("TRIAGE_PSEUDONYM_KEY", KEY)
    _, report = _check(capsys, url, tmp_path / "out", str(first), "--supersedes", "monthly visits")
    problems = [p for p in report["problems"] if p["kind"] == "version_not_compared"]  # type: ignore[attr-defined]
    assert problems and "without a pseudonymisation key" in problems[0]["message"]
    assert report["decision"] == "refer"


def test_record_notes_what_a_release_supersedes(
    registered: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "visits_june.csv"
    _month(15).to_csv(path, index=False)
    _, report = _check(
        capsys,
        registered,
        tmp_path / "out",
        str(path),
        "--supersedes",
        "monthly visits",
        "--record",
    )
    (new_id,) = report["run"]["recorded_release_ids"]  # type: ignore[index]
    engine = sa.create_engine(registered)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT supersedes_id FROM releases WHERE id = :i"), {"i": new_id}
        ).one()
    engine.dispose()
    assert row.supersedes_id == 1


@pytest.mark.parametrize(
    ("spec", "two_files", "message"),
    [
        ("no such release", False, "no release named 'no such release'"),
        ("monthly visits", True, "write FILE=NAME"),
        ("visits_june.csv=", False, "needs the name of a registered release"),
    ],
)
def test_supersedes_usage_errors_are_one_line_exit_2(
    registered: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    two_files: bool,
    message: str,
) -> None:
    path = tmp_path / "visits_june.csv"
    _month(15).to_csv(path, index=False)
    paths = [str(path), str(tmp_path / "visits_may.csv")] if two_files else [str(path)]
    code, err = _run(
        capsys, *_check_argv(registered, tmp_path / "out", *paths, "--supersedes", spec)
    )
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_registry_add_supersedes_an_unknown_name_is_exit_2(
    registered: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(
        capsys,
        "registry",
        "add",
        str(tmp_path / "visits_may.csv"),
        "--name",
        "monthly visits",
        "--supersedes",
        "nothing",
        "--pattern-only",
        "--registry",
        registered,
    )
    assert code == 2 and "no release named 'nothing'" in err


def test_the_report_says_in_words_what_was_compared(
    registered: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "visits_june.csv"
    _month(15, {3: 1}).to_csv(path, index=False)
    out = tmp_path / "out"
    _check(capsys, registered, out, str(path), "--supersedes", "monthly visits")
    sentence = "16 groups over age_band, sex, ward compared, 1 changed by fewer than 10 people"
    for page in ("report.md", "report.html"):
        text = (out / page).read_text(encoding="utf-8")
        assert "is a new version of monthly visits (release 1)" in text and sentence in text
