"""Golden reports: the behaviour of whole checks, frozen field by field.

Each case runs ``triage check`` on bundled example data (one per destination, a count table,
points near sensitive sites, a DOCX and an EML FOI response, a mosaic pair against a seeded
register) and compares its ``report.json`` with ``tests/golden/<case>.json`` path by path,
with the fields that change between runs or machines masked (package versions, times, the
rulebook hash) and the sha256 of every released or redacted file. A difference names each
JSON path that changed. After an intended change of behaviour, rewrite the files with
``TRIAGE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import os
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from triage.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
KEY = "golden-key-not-secret-0123456789"
MASKED = "<masked>"
#: fields that differ between machines or runs, not in behaviour
MASK_KEYS = frozenset({"packages", "triage_version", "rulebook_sha256"})


def _eml(tmp: Path) -> Path:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Jane Whitfield <jane.whitfield@example.com>"
    msg["To"] = "FOI Team <foi@example.gov.uk>"
    msg["Subject"] = "FOI request about missed bin collections"
    msg["Date"] = "Tue, 02 Jul 2024 09:30:00 +0100"
    msg["Message-ID"] = "<golden-0001@example.com>"
    msg.set_content(
        "Dear FOI team,\n\nI asked about the missed collections at 14 Arndale Road, Leeds "
        "LS6 2AB. Please call me on 07700 900123 or write to jane.whitfield@example.com.\n\n"
        "Jane Whitfield\n"
    )
    msg.add_attachment(
        b"ward,missed\nHeadingley,14\nHyde Park,9\n",
        maintype="text",
        subtype="csv",
        filename="missed_by_ward.csv",
    )
    msg.set_boundary("golden-boundary-0001")  # the input's bytes are the same on every run
    path = tmp / "foi_request.eml"
    path.write_bytes(msg.as_bytes())
    return path


def _extract(tmp: Path) -> Path:
    frame = pd.read_csv(EXAMPLES / "service_requests.csv", dtype=str)
    path = tmp / "requests_extract.csv"
    frame[["request_id", "postcode", "ward", "reported_on", "category"]].head(200).to_csv(
        path, index=False
    )
    return path


def _workbook(tmp: Path) -> Path:
    from triage.io.excel import _reproducible_zip

    frame = pd.read_csv(EXAMPLES / "service_requests.csv", dtype=str).head(80)
    staged = tmp / "staged.xlsx"
    frame.to_excel(staged, index=False, sheet_name="requests")
    path = tmp / "requests.xlsx"
    path.write_bytes(_reproducible_zip(staged.read_bytes()))  # the same input bytes every run
    return path


def _context(destination: str) -> list[str]:
    return ["--context", str(EXAMPLES / "context" / f"{destination}.yaml")]


#: case -> (inputs (a path, or a builder of one in the case's folder), destination, extra flags)
CASES: dict[str, tuple[list[Any], str, list[str]]] = {
    "open_data_requests": ([EXAMPLES / "service_requests.csv"], "open-data", _context("open-data")),
    "third_party_referrals": (
        [EXAMPLES / "council_referrals.csv"],
        "third-party",
        _context("third-party"),
    ),
    "foi_incidents": ([EXAMPLES / "incidents.csv"], "foi", _context("foi")),
    "internal_requests": ([EXAMPLES / "service_requests.csv"], "internal", _context("internal")),
    "count_table": ([EXAMPLES / "referrals_by_ward.csv"], "open-data", _context("open-data")),
    "points_near_sites": (
        [EXAMPLES / "incidents.csv"],
        "open-data",
        [*_context("open-data"), "--sites", str(EXAMPLES / "sites_example.geojson")],
    ),
    "open_data_workbook": ([_workbook], "open-data", _context("open-data")),
    "foi_docx": ([EXAMPLES / "foi_response.docx"], "foi", _context("foi")),
    "foi_eml": ([_eml], "foi", _context("foi")),
    "mosaic_register": ([_extract], "open-data", _context("open-data")),
}


def _mask(value: Any, out: str) -> Any:
    if isinstance(value, dict):
        return {
            k: MASKED if k in MASK_KEYS or k.endswith("_at") else _mask(v, out)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v, out) for v in value]
    if isinstance(value, str):
        return value.replace(out, "<out>")
    return value


def _outputs(out: Path) -> dict[str, str]:
    """sha256 of every released, proposed or redacted file (not the reports)."""
    found = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel.split("/")[0] in ("released", "proposed", "documents"):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _run(case: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    inputs, destination, flags = CASES[case]
    paths = [str(p(tmp) if callable(p) else p) for p in inputs]
    url = f"sqlite:///{tmp / 'register.db'}"
    monkeypatch.setenv("TRIAGE_PSEUDONYM_KEY", KEY)
    monkeypatch.delenv("TRIAGE_REGISTRY", raising=False)
    if case == "mosaic_register":
        assert (
            main(
                [
                    "registry",
                    "add",
                    str(EXAMPLES / "service_requests.csv"),
                    "--name",
                    "full requests",
                    "--registry",
                    url,
                ]
            )
            == 0
        )
    out = tmp / "out"
    code = main(
        [
            "check",
            *paths,
            "--destination",
            destination,
            "--registry",
            url,
            "--out",
            str(out),
            "--quiet",
            *flags,
        ]
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        "exit_code": code,
        "report": _mask(report, str(out)),
        "outputs": _outputs(out),
    }


def _differences(want: Any, got: Any, path: str = "$") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got)):
            if key not in got:
                out.append(f"{path}.{key}: missing")
            elif key not in want:
                out.append(f"{path}.{key}: new")
            else:
                out += _differences(want[key], got[key], f"{path}.{key}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{path}: {len(want)} items, now {len(got)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(want, got, strict=True))
            for d in _differences(a, b, f"{path}[{i}]")
        ]
    return [] if want == got else [f"{path}: {json.dumps(want)[:120]} -> {json.dumps(got)[:120]}"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_matches_its_golden_file(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = _run(case, tmp_path, monkeypatch)
    golden = GOLDEN / f"{case}.json"
    if os.environ.get("TRIAGE_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(golden.read_text(encoding="utf-8"))
    differences = _differences(want, got)
    assert not differences, f"{case}: {len(differences)} differences\n" + "\n".join(
        differences[:40]
    )


def test_a_changed_field_is_named_by_its_path() -> None:
    want = {"decision": "refer", "datasets": [{"rows": 3, "columns": {"a": {"role": "none"}}}]}
    got = {"decision": "refer", "datasets": [{"rows": 3, "columns": {"a": {"role": "quasi"}}}]}
    assert _differences(want, got) == ['$.datasets[0].columns.a.role: "none" -> "quasi"']
    assert _differences(want, want) == []
