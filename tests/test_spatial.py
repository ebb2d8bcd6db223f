"""Spatial transforms (redaction.spatial) and the inline SVG map (triage.report.map_svg)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.classifiers.geo import BNG, WGS84, assess_geo, parse_gridrefs, to_bng, transform
from triage.context import RunContext
from triage.errors import ConfigError, PluginExecutionError
from triage.redaction.base import TransformContext
from triage.redaction.registry import get_transform, transform_ids
from triage.redaction.spatial import gridref, record_uniforms
from triage.report.map_svg import render_map, thin
from triage.sites import make_register

SPATIAL = ("snap_grid", "reduce_precision", "aggregate_h3", "donut_geomask", "drop_near_sites")


def _ctx(seed: int = 11) -> TransformContext:
    return TransformContext(run=RunContext(seed=seed))


def _points(n: int, seed: int = 0, spread: float = 2000.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([430_000.0, 433_000.0]) + rng.uniform(0, spread, (n, 2))


def _frame(bng: np.ndarray, crs: int) -> pd.DataFrame:
    if crs == BNG:
        return pd.DataFrame(
            {
                "id": [f"R{i}" for i in range(len(bng))],
                "easting": [f"{v:.0f}" for v in bng[:, 0]],
                "northing": [f"{v:.0f}" for v in bng[:, 1]],
            }
        )
    ll = transform(bng, BNG, WGS84)
    return pd.DataFrame(
        {
            "id": [f"R{i}" for i in range(len(bng))],
            "latitude": [f"{v:.6f}" for v in ll[:, 1]],
            "longitude": [f"{v:.6f}" for v in ll[:, 0]],
        }
    )


def _bng_of(frame: pd.DataFrame, crs: int) -> np.ndarray:
    if crs == BNG:
        xy = frame[["easting", "northing"]].astype(float).to_numpy()
        return xy
    ll = frame[["longitude", "latitude"]].astype(float).to_numpy()
    return to_bng(ll, WGS84)


def test_registered() -> None:
    assert set(SPATIAL) <= set(transform_ids())


# -------------------------------------------------------------------------------------------
# donut geomasking: properties
# -------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=120),
    point_seed=st.integers(min_value=0, max_value=10_000),
    run_seed=st.integers(min_value=0, max_value=2**63),
    min_m=st.floats(min_value=0, max_value=300),
    width=st.floats(min_value=2, max_value=1500),
    k=st.one_of(st.none(), st.integers(min_value=1, max_value=8)),
    crs=st.sampled_from([BNG, WGS84]),
    on_k_unmet=st.sampled_from(["suppress", "cap"]),
)
def test_donut_properties(
    n: int,
    point_seed: int,
    run_seed: int,
    min_m: float,
    width: float,
    k: int | None,
    crs: int,
    on_k_unmet: str,
) -> None:
    frame = _frame(_points(n, point_seed), crs)
    before = frame.copy()
    params = {"min_m": min_m, "max_m": min_m + width, "k": k, "on_k_unmet": on_k_unmet}
    cols = list(frame.columns[1:])
    t = get_transform("donut_geomask")
    res = t.run(frame, cols, params, _ctx(run_seed))
    pd.testing.assert_frame_equal(frame, before)  # input not mutated
    again = t.run(frame, cols, params, _ctx(run_seed))
    pd.testing.assert_frame_equal(res.frame, again.frame)  # seeded run reproducible
    orig = _bng_of(frame, crs)
    masked_ok = res.frame[cols[0]].notna().to_numpy()
    moved = _bng_of(res.frame[masked_ok], crs)
    d = np.hypot(*(moved - orig[masked_ok]).T)
    assert np.all(d >= min_m) and np.all(d <= min_m + width)  # within [min, max]
    if k is not None:
        others = np.hypot(
            orig[masked_ok, None, 0] - orig[None, :, 0], orig[masked_ok, None, 1] - orig[None, :, 1]
        )
        inside = (others <= d[:, None]).sum(axis=1) - 1  # minus itself
        met = inside >= k
        if on_k_unmet == "suppress":
            assert met.all()  # the k target is met for every released point
        assert res.frame.index.equals(frame.index)


def test_donut_k_with_density_layer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    addresses = _points(400, 5, spread=3000)
    path = tmp_path / "addresses.csv"
    path.write_text(
        "easting,northing\n" + "\n".join(f"{a:.1f},{b:.1f}" for a, b in addresses) + "\n"
    )
    frame = _frame(_points(30, 9), BNG)
    res = get_transform("donut_geomask").run(
        frame,
        ["easting", "northing"],
        {"min_m": 10, "max_m": 800, "k": 10, "density_path": str(path)},
        _ctx(),
    )
    orig = _bng_of(frame, BNG)
    ok = res.frame["easting"].notna().to_numpy()
    assert ok.sum() > 0
    d = np.hypot(*(_bng_of(res.frame[ok], BNG) - orig[ok]).T)
    within = (
        np.hypot(
            orig[ok, None, 0] - addresses[None, :, 0], orig[ok, None, 1] - addresses[None, :, 1]
        )
        <= d[:, None]
    )
    assert (within.sum(axis=1) >= 10).all()


def test_donut_per_record_draws_independent_of_other_rows() -> None:
    u = record_uniforms(5, 10, 0)
    assert np.array_equal(u[:4], record_uniforms(5, 4, 0))
    assert not np.array_equal(u, record_uniforms(6, 10, 0))
    assert ((u >= 0) & (u < 1)).all()


def test_donut_params_validated() -> None:
    with pytest.raises(ConfigError):
        get_transform("donut_geomask").parse_params({"min_m": 100, "max_m": 50})
    with pytest.raises(ConfigError):
        get_transform("donut_geomask").parse_params({"radius": 5})


# -------------------------------------------------------------------------------------------
# other transforms
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("crs", [BNG, WGS84])
@pytest.mark.parametrize("cell", [100, 1000])
def test_snap_grid(crs: int, cell: int) -> None:
    frame = _frame(_points(200), crs)
    before = frame.copy()
    res = get_transform("snap_grid").run(frame, list(frame.columns[::-1]), {"cell_m": cell}, _ctx())
    pd.testing.assert_frame_equal(frame, before)
    out = _bng_of(res.frame, crs)
    r = np.mod(out, cell)
    assert np.allclose(r, cell / 2, atol=0.5)
    assert np.all(np.abs(out - _bng_of(frame, crs)) <= cell / 2 + 1)
    assert assess_geo(res.frame).precision_m == cell  # re-check sees the coarser grid


def test_snap_grid_gridref_and_wkt() -> None:
    frame = pd.DataFrame(
        {
            "ref": ["SE 2934 3312", "SE 2951 3388"],
            "geom": ["POINT (429340 433120)", "POINT (429510 433880)"],
        }
    )
    res = get_transform("snap_grid").run(frame, ["ref", "geom"], {"cell_m": 1000}, _ctx())
    assert list(res.frame["ref"]) == ["SE 29 33", "SE 29 33"]
    assert list(res.frame["geom"]) == ["POINT (429500 433500)", "POINT (429500 433500)"]


@pytest.mark.parametrize(
    ("crs", "params", "expected_m"), [(WGS84, {"decimals": 3}, 111.3), (BNG, {"metres": 100}, 100)]
)
def test_reduce_precision(crs: int, params: dict[str, int], expected_m: float) -> None:
    frame = _frame(_points(300), crs)
    res = get_transform("reduce_precision").run(frame, list(frame.columns[1:]), params, _ctx())
    assert assess_geo(res.frame).precision_m == pytest.approx(expected_m, rel=0.01)
    assert res.cells_changed > 0


def test_reduce_precision_missing_kept() -> None:
    frame = pd.DataFrame({"lat": ["53.812345", None], "lon": ["-1.512345", None]})
    res = get_transform("reduce_precision").run(frame, ["lat", "lon"], {"decimals": 2}, _ctx())
    assert res.frame["lat"].tolist()[0] == "53.81"
    assert pd.isna(res.frame["lat"].iloc[1])


@pytest.mark.parametrize("suppress", ["records", "cell"])
def test_aggregate_h3_per_record(suppress: str) -> None:
    pts = np.vstack([_points(50, spread=50), _points(2, 3) + 20_000])
    frame = _frame(pts, WGS84)
    res = get_transform("aggregate_h3").run(
        frame, ["latitude", "longitude"], {"resolution": 8, "k": 5, "suppress": suppress}, _ctx()
    )
    assert "latitude" not in res.frame.columns and "h3_cell" in res.frame.columns
    counts = res.frame["h3_cell"].value_counts()
    assert (counts >= 5).all()
    if suppress == "records":
        assert res.rows_removed == 2
    else:
        assert res.frame["h3_cell"].isna().sum() == 2


def test_aggregate_h3_counts() -> None:
    frame = _frame(np.vstack([_points(50, spread=50), _points(2, 3) + 20_000]), BNG)
    res = get_transform("aggregate_h3").run(
        frame, ["easting", "northing"], {"output": "counts", "k": 5}, _ctx()
    )
    assert list(res.frame.columns) == ["h3_cell", "records"]
    assert res.frame["records"].astype(int).sum() == 50


@pytest.mark.parametrize("action", ["drop", "coarsen"])
def test_drop_near_sites(action: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {"easting": ["430000", "430100", "435000"], "northing": ["433000", "433000", "433000"]}
    )
    path = tmp_path / "s.csv"
    path.write_text("category,easting,northing\nrefuge,430050,433000\n")
    res = get_transform("drop_near_sites").run(
        frame, ["easting", "northing"], {"sites_path": str(path), "action": action}, _ctx()
    )
    if action == "drop":
        assert res.rows_removed == 2
        assert res.frame["easting"].tolist() == ["435000"]
    else:
        assert res.frame["easting"].tolist() == ["430500", "430500", "435000"]
    wide = get_transform("drop_near_sites").run(
        frame,
        ["easting", "northing"],
        {"sites_path": str(path), "categories": ["school"]},
        _ctx(),
    )
    assert wide.rows_removed == 0


def test_drop_near_sites_needs_register() -> None:
    frame = pd.DataFrame({"easting": ["430000"], "northing": ["433000"]})
    with pytest.raises(PluginExecutionError):
        get_transform("drop_near_sites").run(frame, ["easting", "northing"], {}, _ctx())


def test_unknown_crs_refused() -> None:
    frame = pd.DataFrame({"x": ["12.5", "300.25"], "y": ["40.5", "120.75"]})
    with pytest.raises(PluginExecutionError, match="CRS"):
        get_transform("snap_grid").run(frame, ["x", "y"], {}, _ctx())


def test_gridref_roundtrip() -> None:
    pts = _points(50, spread=200_000)
    refs = gridref(pts, 1)
    xy, res = parse_gridrefs(pd.Series(refs))
    assert np.allclose(xy, np.floor(pts))
    assert (res == 1).all()


# -------------------------------------------------------------------------------------------
# map
# -------------------------------------------------------------------------------------------


def test_render_map_valid_svg() -> None:
    before = _points(120)
    after = _points(80, 1)
    reg = make_register(
        np.array([[430_500.0, 433_500.0], [431_000.0, 434_000.0], [600_000.0, 100_000.0]]),
        ["refuge", "school", "military"],
    )
    svg = render_map(before, after, reg.buffers(), width=640)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    circles = root.iter(f"{ns}circle")
    classes = [c.get("class") for c in circles]
    assert classes.count("pt-before") == 120
    assert classes.count("pt-after") == 80
    assert classes.count("buffer") == 2  # the far-away site is off the map
    assert root.find(f".//{ns}g[@class='scale-bar']") is not None
    assert root.find(f".//{ns}g[@class='legend']") is not None
    assert "<script" not in svg and "http://" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "refuge (1)" in svg


def test_render_map_thins_deterministically() -> None:
    many = _points(20_000)
    svg = render_map(many, None, max_points=5_000)
    assert svg.count('class="pt-before"') == 5_000
    assert svg == render_map(many, None, max_points=5_000)
    assert len(thin(many, 10)) == 10
    ET.fromstring(render_map(np.empty((0, 2))))
