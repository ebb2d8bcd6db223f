"""Small files, huge costs (issue 13, item 9): each bomb is built in tmp_path and refused, or
read, within bounded time and memory."""

from __future__ import annotations

import io
import math
import os
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hostile_corpus import (
    geojson_polygon_bomb,
    one_line_error,
    parquet_dictionary_bomb,
    run_cli,
    xlsx_dimension_bomb,
    xlsx_zip_bomb,
)

from triage.classifiers.columns import classify_column
from triage.context import Limits, RunContext
from triage.errors import DataInputError
from triage.io.formats import load_dataset
from triage.io.geo import load_geo
from triage.io.limits import check_zip_bomb
from triage.vocab import ColumnRole

#: a CLI check's bounds: well above an ordinary check's, far below what the bombs cost
WALL_SECONDS = 90
PEAK_RSS_MB = 900


def _cli(path: Path, *extra: str) -> tuple[int, str, float, float]:
    measured = run_cli(
        [
            "check",
            path.name,
            "--destination",
            "open-data",
            "--out",
            "out",
            "--pattern-only",
            "--quiet",
            *extra,
        ],
        path.parent,
        timeout=WALL_SECONDS * 2,
    )
    return measured.code, measured.stderr, measured.wall_seconds, measured.peak_rss_mb


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (parquet_dictionary_bomb, "values expand to 3,604,000,000 bytes"),
        (lambda d: xlsx_zip_bomb(d, expanded_mb=60), "a possible decompression bomb"),
        (lambda d: geojson_polygon_bomb(d, vertices=200_000), "200,001 vertices"),
    ],
    ids=["parquet-dictionary", "xlsx-zip-ratio", "geojson-polygon"],
)
def test_bomb_is_refused_in_bounded_time_and_memory(tmp_path: Path, build, message: str) -> None:
    path = build(tmp_path)
    assert path.stat().st_size < 10 * 1024**2
    code, stderr, wall, rss = _cli(path)
    assert code == 2, stderr
    assert one_line_error(stderr) and message in stderr
    assert wall < WALL_SECONDS and rss < PEAK_RSS_MB, (wall, rss)
    assert not (tmp_path / "out" / "report.json").exists()


def test_parquet_budget_is_checked_before_values_are_decoded(tmp_path: Path) -> None:
    path = parquet_dictionary_bomb(tmp_path, rows=200_000, width=100)
    assert load_dataset(path, Limits()).rows == 200_000  # 20 MB: within the budget
    with pytest.raises(DataInputError, match="expand to 20,800,000 bytes, over the limit"):
        load_dataset(path, Limits(max_expanded_bytes=10 * 1024**2))
    with pytest.raises(DataInputError, match="'note' has 100 characters, over the limit of 50"):
        load_dataset(path, Limits(max_cell_chars=50))


def test_xlsx_declared_dimension_is_not_trusted(tmp_path: Path) -> None:
    path = xlsx_dimension_bomb(tmp_path, rows=30_000)
    start = time.monotonic()
    ds = load_dataset(path, Limits())
    # trusting A1:XFD1048576 padded each row to 16,384 cells: about 2.6 ms a row, 78 s here
    assert time.monotonic() - start < 15
    assert ds.frame.shape == (30_000, 1)
    with pytest.raises(DataInputError, match="more than 1,000 rows, over the limit"):
        load_dataset(path, Limits(max_rows=1_000))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("member", "limits", "refused"),
    [
        (bytes(3 * 1024**2), Limits(max_ratio_expanded_bytes=2 * 1024**2), "times"),
        (bytes(3 * 1024**2), Limits(), None),  # highly compressed, but small
        (os.urandom(3 * 1024**2), Limits(max_expanded_bytes=2 * 1024**2), "over the limit of"),
        (os.urandom(3 * 1024**2), Limits(max_ratio_expanded_bytes=1024**2), None),  # ratio 1
    ],
    ids=["ratio-and-size", "ratio-only", "absolute", "large-incompressible"],
)
def test_zip_bomb_rule_is_absolute_cap_or_ratio_cap(
    tmp_path: Path, member: bytes, limits: Limits, refused: str | None
) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(_zip({"xl/media/part.bin": member}))
    if refused is None:
        check_zip_bomb(path, limits)
    else:
        with pytest.raises(DataInputError, match=refused):
            check_zip_bomb(path, limits)


@pytest.mark.parametrize(
    ("limits", "refused"),
    [
        (Limits(max_total_vertices=1_000), "1,503 vertices, over the limit of 1,000 per file"),
        (Limits(max_feature_vertices=500), "feature 1 has a geometry of 501 vertices"),
        (Limits(max_total_vertices=1_503, max_feature_vertices=501), None),
    ],
)
def test_geometry_vertices_are_budgeted(
    tmp_path: Path, limits: Limits, refused: str | None
) -> None:
    ring = [(math.cos(i / 80), math.sin(i / 80)) for i in range(500)]
    polygons = [shapely.Polygon([(x + k, y) for x, y in ring]) for k in range(3)]
    path = tmp_path / "parks.gpkg"
    gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=polygons, crs=27700).to_file(path)
    if refused is None:
        assert load_geo(path, limits)[0].rows == 3
    else:
        with pytest.raises(DataInputError, match=refused):
            load_geo(path, limits)


def test_geometry_text_obeys_the_cell_length_limit(tmp_path: Path) -> None:
    path = geojson_polygon_bomb(tmp_path, vertices=20_000)
    with pytest.raises(DataInputError, match=r"column 'geometry_wkt' .* over the limit of 100,000"):
        load_geo(path, Limits())
    ds, _ = load_geo(path, Limits(max_cell_chars=2_000_000))
    assert ds.frame["geometry_wkt"].str.len().iloc[0] > 100_000


class _Recorder:
    """A text analyzer that records what it is given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def analyze(self, rows: list[str]) -> list[object]:
        self.seen += rows
        return []

    model_name = "recorder"


@pytest.mark.parametrize(
    "wkt",
    [
        "POLYGON ((0 0, 1 0, 1 1, 0 0))",
        "SRID=27700;MULTILINESTRING ((530000 180000, 530100 180100))",
        "LINESTRING Z (0 0 1, 1 1 1)",
    ],
)
def test_geometry_text_never_reaches_ner(wkt: str) -> None:
    # long geometry text would otherwise be judged free text and sent to NER
    rng = np.random.default_rng(1)
    values = [wkt.replace("1", f"1{int(rng.integers(10**6))}", 1) + " " * 200 for _ in range(50)]
    recorder = _Recorder()
    col = classify_column("boundary", pd.Series(values, dtype="str"), RunContext(), recorder)  # type: ignore[arg-type]
    assert recorder.seen == []
    assert col.role is ColumnRole.LOCATION


def test_geojson_positions_are_counted_before_the_geometry_reader(tmp_path: Path) -> None:
    path = geojson_polygon_bomb(tmp_path, vertices=3_000)
    with pytest.raises(DataInputError, match="3,004 JSON arrays, more than its geometries may"):
        load_geo(path, Limits(max_total_vertices=3_000))
    ds, _ = load_geo(path, Limits(max_total_vertices=3_004))
    assert ds.rows == 1
