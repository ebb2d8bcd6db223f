"""aggregate_areas: points to user-supplied areas with small-count suppression."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from triage.context import RunContext
from triage.errors import ConfigError
from triage.redaction.base import TransformContext
from triage.redaction.registry import get_transform

TCTX = TransformContext(run=RunContext())
# four 1 km squares side by side, west to east: W1..W4
SQUARES = [("W1", 430000), ("W2", 431000), ("W3", 432000), ("W4", 433000)]


@pytest.fixture
def areas(tmp_path: Path) -> Path:
    layer = gpd.GeoDataFrame(
        {"ward_code": [c for c, _ in SQUARES]},
        geometry=[box(x, 433000, x + 1000, 434000) for _, x in SQUARES],
        crs=27700,
    )
    path = tmp_path / "wards.gpkg"
    layer.to_file(path)
    return path


def frame(counts: dict[str, int], outside: int = 0) -> pd.DataFrame:
    rows = []
    for code, x in SQUARES:
        rows += [(str(x + 100 + 10 * i), str(433500 + i)) for i in range(counts.get(code, 0))]
    rows += [("500000", "433500")] * outside
    return pd.DataFrame(rows, columns=["easting", "northing"], dtype="str").assign(kind="incident")


def run(data: pd.DataFrame, **params: object):
    return get_transform("aggregate_areas").run(
        data, ["easting", "northing"], {"crs": 27700, **params}, TCTX
    )


@pytest.mark.parametrize(
    ("counts", "outside", "k", "kept_codes"),
    [
        ({"W1": 6, "W2": 5, "W3": 2}, 0, 5, {"W1", "W2"}),
        ({"W1": 6, "W2": 5, "W3": 2}, 0, 2, {"W1", "W2", "W3"}),
        ({"W1": 6, "W4": 9}, 3, 5, {"W1", "W4"}),
        ({"W2": 1}, 0, 1, {"W2"}),
    ],
)
def test_points_become_area_codes_and_small_areas_are_suppressed(
    areas: Path, counts: dict[str, int], outside: int, k: int, kept_codes: set[str]
) -> None:
    data = frame(counts, outside)
    result = run(data, areas_path=str(areas), code_field="ward_code", k=k)
    out = result.frame
    assert "easting" not in out.columns and "northing" not in out.columns
    assert set(out["area_code"]) == kept_codes
    kept_rows = sum(counts[c] for c in kept_codes)
    assert len(out) == kept_rows and result.rows_removed == len(data) - kept_rows
    assert out["area_code"].value_counts().min() >= k
    assert list(data.columns) == ["easting", "northing", "kind"]  # input untouched


def test_counts_output_is_a_table_of_areas(areas: Path) -> None:
    result = run(
        frame({"W1": 6, "W2": 5, "W3": 2}),
        areas_path=str(areas),
        code_field="ward_code",
        k=5,
        output="counts",
    )
    assert result.frame.to_dict("records") == [
        {"area_code": "W1", "records": "6"},
        {"area_code": "W2", "records": "5"},
    ]


def test_cell_suppression_keeps_records_but_blanks_small_areas(areas: Path) -> None:
    result = run(
        frame({"W1": 6, "W3": 2}),
        areas_path=str(areas),
        code_field="ward_code",
        k=5,
        suppress="cell",
    )
    assert len(result.frame) == 8
    assert result.frame["area_code"].isna().sum() == 2


@pytest.mark.parametrize(
    ("field", "crs", "message"),
    [("nope", 27700, "no field"), ("ward_code", None, "declare no CRS")],
)
def test_bad_boundaries_are_config_errors(tmp_path: Path, field: str, crs, message: str) -> None:
    layer = gpd.GeoDataFrame(
        {"ward_code": ["W1"]}, geometry=[box(430000, 433000, 431000, 434000)], crs=crs
    )
    path = tmp_path / f"b{crs}.gpkg"  # GeoJSON always implies WGS84; a GeoPackage may have no CRS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns about the missing CRS
        layer.to_file(path)
    with pytest.raises(ConfigError, match=message):
        run(frame({"W1": 6}), areas_path=str(path), code_field=field)
