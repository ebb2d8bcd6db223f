"""Contract edge cases of the loaders and the CLI (issue 13, item 14): deep JSON, non-regular
files, very wide CSVs, a file replaced mid-check, a check past its time limit."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hostile_corpus import deep_json, one_line_error, ordinary_csv, run_cli, wide_csv

import triage.io.formats
import triage.io.geo
import triage.io.workbook
from triage.context import Limits
from triage.errors import DataInputError
from triage.io.formats import load_dataset, write_released
from triage.io.limits import read_input
from triage.runner import load_tables
from triage.timed import run_limited


def _check(folder: Path, name: str, *extra: str) -> tuple[int, str, str, float]:
    args = ["check", name, "--destination", "open-data", "--out", "out", "--pattern-only"]
    measured = run_cli([*args, "--quiet", *extra], folder, timeout=120)
    return measured.code, measured.stdout, measured.stderr, measured.wall_seconds


def test_json_nested_900_deep_is_bad_input(tmp_path: Path) -> None:
    code, _, stderr, _ = _check(tmp_path, deep_json(tmp_path).name)
    assert code == 2 and one_line_error(stderr)
    assert "nested 902 levels deep, over the limit of 100" in stderr


@pytest.mark.parametrize("depth", [101, 5_000, 100_000])
def test_ndjson_depth_is_limited_per_line(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "d.ndjson"
    path.write_text('{"id": 1}\n{"x": ' + "[" * depth + "]" * depth + "}\n")
    with pytest.raises(DataInputError, match=r"(line 2 is nested|line 2 is not valid)"):
        load_dataset(path, Limits())


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".json", ".gpkg", ".geojson"])
def test_a_fifo_is_not_a_regular_file_and_never_blocks(tmp_path: Path, suffix: str) -> None:
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(DataInputError, match="is not a regular file \\(a named pipe\\)"):
        load_tables(fifo, Limits())
    with pytest.raises(DataInputError, match="named pipe"):
        read_input(fifo, Limits())  # opened without blocking: no writer needed
    assert time.monotonic() - start < 5


def test_a_fifo_in_the_cli_is_bad_input(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    code, _, stderr, wall = _check(tmp_path, "pipe.csv")
    assert code == 2 and one_line_error(stderr) and "not a regular file" in stderr
    assert wall < 60


def test_a_100000_column_csv_is_refused_with_its_real_count(tmp_path: Path) -> None:
    code, _, stderr, _ = _check(tmp_path, wide_csv(tmp_path).name)
    assert code == 2 and one_line_error(stderr)
    assert "100,000 columns, over the limit of 2,000" in stderr


@pytest.mark.parametrize("columns", [2_001, 10_951, 100_000])
def test_a_wide_csv_is_counted_whole(tmp_path: Path, columns: int) -> None:
    path = wide_csv(tmp_path, columns)
    with pytest.raises(DataInputError, match=f"{columns:,} columns, over the limit of 2,000"):
        load_dataset(path, Limits())
    assert load_dataset(path, Limits(max_columns=columns)).frame.shape == (2, columns)


def _frame(version: int) -> pd.DataFrame:
    return pd.DataFrame({"ward": [f"W{version}", "W9"], "count": [str(version), "3"]})


def _write_geojson(frame: pd.DataFrame, path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        frame, geometry=[shapely.Polygon([(0, 0), (1, 0), (1, 1)])] * len(frame), crs=4326
    )
    gdf.to_file(path, driver="GeoJSON")


def _writer(fmt: str) -> Callable[[pd.DataFrame, Path], None]:
    if fmt == "geojson":
        return _write_geojson
    return lambda frame, path: (write_released(frame, path, fmt), None)[1]


@pytest.mark.parametrize(
    ("fmt", "module"),
    [
        ("csv", triage.io.formats),
        ("xlsx", triage.io.workbook),
        ("parquet", triage.io.formats),
        ("json", triage.io.formats),
        ("ndjson", triage.io.formats),
        ("geojson", triage.io.geo),
    ],
)
def test_what_is_hashed_is_what_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, module: object
) -> None:
    path = tmp_path / f"data.{fmt}"
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    _writer(fmt)(_frame(1), first)
    _writer(fmt)(_frame(2), second)
    path.write_bytes(first.read_bytes())
    real = read_input

    def replaced_after_reading(p: Path, limits: Limits) -> tuple[bytes, str]:
        got = real(p, limits)
        p.write_bytes(second.read_bytes())  # replaced mid-check
        return got

    monkeypatch.setattr(module, "read_input", replaced_after_reading)
    dataset = load_tables(path, Limits()).datasets[0]
    assert dataset.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    assert dataset.frame["ward"].iloc[0] == "W1"


def test_a_check_past_its_time_limit_is_stopped_and_refers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text('{"decision": "release"}')  # a previous run's
    code, stdout, _, wall = _check(tmp_path, ordinary_csv(tmp_path).name, "--timeout", "0.5")
    assert code == 20 and stdout.strip() == "refer"
    assert wall < 30
    report = json.loads((out / "report.json").read_text())
    assert report["decision"] == "refer"
    assert [p["kind"] for p in report["problems"]] == ["check_timeout"]
    assert "time limit of 0.5 s" in report["decision_reason"]
    assert not (out / "released").exists()
    assert not list(tmp_path.glob(".out.triage-*"))  # the killed run's staging folder


def test_a_check_within_its_time_limit_is_unchanged(tmp_path: Path) -> None:
    code, stdout, _, _ = _check(tmp_path, ordinary_csv(tmp_path).name, "--timeout", "300")
    assert (code, stdout.strip()) == (0, "release")
    assert json.loads((tmp_path / "out" / "report.json").read_text())["decision"] == "release"


def _sleeps_with_a_grandchild(pid_file: Path) -> Callable[[Callable[[str], None]], int]:
    def work(say: Callable[[str], None]) -> int:
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        pid_file.write_text(str(grandchild.pid))
        say("sleeping")
        time.sleep(60)
        return 0

    return work


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status").read_text()
    return "State:\tZ" not in status


@pytest.mark.parametrize(
    ("seconds", "timed_out", "code"), [(1.0, True, None), (30.0, False, 7)], ids=["killed", "done"]
)
def test_run_limited_kills_the_whole_process_group(
    tmp_path: Path, seconds: float, timed_out: bool, code: int | None
) -> None:
    pid_file = tmp_path / "pid"
    said: list[str] = []
    work = _sleeps_with_a_grandchild(pid_file) if timed_out else (lambda say: 7)
    start = time.monotonic()
    outcome = run_limited(work, seconds, said.append)
    assert (outcome.timed_out, outcome.code) == (timed_out, code)
    assert time.monotonic() - start < seconds + 10
    if timed_out:
        assert said == ["sleeping"]
        deadline = time.monotonic() + 5
        while _alive(int(pid_file.read_text())) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(int(pid_file.read_text()))
