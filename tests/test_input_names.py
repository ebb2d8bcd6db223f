"""Input file names that may identify a person are never shown or written (issue 13)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from triage.cli import main
from triage.io.names import neutral_file_names

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CSV_ARGS = ["--destination", "open-data"]
FOI_ARGS = [
    "--destination",
    "foi",
    "--context",
    str(EXAMPLES / "context" / "foi.yaml"),
    "--officials",
    str(EXAMPLES / "public_officials.yaml"),
]


def _eml() -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = "foi@council.example.gov.uk"
    m["To"] = "requests@council.example.gov.uk"
    m["Subject"] = "FOI request about library opening hours"
    m.set_content("Please find the opening hours attached.\n")
    m.add_attachment(
        b"library,weekday,opens\nCentral,Monday,09:00\nNorth,Tuesday,10:00\n",
        maintype="text",
        subtype="csv",
        filename="hours.csv",
    )
    return m.as_bytes()


def _all_bytes(root: Path) -> list[tuple[str, bytes]]:
    """Every output file's name and bytes, and each part of a zip container (docx, xlsx)."""
    seen: list[tuple[str, bytes]] = []
    for path in sorted(root.rglob("*")):
        seen.append((str(path.relative_to(root)), str(path.relative_to(root)).encode()))
        if not path.is_file():
            continue
        data = path.read_bytes()
        seen.append((str(path), data))
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    seen.append((f"{path}!{info.filename}", info.filename.encode()))
                    seen.append((f"{path}!{info.filename}", zf.read(info)))
    return seen


@pytest.mark.parametrize(
    ("source", "name", "fragments", "args"),
    [
        (
            "council_referrals.csv",
            "jane.smith@example.org complaint.csv",
            ["jane.smith", "example.org"],
            CSV_ARGS,
        ),
        ("council_referrals.csv", "call 07700 900123.csv", ["07700", "900123"], CSV_ARGS),
        ("council_referrals.csv", "NHS 943 476 5919.csv", ["943 476", "5919"], CSV_ARGS),
        (
            "foi_response.docx",
            "Mrs J Smith 12 High Street.docx",
            ["J Smith", "High Street"],
            FOI_ARGS,
        ),
        ("eml", "Reply to jane.smith@example.org.eml", ["jane.smith", "example.org"], FOI_ARGS),
    ],
)
def test_identifying_input_name_is_in_no_output(
    tmp_path: Path, capsys, source: str, name: str, fragments: list[str], args: list[str]
) -> None:
    given = tmp_path / "in" / name
    given.parent.mkdir()
    if source == "eml":
        given.write_bytes(_eml())
    else:
        shutil.copyfile(EXAMPLES / source, given)
    out = tmp_path / "out"
    code = main(["check", str(given), *args, "--out", str(out)])
    captured = capsys.readouterr()
    assert code in (0, 10, 20, 30), captured.err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert all(d["name"].startswith("dataset-1") for d in report.get("datasets", []))
    assert any(p["kind"] == "file_name_replaced" for p in report["problems"])
    for where, data in _all_bytes(out):
        for fragment in fragments:
            assert fragment.encode() not in data, (fragment, where)
    for fragment in fragments:
        assert fragment not in captured.out + captured.err


def test_harmless_input_name_is_kept(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["check", str(EXAMPLES / "council_referrals.csv"), *CSV_ARGS, "--out", str(out)])
    capsys.readouterr()
    assert code in (0, 10, 20, 30)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [d["name"] for d in report["datasets"]] == ["council_referrals.csv"]
    assert not any(p["kind"] == "file_name_replaced" for p in report.get("problems", []))


def test_a_missing_input_with_an_identifying_name_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code = main(["check", str(tmp_path / "Mrs J Smith.csv"), *CSV_ARGS, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "fault" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "name", ["planning_iom.csv", "ev_chargepoints.csv", "Sheet1.xlsx", "air_quality.csv"]
)
def test_neutral_file_names_keep_harmless_names(name: str) -> None:
    assert neutral_file_names([name]) == {name: name}


def test_neutral_file_names_are_unique_and_keep_the_suffix() -> None:
    shown = neutral_file_names(["dataset-2.csv", "John Smith.csv", "a@b.org.csv", "x.csv"])
    assert shown == {
        "dataset-2.csv": "dataset-2.csv",
        "John Smith.csv": "dataset-2+.csv",
        "a@b.org.csv": "dataset-3.csv",
        "x.csv": "x.csv",
    }


@pytest.mark.parametrize(
    ("raw", "fragments"),
    [
        ("jane.smith@example.org complaint.csv", ["jane.smith", "example"]),
        ("call 07700 900123.csv", ["07700 900123", "07700_900123"]),
        ("NHS 943 476 5919.csv", ["943 476", "943_476", "476_5919"]),
    ],
)
def test_service_never_stores_or_shows_an_identifying_upload_name(
    tmp_path: Path, raw: str, fragments: list[str]
) -> None:
    from service_harness import make_service

    from triage.api.services.uploads import safe_name

    assert safe_name(raw, 1) == "dataset-1.csv"
    svc = make_service(f"sqlite:///{tmp_path / 'triage.db'}", tmp_path / "data")
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", (raw, (EXAMPLES / "air_quality.csv").read_bytes()[:20000], "text/csv"))],
        data={"destination": "open-data"},
    )
    assert res.status_code == 202, res.text
    sid = res.json()["id"]
    svc.worker.drain()
    shown = [
        svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).text,
        svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice")).text,
    ]
    for text in shown:
        assert "dataset-1.csv" in text
    stored = _all_bytes(tmp_path)
    for fragment in fragments:
        assert not any(fragment in text for text in shown), fragment
        assert not any(fragment.encode() in data for _, data in stored), fragment
