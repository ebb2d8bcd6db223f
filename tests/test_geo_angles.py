"""Coordinates written with hemisphere letters or in degrees-minutes-seconds (issue: home
locations in DMS were not recognised and were released to open data unchanged)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from triage.classifiers.geo import parse_degrees, parse_numbers, parse_pair_strings
from triage.cli import main


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("53.801234N", 53.801234),
        ("1.5234W", -1.5234),
        ("S33.8688", -33.8688),
        ("53°48'04.4\"N", 53 + 48 / 60 + 4.4 / 3600),
        ("1°31'22.1\"W", -(1 + 31 / 60 + 22.1 / 3600)),
        ("53 48 04.4 N", 53 + 48 / 60 + 4.4 / 3600),
        ("53°48.073'N", 53 + 48.073 / 60),
        ("-2.5", -2.5),
        ("51.5", 51.5),
    ],
)
def test_written_angles_are_read(text: str, value: float) -> None:
    assert parse_numbers(pd.Series([text]))[0] == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "Flat 5N",
        "12 5",
        "53°61'N",
        "N53.1S",
        "-1.5W",
        "",
        "5 Acacia Avenue",
        # area codes and other identifiers that begin with a hemisphere letter
        "E05000819",
        "E01006109",
        "W04000001",
        "S12000033",
        "N95",
        "N1",
        "E14",
        "SW1",
        "181E",
    ],
)
def test_non_angles_stay_missing(text: str) -> None:
    assert math.isnan(parse_numbers(pd.Series([text]))[0])


def test_precision_follows_the_last_written_unit() -> None:
    _, res = parse_degrees(pd.Series(["53°48'04.4\"N", "53.801234N", "53°48'N"]))
    assert res[0] == pytest.approx(0.1 / 3600)
    assert res[1] == pytest.approx(1e-6)
    assert res[2] == pytest.approx(1 / 60)


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("53°48'04.4\"N 1°31'22.1\"W", 53.80122, -1.52281),
        ("53.80N, 1.52W", 53.80, -1.52),
        ("53.8, -1.5", 53.8, -1.5),
    ],
)
def test_angle_pairs_in_one_column(text: str, lat: float, lon: float) -> None:
    ab, _, _ = parse_pair_strings(pd.Series([text]))
    assert ab[0, 0] == pytest.approx(lat, abs=1e-4) and ab[0, 1] == pytest.approx(lon, abs=1e-4)


@pytest.mark.parametrize("text", ["82667", "100012797623", "1234 5678", "Children's Choir"])
def test_digits_are_not_split_into_angle_pairs(text: str) -> None:
    ab, _, _ = parse_pair_strings(pd.Series([text]))
    assert not bool(pd.notna(ab).all(axis=1)[0])


def _home_visits(path: Path, rows: int = 300) -> list[str]:
    lines = ["visit_id,visit_date,latitude,longitude"]
    written = []
    for i in range(rows):
        lat_s = 10 + (i * 7) % 50
        lon_s = 5 + (i * 11) % 50
        lat = f"53°48'{lat_s:02d}.{i % 10}\"N"
        lon = f"1°31'{lon_s:02d}.{(i * 3) % 10}\"W"
        written += [lat, lon]
        row = [f"V{i:04d}", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", lat, lon]
        lines.append(",".join('"' + v.replace('"', '""') + '"' for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def test_home_visits_in_dms_are_not_released_precisely(tmp_path: Path) -> None:
    data = tmp_path / "home_visits.csv"
    written = _home_visits(data)
    out = tmp_path / "out"
    code = main(["check", str(data), "--destination", "open-data", "--out", str(out)])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code != 0 and report["decision"] != "release"
    columns = report["datasets"][0]["columns"]
    assert "COORDINATES" in columns["latitude"]["entities"]
    for sub in ("released", "proposed"):
        for f in (out / sub).glob("*") if (out / sub).is_dir() else []:
            text = f.read_text(encoding="utf-8")
            assert not any(w in text for w in written), f
