"""Sensitive-site registers and proximity of data points to their buffers.

A register is a set of points (British National Grid metres) with a category each
(``refuge``, ``cni_substation``, ``school``...). Every category has a buffer distance in
metres (:data:`DEFAULT_BUFFERS_M`, overridable). :func:`proximity` finds, for each data point,
whether it lies within the buffer of any site and which category/distance is nearest, using
one vectorised shapely 2 ``STRtree.query(..., predicate="dwithin", distance=...)`` call (no
per-point loop).

Site names are never kept: a register holds categories and coordinates only, so findings can
only ever say "3 records within 250 m of a cni_substation".
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely  # type: ignore[import-untyped, unused-ignore]

from triage.errors import DataInputError

log = logging.getLogger(__name__)

#: Default buffer (metres) per category; ``other`` applies to unknown categories.
DEFAULT_BUFFERS_M: dict[str, float] = {
    "refuge": 500.0,
    "safe_house": 500.0,
    "military": 1000.0,
    "cni_substation": 250.0,
    "energy": 250.0,
    "water_treatment": 500.0,
    "telecoms": 200.0,
    "data_centre": 250.0,
    "police": 200.0,
    "prison": 500.0,
    "hospital": 200.0,
    "school": 200.0,
    "place_of_worship": 100.0,
    "other": 100.0,
}

_CATEGORY_KEYS = ("category", "site_category", "type", "site_type", "class", "kind")


def _norm_category(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(value).strip().lower()).strip("_") or "other"


@dataclass(frozen=True)
class SiteRegister:
    """Sites as BNG points with a category; ``buffers_m`` maps category -> metres."""

    xy: np.ndarray
    categories: np.ndarray
    buffers_m: dict[str, float]
    source: str = ""

    def __len__(self) -> int:
        return len(self.xy)

    def buffer_of(self, category: str) -> float:
        """Buffer distance of a category (``other`` when not listed)."""
        return float(self.buffers_m.get(category, self.buffers_m.get("other", 100.0)))

    @property
    def radii(self) -> np.ndarray:
        """Per-site buffer distance in metres."""
        cats, inv = np.unique(self.categories.astype(str), return_inverse=True)
        return np.array([self.buffer_of(c) for c in cats], dtype=float)[inv]

    def buffers(self) -> list[tuple[float, float, float, str]]:
        """``(x, y, radius_m, category)`` per site, e.g. for
        :func:`triage.report.map_svg.render_map`."""
        return [
            (float(x), float(y), float(r), str(c))
            for (x, y), r, c in zip(self.xy, self.radii, self.categories, strict=True)
        ]


def make_register(
    xy_bng: np.ndarray,
    categories: np.ndarray | list[str],
    buffers: Mapping[str, float] | None = None,
    source: str = "",
) -> SiteRegister:
    """A register from BNG points and categories; ``buffers`` override the defaults."""
    xy = np.asarray(xy_bng, dtype=float).reshape(-1, 2)
    cats = np.array([_norm_category(c) for c in categories], dtype=object)
    if len(cats) != len(xy):
        raise ValueError("one category per site needed")
    ok = np.isfinite(xy).all(axis=1)
    table = dict(DEFAULT_BUFFERS_M)
    for key, value in (buffers or {}).items():
        table[_norm_category(key)] = float(value)
    return SiteRegister(xy=xy[ok].copy(), categories=cats[ok], buffers_m=table, source=source)


def _category_column(columns: list[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for key in _CATEGORY_KEYS:
        if key in lower:
            return lower[key]
    return None


def _xy_from_frame(frame: pd.DataFrame, path: Path) -> np.ndarray:
    from triage.classifiers.geo import BNG, WGS84, find_coordinate_columns, read_points

    pairs = find_coordinate_columns(frame)
    if not pairs:
        raise DataInputError(f"{path.name}: no coordinate columns (lon/lat or easting/northing)")
    pts = read_points(frame, pairs[0])
    if pts.crs not in (WGS84, BNG) or pts.bng is None:
        raise DataInputError(f"{path.name}: coordinate CRS unknown (use lon/lat or BNG)")
    return pts.bng


def load_register(path: Path | str, buffers: Mapping[str, float] | None = None) -> SiteRegister:
    """Load a register from GeoJSON, GeoPackage (pyogrio) or CSV.

    CSV needs ``longitude``/``latitude`` (or ``lon``/``lat``) or ``easting``/``northing``
    columns and a ``category`` column. GeoJSON is WGS84 unless its ``crs`` says EPSG:27700;
    GeoPackage layers are reprojected from their declared CRS (a missing CRS is an error).
    Polygon sites use a point on their surface. Other properties (names) are discarded.

    Raises
    ------
    DataInputError
        Missing file, no category column, unknown CRS or unreadable content.
    """
    p = Path(path)
    if not p.is_file():
        raise DataInputError(f"{p.name}: sensitive-site register not found")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
            cat_col = _category_column(list(frame.columns))
            if cat_col is None:
                raise DataInputError(f"{p.name}: register needs a category column")
            xy = _xy_from_frame(frame, p)
            return make_register(xy, frame[cat_col].fillna("other").to_numpy(), buffers, p.name)
        if suffix in (".geojson", ".json"):
            return _load_geojson(p, buffers)
        if suffix in (".gpkg", ".shp", ".zip"):
            return _load_ogr(p, buffers)
    except DataInputError:
        raise
    except Exception as exc:  # library errors carry paths/values: keep the type only
        raise DataInputError(
            f"{p.name}: cannot read sensitive-site register ({type(exc).__name__})"
        ) from None
    raise DataInputError(f"{p.name}: unsupported register type {suffix or '(none)'}")


def _load_geojson(p: Path, buffers: Mapping[str, float] | None) -> SiteRegister:
    doc = json.loads(p.read_text(encoding="utf-8"))
    return _register_from_geojson_doc(doc, p, buffers)


def _register_from_geojson_doc(
    doc: object, p: Path, buffers: Mapping[str, float] | None
) -> SiteRegister:
    from triage.classifiers.geo import BNG, WGS84, to_bng

    if not isinstance(doc, dict):
        raise DataInputError(f"{p.name}: not a GeoJSON FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise DataInputError(f"{p.name}: not a GeoJSON FeatureCollection")
    crs = WGS84
    crs_name = str(((doc.get("crs") or {}).get("properties") or {}).get("name", ""))
    if "27700" in crs_name:
        crs = BNG
    geoms = shapely.from_geojson([json.dumps(f.get("geometry")) for f in feats])
    pts = shapely.point_on_surface(geoms)
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    cats = []
    for f in feats:
        props = f.get("properties") or {}
        key = _category_column(list(props))
        if key is None:
            raise DataInputError(f"{p.name}: a feature has no category property")
        cats.append(props[key])
    return make_register(to_bng(xy, crs), cats, buffers, p.name)


def _load_ogr(
    p: Path, buffers: Mapping[str, float] | None, require_category: bool = True
) -> SiteRegister:
    from triage.io.geo import read_ogr_frame

    gdf = read_ogr_frame(p)
    if gdf.crs is None:
        raise DataInputError(f"{p.name}: register has no CRS")
    gdf = gdf.to_crs(27700)
    cat_col = _category_column([str(c) for c in gdf.columns])
    if cat_col is None and require_category:
        raise DataInputError(f"{p.name}: register needs a category column")
    pts = shapely.point_on_surface(gdf.geometry.to_numpy())
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    cats = gdf[cat_col].fillna("other").to_numpy() if cat_col else ["other"] * len(xy)
    return make_register(xy, cats, buffers, p.name)


def load_points(path: Path | str) -> np.ndarray:
    """BNG points of a CSV/GeoJSON/GeoPackage without categories (e.g. an address layer).

    Used as the density layer of ``classifiers.geo.assess_geo`` and ``donut_geomask``.
    """
    p = Path(path)
    if not p.is_file():
        raise DataInputError(f"{p.name}: point layer not found")
    try:
        if p.suffix.lower() == ".csv":
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
            return _xy_from_frame(frame, p)
        if p.suffix.lower() in (".geojson", ".json"):
            doc = json.loads(p.read_text(encoding="utf-8"))
            for f in doc.get("features", []):
                f.setdefault("properties", {})
                f["properties"] = {"category": "other"}
            tmp = _register_from_geojson_doc(doc, p, None)
            return tmp.xy
        return _load_ogr(p, None, require_category=False).xy
    except DataInputError:
        raise
    except Exception as exc:
        raise DataInputError(f"{p.name}: cannot read point layer ({type(exc).__name__})") from None


@dataclass(frozen=True)
class Proximity:
    """Which records lie within a sensitive buffer.

    Attributes
    ----------
    within
        ``(n,)`` bool: the record is within the buffer of at least one site.
    category
        ``(n,)`` object: category of the nearest site whose buffer holds the record, else None.
    distance_m
        ``(n,)`` float: distance to that site, NaN when none.
    counts
        Records within a buffer, per category (a record may count in several categories).
    min_distance_m
        Per category, the smallest distance of any record to a site of that category within
        its buffer.
    """

    within: np.ndarray
    category: np.ndarray
    distance_m: np.ndarray
    counts: dict[str, int]
    min_distance_m: dict[str, float]

    @property
    def records_within(self) -> int:
        """Records inside any buffer."""
        return int(self.within.sum())

    def facts(self) -> dict[str, object]:
        """CEL facts: ``{within: int, by_category: {cat: count}, min_distance_m: {cat: m}}``."""
        return {
            "within": self.records_within,
            "by_category": dict(self.counts),
            "min_distance_m": dict(self.min_distance_m),
        }


def proximity(points_bng: np.ndarray, register: SiteRegister) -> Proximity:
    """Records within each category's buffer, vectorised with one STRtree ``dwithin`` query.

    Parameters
    ----------
    points_bng
        ``(n, 2)`` BNG metres; NaN rows are never within a buffer.
    register
        The sites.
    """
    pts = np.asarray(points_bng, dtype=float).reshape(-1, 2)
    n = len(pts)
    within = np.zeros(n, dtype=bool)
    category = np.full(n, None, dtype=object)
    distance = np.full(n, np.nan)
    if n == 0 or len(register) == 0:
        return Proximity(within, category, distance, {}, {})
    ok = np.flatnonzero(np.isfinite(pts).all(axis=1))
    radii = register.radii
    # One query, reversed: a tree over the data points, queried with every site and its own
    # buffer distance (shapely 2 takes a distance per query geometry), so only true pairs
    # come back. Far faster than querying 1M points against the sites with the largest buffer.
    tree = shapely.STRtree(shapely.points(pts[ok]))
    pairs = tree.query(shapely.points(register.xy), predicate="dwithin", distance=radii)
    site = pairs[0]
    rec = ok[pairs[1]]
    d = np.hypot(pts[rec, 0] - register.xy[site, 0], pts[rec, 1] - register.xy[site, 1])
    keep = d <= radii[site]
    rec, site, d = rec[keep], site[keep], d[keep]
    cats = register.categories[site]
    counts: dict[str, int] = {}
    min_d: dict[str, float] = {}
    for c in np.unique(cats.astype(str)):
        m = cats == c
        counts[str(c)] = len(np.unique(rec[m]))
        min_d[str(c)] = float(d[m].min())
    if len(rec):
        order = np.lexsort((d, rec))
        rec_o = rec[order]
        first = np.concatenate([[True], rec_o[1:] != rec_o[:-1]])
        idx = order[first]
        within[rec[idx]] = True
        category[rec[idx]] = cats[idx]
        distance[rec[idx]] = d[idx]
    return Proximity(within, category, distance, counts, min_d)


def proximity_naive(points_bng: np.ndarray, register: SiteRegister) -> np.ndarray:
    """Per-point Python loop over shapely distances (reference for tests and the bench).

    Returns ``(n,)`` bool: within the buffer of any site.
    """
    pts = np.asarray(points_bng, dtype=float).reshape(-1, 2)
    sites = shapely.points(register.xy)
    radii = register.radii
    out = np.zeros(len(pts), dtype=bool)
    for i, (x, y) in enumerate(pts):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        dist = shapely.distance(shapely.Point(x, y), sites)
        out[i] = bool((dist <= radii).any())
    return out
