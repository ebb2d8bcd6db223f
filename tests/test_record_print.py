"""The triage record prints cleanly: headless Chromium prints report.html to PDF and every
answer, rule and condition is in the printed text (the PDF is kept as a test artefact)."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "tests" / "artefacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup installs it)"
)


def print_to_pdf(html: Path, pdf: Path, profile: Path) -> None:
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def squash(text: str) -> str:
    """Text without white space or ligatures (PDF extraction breaks lines at will)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return squash("".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages))


@pytest.mark.parametrize(
    ("example", "destination"),
    [("service_requests.csv", "open-data"), ("air_quality.csv", "third-party")],
)
def test_printed_record_holds_every_answer_rule_and_condition(
    tmp_path: Path, capsys, monkeypatch, example: str, destination: str
) -> None:
    monkeypatch.setenv("TRIAGE_PSEUDONYM_KEY", "a-test-key-of-sufficient-length")
    out = tmp_path / "out"
    main(
        [
            "check",
            str(ROOT / "examples" / example),
            "--destination",
            destination,
            "--context",
            str(ROOT / "examples" / "context" / f"{destination}.yaml"),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    capsys.readouterr()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTEFACTS / f"record-{destination}-{example.removesuffix('.csv')}.pdf"
    print_to_pdf(out / "report.html", pdf, tmp_path / "profile")
    text = pdf_text(pdf)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert squash("Triage record") in text
    for value in report["context"]["answers"].values():
        shown = ", ".join(value) if isinstance(value, list) else value
        if shown:
            assert squash(str(shown)) in text, shown
    for rule in report["rules_fired"]:
        assert squash(rule["rule"]) in text
    assert report["conditions"]
    for condition in report["conditions"]:
        assert squash(condition) in text, condition
