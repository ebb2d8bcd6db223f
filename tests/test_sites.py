"""Sensitive-site registers and proximity (vectorised STRtree vs brute force)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from triage.classifiers.geo import BNG, WGS84, transform
from triage.errors import DataInputError
from triage.sites import (
    DEFAULT_BUFFERS_M,
    load_points,
    load_register,
    make_register,
    proximity,
    proximity_naive,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sites_example.geojson"


def _brute(points: np.ndarray, reg) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:  # type: ignore[no-untyped-def]
    d = np.hypot(points[:, None, 0] - reg.xy[None, :, 0], points[:, None, 1] - reg.xy[None, :, 1])
    inside = d <= reg.radii[None, :]
    within = inside.any(axis=1)
    dist = np.where(inside, d, np.inf).min(axis=1)
    counts = {
        str(c): int(inside[:, reg.categories == c].any(axis=1).sum())
        for c in np.unique(reg.categories.astype(str))
        if inside[:, reg.categories == c].any()
    }
    return within, dist, counts


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("spread", [300.0, 3000.0])
def test_proximity_matches_brute_force(seed: int, spread: float) -> None:
    rng = np.random.default_rng(seed)
    cats = rng.choice(["refuge", "school", "cni_substation", "military", "unknown kind"], 40)
    reg = make_register(rng.uniform(0, 5000, (40, 2)) + 430_000, cats)
    pts = rng.uniform(-spread, 5000 + spread, (2000, 2)) + 430_000
    pts[::97] = np.nan
    prox = proximity(pts, reg)
    within, dist, counts = _brute(np.nan_to_num(pts, nan=-1e9), reg)
    assert np.array_equal(prox.within, within)
    assert np.allclose(prox.distance_m[within], dist[within])
    assert np.isnan(prox.distance_m[~within]).all()
    assert prox.counts == counts
    assert np.array_equal(proximity_naive(pts, reg), within)
    # the reported category is that of the nearest in-buffer site
    assert all(c is None for c in prox.category[~within])


def test_unknown_category_uses_other_buffer() -> None:
    reg = make_register(np.array([[0.0, 0.0]]), ["Unknown Kind"])
    assert reg.categories[0] == "unknown_kind"
    assert reg.radii[0] == DEFAULT_BUFFERS_M["other"]


def test_buffer_override() -> None:
    pts = np.array([[0.0, 300.0], [0.0, 600.0]])
    reg = make_register(np.array([[0.0, 0.0]]), ["refuge"])
    assert proximity(pts, reg).records_within == 1
    wide = make_register(np.array([[0.0, 0.0]]), ["refuge"], {"refuge": 1000})
    prox = proximity(pts, wide)
    assert prox.records_within == 2
    assert prox.facts() == {
        "within": 2,
        "by_category": {"refuge": 2},
        "min_distance_m": {"refuge": 300.0},
    }


def test_empty_inputs() -> None:
    reg = make_register(np.empty((0, 2)), [])
    assert proximity(np.zeros((3, 2)), reg).records_within == 0
    reg = make_register(np.array([[0.0, 0.0]]), ["school"])
    assert proximity(np.empty((0, 2)), reg).counts == {}


def test_example_register_is_synthetic_and_loads() -> None:
    doc = json.loads(EXAMPLE.read_text())
    assert 40 <= len(doc["features"]) <= 60
    assert all(f["properties"]["name"].startswith("Fictional ") for f in doc["features"])
    assert all(f["properties"]["synthetic"] is True for f in doc["features"])
    reg = load_register(EXAMPLE)
    assert len(reg) == len(doc["features"])
    assert {"refuge", "cni_substation", "school", "police"} <= set(reg.categories)
    # Leeds: around SE 30 33
    assert np.median(reg.xy[:, 0]) == pytest.approx(430_000, abs=10_000)
    assert np.median(reg.xy[:, 1]) == pytest.approx(433_500, abs=10_000)


def test_no_names_in_register_or_findings() -> None:
    reg = load_register(EXAMPLE)
    prox = proximity(reg.xy, reg)
    assert "Fictional" not in repr(reg) + repr(prox.facts()) + repr(reg.buffers())


def test_csv_and_gpkg_registers_agree(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    reg = load_register(EXAMPLE)
    ll = transform(reg.xy, BNG, WGS84)
    csv = tmp_path / "sites.csv"
    lines = ["name,category,longitude,latitude"] + [
        f"Site {i},{c},{x:.7f},{y:.7f}"
        for i, (c, (x, y)) in enumerate(zip(reg.categories, ll, strict=True))
    ]
    csv.write_text("\n".join(lines) + "\n")
    from_csv = load_register(csv)
    assert np.allclose(from_csv.xy, reg.xy, atol=0.1)
    en = tmp_path / "sites_bng.csv"
    en.write_text(
        "category,easting,northing\n"
        + "\n".join(
            f"{c},{x:.0f},{y:.0f}" for c, (x, y) in zip(reg.categories, reg.xy, strict=True)
        )
    )
    assert np.allclose(load_register(en).xy, reg.xy, atol=1)
    gpkg = tmp_path / "sites.gpkg"
    gpd.GeoDataFrame(
        {"category": reg.categories.astype(str)}, geometry=list(shapely.points(reg.xy)), crs=27700
    ).to_file(gpkg, driver="GPKG")
    from_gpkg = load_register(gpkg)
    assert np.allclose(from_gpkg.xy, reg.xy)
    assert list(from_gpkg.categories) == list(reg.categories)
    assert np.allclose(load_points(gpkg), reg.xy)
    assert np.allclose(load_points(csv), reg.xy, atol=0.1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("none.geojson", None, "none.geojson: sensitive-site register not found"),
        ("nocat.csv", "longitude,latitude\n-1.5,53.8\n", "nocat.csv: register needs a category"),
        ("nocoord.csv", "category,b\nschool,2\n", "nocoord.csv: no coordinate columns"),
        ("bad.geojson", "{not json", "bad.geojson: cannot read"),
        ("sites.txt", "x", "sites.txt: unsupported register type"),
    ],
)
def test_register_errors(tmp_path: Path, name: str, content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataInputError) as err:
        load_register(path)
    assert str(err.value).startswith(message)
