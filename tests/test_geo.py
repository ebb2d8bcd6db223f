"""Geospatial detection (classifiers.geo) and geospatial file reading (triage.io.geo)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from triage.classifiers.geo import (
    BNG,
    WGS84,
    assess_geo,
    find_coordinate_columns,
    infer_crs,
    parse_gridrefs,
    to_bng,
    transform,
)
from triage.context import Limits
from triage.errors import DataInputError
from triage.io.formats import load_dataset
from triage.io.geo import add_wkt_points, load_geo

RNG = np.random.default_rng(7)
N = 300
LAT = 53.78 + RNG.random(N) * 0.05
LON = -1.58 + RNG.random(N) * 0.08
BNG_XY = to_bng(np.column_stack([LON, LAT]), WGS84)


def _deg(v: np.ndarray, d: int = 5) -> list[str]:
    return [f"{x:.{d}f}" for x in v]


def _m(v: np.ndarray) -> list[str]:
    return [str(int(x)) for x in v]


FORMATS = {
    "lat_lon": (pd.DataFrame({"lat": _deg(LAT), "lon": _deg(LON)}), "lonlat", WGS84),
    "latitude_longitude": (
        pd.DataFrame({"Latitude": _deg(LAT), "Longitude": _deg(LON)}),
        "lonlat",
        WGS84,
    ),
    "lng": (pd.DataFrame({"site_lat": _deg(LAT), "site_lng": _deg(LON)}), "lonlat", WGS84),
    "unnamed_degrees": (pd.DataFrame({"c1": _deg(LAT), "c2": _deg(LON)}), "lonlat", WGS84),
    "x_y_degrees": (pd.DataFrame({"X": _deg(LON), "Y": _deg(LAT)}), "xy", WGS84),
    "x_y_bng": (pd.DataFrame({"x": _m(BNG_XY[:, 0]), "y": _m(BNG_XY[:, 1])}), "xy", BNG),
    "easting_northing": (
        pd.DataFrame({"Easting": _m(BNG_XY[:, 0]), "Northing": _m(BNG_XY[:, 1])}),
        "bng",
        BNG,
    ),
    "wkt_wgs84": (
        pd.DataFrame({"geom": [f"POINT ({a:.5f} {b:.5f})" for a, b in zip(LON, LAT, strict=True)]}),
        "wkt",
        WGS84,
    ),
    "wkt_bng": (
        pd.DataFrame({"wkt": [f"POINT ({int(a)} {int(b)})" for a, b in BNG_XY]}),
        "wkt",
        BNG,
    ),
    "ewkt_srid": (
        pd.DataFrame({"g": [f"SRID=27700;POINT ({int(a)} {int(b)})" for a, b in BNG_XY]}),
        "wkt",
        BNG,
    ),
    "lat_lon_string": (
        pd.DataFrame({"location": [f"{b:.5f}, {a:.5f}" for a, b in zip(LON, LAT, strict=True)]}),
        "pair_string",
        WGS84,
    ),
    "grid_ref": (
        pd.DataFrame({"grid_ref": ["SE 2934 3312", "SE 3012 3401", "SE29343312"] * 100}),
        "gridref",
        BNG,
    ),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_formats_detected(fmt: str) -> None:
    frame, kind, crs = FORMATS[fmt]
    before = frame.copy()
    result = assess_geo(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert result.pairs, fmt
    assert result.pairs[0].kind == kind
    assert result.crs == crs
    assert result.n_points == len(frame)
    assert result.swapped == 0
    assert result.out_of_uk == 0
    assert not [p for p in result.problems if p.kind == "crs_missing"]
    assert result.points_bng is not None
    # all points land in Leeds (SE square) whatever the format
    assert np.nanmedian(result.points_bng[:, 0]) == pytest.approx(430_000, abs=10_000)


def test_not_coordinates() -> None:
    frame = pd.DataFrame(
        {"age": ["53", "54", "55"], "score": ["1.5", "-1.2", "0.3"], "id": ["1", "2", "3"]}
    )
    result = assess_geo(frame)
    assert not result.has_points
    assert result.precision_m is None


def test_ages_with_decimals_not_latitude() -> None:
    frame = pd.DataFrame({"age": ["53.5", "54.5"], "weight": ["-1.2", "0.5"]})
    assert not find_coordinate_columns(frame)


@pytest.mark.parametrize("n_swapped", [1, 7, 30])
def test_swapped_lat_lon_caught(n_swapped: int) -> None:
    lat, lon = _deg(LAT), _deg(LON)
    for i in range(n_swapped):
        lat[i], lon[i] = lon[i], lat[i]
    result = assess_geo(pd.DataFrame({"latitude": lat, "longitude": lon}))
    assert result.swapped == n_swapped
    assert result.out_of_uk == 0
    assert "coordinates_swapped" in {p.kind for p in result.problems}
    # corrected points stay in Leeds
    assert result.points_bng is not None
    assert np.all(result.points_bng[:, 1] > 400_000)


def test_all_swapped_columns() -> None:
    result = assess_geo(pd.DataFrame({"lat": _deg(LON), "lon": _deg(LAT)}))
    assert result.swapped == N


def test_out_of_uk_caught() -> None:
    lat, lon = _deg(LAT), _deg(LON)
    lat[:4] = ["48.85660"] * 4  # Paris
    lon[:4] = ["2.35220"] * 4
    result = assess_geo(pd.DataFrame({"lat": lat, "lon": lon}))
    assert result.out_of_uk == 4
    assert result.swapped == 0
    assert "coordinates_out_of_uk" in {p.kind for p in result.problems}


def test_ambiguous_xy_is_crs_missing() -> None:
    frame = pd.DataFrame({"x": ["12.5", "300.25", "15"], "y": ["40.5", "120.75", "99"]})
    result = assess_geo(frame)
    assert result.crs is None
    assert [p.kind for p in result.problems] == ["crs_missing"]


def test_geo_file_without_crs_is_problem_not_guess() -> None:
    frame = pd.DataFrame({"x": _m(BNG_XY[:, 0]), "y": _m(BNG_XY[:, 1])})
    result = assess_geo(frame, geo_file=True, crs_hint=None)
    assert result.crs is None
    assert "crs_missing" in {p.kind for p in result.problems}
    assert result.k_min is None
    assert assess_geo(frame, geo_file=True, crs_hint=BNG).problems == ()


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        ("53.80083", "-1.54912", 1.113),
        ("53.8008", "-1.5491", 11.1),
        ("53.801", "-1.549", 111.3),
        ("53.81", "-1.55", 1113.2),
        ("53.800830", "-1.549120", 1.113),  # trailing zeros do not add precision
    ],
)
def test_degree_precision(lat: str, lon: str, expected: float) -> None:
    frame = pd.DataFrame({"lat": [lat] * 5, "lon": [lon] * 5})
    assert assess_geo(frame).precision_m == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(
    ("e", "n", "expected"),
    [
        ("431234", "433457", 1),
        ("431230", "433450", 10),
        ("431200", "433400", 100),
        ("431000", "433000", 1000),
        ("431234.5", "433457.5", 0.1),
    ],
)
def test_bng_precision(e: str, n: str, expected: float) -> None:
    frame = pd.DataFrame({"easting": [e] * 5, "northing": [n] * 5})
    assert assess_geo(frame).precision_m == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("SE", 100_000),
        ("SE 2 3", 10_000),
        ("SE 29 33", 1000),
        ("SE 293 331", 100),
        ("SE 2934 3312", 10),
        ("SE2934533123", 1),
    ],
)
def test_gridref_precision(ref: str, expected: float) -> None:
    _, res = parse_gridrefs(pd.Series([ref]))
    assert res[0] == expected


def test_gridref_coordinates() -> None:
    xy, _ = parse_gridrefs(pd.Series(["SU 3915 1623", "TQ 30 80", "NZ 123 456"]))
    assert xy[0].tolist() == [439150, 116230]
    assert xy[1].tolist() == [530000, 180000]
    assert xy[2].tolist() == [412300, 545600]


def test_snapped_degrees_report_grid_precision() -> None:
    centres = np.floor(BNG_XY / 1000) * 1000 + 500
    ll = transform(centres, BNG, WGS84)
    frame = pd.DataFrame({"lat": _deg(ll[:, 1], 6), "lon": _deg(ll[:, 0], 6)})
    assert assess_geo(frame).precision_m == 1000


@pytest.mark.parametrize(
    ("columns", "values", "subject"),
    [
        (["incident_ref", "victim_home_lat", "lon"], None, "people"),
        (["client_id", "lat", "lon"], None, "people"),
        (["service_user", "lat", "lon"], None, "people"),
        (["asset_id", "lat", "lon"], None, "assets"),
        (["cctv_camera", "lat", "lon"], None, "assets"),
        (["charger_kw", "lat", "lon"], None, "assets"),
        (["ref", "lat", "lon"], None, "unknown"),
        (["type", "lat", "lon"], "street light", "assets"),
        (["type", "lat", "lon"], "domestic incident", "people"),
    ],
)
def test_subject(columns: list[str], values: str | None, subject: str) -> None:
    frame = pd.DataFrame(
        {columns[0]: [values or "A1"] * 3, columns[1]: ["53.8"] * 3, columns[2]: ["-1.5"] * 3}
    )
    assert assess_geo(frame).subject == subject


def test_spatial_k_anonymity_and_density() -> None:
    # 10 records at 100 m precision: 6 in one cell, 3 in another, 1 alone
    e = ["431200"] * 6 + ["431300"] * 3 + ["432000"]
    n = ["433400"] * 6 + ["433400"] * 3 + ["433000"]
    frame = pd.DataFrame({"easting": e, "northing": n})
    density = np.array([[431250.0, 433450.0]] * 20 + [[431350.0, 433450.0]] * 2)
    result = assess_geo(frame, k=5, density=density)
    assert result.cell_m == 100
    assert result.cells == 3
    assert result.k_min == 1
    assert result.share_cells_below_k == pytest.approx(2 / 3)
    assert result.density_min == 0
    assert result.share_density_below_k == pytest.approx(2 / 3)
    facts = result.facts()
    assert facts["precision_m"] == 100 and facts["subject"] == "unknown"


def test_infer_crs() -> None:
    assert infer_crs(np.column_stack([LON, LAT])) == WGS84
    assert infer_crs(BNG_XY) == BNG
    assert infer_crs(np.array([[1.0, 2.0], [3.0, 400.0]])) is None


def test_no_values_in_problems() -> None:
    lat, lon = _deg(LAT), _deg(LON)
    lat[0], lon[0] = "48.12345", "2.54321"
    result = assess_geo(pd.DataFrame({"lat": lat, "lon": lon}))
    assert all("48.1" not in p.message for p in result.problems)


# -------------------------------------------------------------------------------------------
# triage.io.geo
# -------------------------------------------------------------------------------------------


def _gdf(crs: int | None, geoms: list[object] | None = None):  # type: ignore[no-untyped-def]
    import geopandas as gpd

    pts = geoms if geoms is not None else list(shapely.points(BNG_XY[:20]))
    return gpd.GeoDataFrame(
        {"asset_id": [f"A{i}" for i in range(len(pts))], "watts": list(range(len(pts)))},
        geometry=pts,
        crs=crs,
    )


def test_gpkg_bng(tmp_path: Path) -> None:
    path = tmp_path / "lights.gpkg"
    _gdf(27700).to_file(path, driver="GPKG")
    ds, crs = load_geo(path)
    assert crs == BNG
    assert ds.format == "gpkg"
    assert {"asset_id", "watts", "easting", "northing"} <= set(ds.frame.columns)
    assert ds.frame["watts"].iloc[3] == "3"
    result = assess_geo(ds.frame, crs_hint=crs, geo_file=True)
    assert result.crs == BNG and result.problems == ()


def test_gpkg_other_crs_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "lights.gpkg"
    _gdf(27700).to_crs(3857).to_file(path, driver="GPKG")
    ds, crs = load_geo(path)
    assert crs == WGS84
    lat = ds.frame["latitude"].astype(float).to_numpy()
    assert np.allclose(lat, LAT[:20], atol=1e-5)


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_zipped_shapefile_without_crs(tmp_path: Path) -> None:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _gdf(None).to_file(shp_dir / "cams.shp")
    zpath = tmp_path / "cams.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f"cams/{f.name}")
    ds, crs = load_geo(zpath)
    assert crs is None
    assert ds.format == "shapefile"
    assert {"x", "y"} <= set(ds.frame.columns)
    result = assess_geo(ds.frame, crs_hint=crs, geo_file=True, name=ds.name)
    assert "crs_missing" in {p.kind for p in result.problems}


def test_geojson_polygons(tmp_path: Path) -> None:
    path = tmp_path / "parks.geojson"
    polys = [shapely.box(x, y, x + 1e-3, y + 1e-3) for x, y in zip(LON[:5], LAT[:5], strict=True)]
    _gdf(4326, polys).to_file(path, driver="GeoJSON")
    ds, crs = load_geo(path)
    assert crs == WGS84
    assert ds.frame["geometry_wkt"].str.startswith("POLYGON").all()
    assert assess_geo(ds.frame, crs_hint=crs).n_points == 5


def test_csv_with_wkt(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    rows = ["id,shape"] + [
        f"{i},SRID=27700;POINT ({a:.0f} {b:.0f})" for i, (a, b) in enumerate(BNG_XY[:10])
    ]
    rows.append('10,"LINESTRING (431000 433000, 431100 433100)"')
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path, Limits())
    out, crs = add_wkt_points(ds)
    assert crs == BNG
    assert out.frame["easting"].notna().all()
    assert "easting" not in ds.frame.columns  # input untouched


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.gpkg", None, "missing.gpkg: file not found"),
        ("empty.gpkg", b"", "empty.gpkg: file is empty"),
        ("bad.gpkg", b"not a geopackage at all", "bad.gpkg: cannot read"),
        ("bad.zip", b"PK not really", "bad.zip: is not a valid zip"),
        ("x.kml", b"<kml/>", "x.kml: unsupported"),
    ],
)
def test_geo_io_errors(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataInputError) as err:
        load_geo(path)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_person_related_turns_unknown_into_people() -> None:
    frame = pd.DataFrame({"ref": ["A1"] * 3, "lat": ["53.8"] * 3, "lon": ["-1.5"] * 3})
    assert assess_geo(frame).subject == "unknown"
    assert assess_geo(frame, person_related=True).subject == "people"
    assets = pd.DataFrame({"asset_id": ["A1"] * 3, "lat": ["53.8"] * 3, "lon": ["-1.5"] * 3})
    assert assess_geo(assets, person_related=True).subject == "assets"
