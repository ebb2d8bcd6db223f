"""Spatial transforms: snap to a grid, reduce precision, H3 aggregation, donut geomasking,
dropping or coarsening points near sensitive sites.

Every transform finds the coordinate columns among the ``columns`` it is given (lon/lat,
easting/northing, x/y pairs in any order, point WKT, ``"lat, lon"`` strings, OS grid refs)
with :func:`triage.classifiers.geo.find_coordinate_columns`, works in British National Grid
metres and writes the result back in the input's CRS and format. The CRS comes from
``Params.crs`` or the values; when neither gives WGS84 or BNG the transform refuses
(:class:`PluginExecutionError`) rather than guess. Inputs are never changed; results are
deterministic (donut draws are seeded per record from ``tctx.run.seed`` and the row position).
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from triage.classifiers.geo import (
    BNG,
    WGS84,
    CoordinateColumns,
    find_coordinate_columns,
    read_points,
    transform,
)
from triage.errors import PluginExecutionError
from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    changed_cells,
    series_like,
)

log = logging.getLogger(__name__)

_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def locate(
    frame: pd.DataFrame, columns: list[str], crs: int | None, transform_id: str
) -> list[CoordinateColumns]:
    """Coordinate columns among ``columns`` with a usable CRS (4326 or 27700)."""
    cols = [c for c in dict.fromkeys(columns) if c in frame.columns]
    found = find_coordinate_columns(frame[cols], crs_hint=crs) if cols else []
    if not found:
        raise PluginExecutionError(f"{transform_id}: no coordinate columns among {cols}")
    for cc in found:
        if cc.crs not in (WGS84, BNG):
            raise PluginExecutionError(
                f"{transform_id}: CRS of {', '.join(cc.columns)} is unknown; set params.crs "
                "(4326 or 27700)"
            )
    return found


def _num(values: np.ndarray, decimals: int) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    ok = np.isfinite(values)
    if decimals <= 0:
        out[ok] = [str(int(np.rint(v))) for v in values[ok]]
    else:
        out[ok] = [f"{v:.{decimals}f}" for v in values[ok]]
    return out


def gridref(bng: np.ndarray, resolution_m: float) -> np.ndarray:
    """OS grid references (``"SU 391 162"``) of BNG points at a resolution (10 km .. 1 m)."""
    digits = int(np.clip(5 - round(math.log10(max(resolution_m, 1.0))), 0, 5))
    out = np.full(len(bng), None, dtype=object)
    for i, (e, n) in enumerate(bng):
        if not (np.isfinite(e) and np.isfinite(n)) or not (0 <= e < 700_000 and 0 <= n < 1_300_000):
            continue
        e100, n100 = int(e // 100_000), int(n // 100_000)
        l1 = (19 - n100) // 5 * 5 + (e100 + 10) // 5
        l2 = (19 - n100) * 5 % 25 + e100 % 5
        letters = _LETTERS[l1] + _LETTERS[l2]
        if digits == 0:
            out[i] = letters
            continue
        scale = 10 ** (5 - digits)
        de = int(e % 100_000) // scale
        dn = int(n % 100_000) // scale
        out[i] = f"{letters} {de:0{digits}d} {dn:0{digits}d}"
    return out


def write_points(
    frame: pd.DataFrame,
    cc: CoordinateColumns,
    xy: np.ndarray,
    decimals: int,
    keep_missing: np.ndarray,
    grid_resolution_m: float = 1.0,
) -> dict[str, pd.Series]:
    """New column series for ``cc`` from native ``xy`` (NaN rows written as missing).

    ``keep_missing`` marks rows whose input had no point: they stay as they were.
    """
    out: dict[str, pd.Series] = {}
    if cc.kind == "gridref":
        vals = gridref(xy, grid_resolution_m)
    else:
        xs, ys = _num(xy[:, 0], decimals), _num(xy[:, 1], decimals)
        if cc.y is not None:
            for col, vals_ in ((cc.x, xs), (cc.y, ys)):
                v = vals_.copy()
                orig = frame[col].to_numpy(dtype=object)
                v[keep_missing] = orig[keep_missing]
                out[col] = series_like(v, frame[col])
            return out
        vals = np.full(len(xy), None, dtype=object)
        ok = np.array([a is not None and b is not None for a, b in zip(xs, ys, strict=True)])
        if cc.kind == "wkt":
            vals[ok] = [f"POINT ({a} {b})" for a, b in zip(xs[ok], ys[ok], strict=True)]
        elif cc.latlon_order:
            vals[ok] = [f"{b}, {a}" for a, b in zip(xs[ok], ys[ok], strict=True)]
        else:
            vals[ok] = [f"{a}, {b}" for a, b in zip(xs[ok], ys[ok], strict=True)]
    orig = frame[cc.x].to_numpy(dtype=object)
    vals[keep_missing] = orig[keep_missing]
    out[cc.x] = series_like(vals, frame[cc.x])
    return out


def _snap(bng: np.ndarray, cell: float) -> np.ndarray:
    return np.floor(bng / cell) * cell + cell / 2.0


def _from_bng(bng: np.ndarray, crs: int) -> np.ndarray:
    return transform(bng, BNG, crs)


def _apply_columns(frame: pd.DataFrame, new: dict[str, pd.Series]) -> tuple[pd.DataFrame, int]:
    out = frame.copy()
    changed = 0
    for col, series in new.items():
        changed += changed_cells(frame[col], series)
        out[col] = series
    return out, changed


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Counter-based 64-bit hash (splitmix64 finaliser), vectorised over uint64."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def record_uniforms(seed: int, n: int, stream: int) -> np.ndarray:
    """``n`` uniforms in [0, 1): one per record position, from (seed, stream, position) only.

    A record's draw does not depend on other records, so adding or removing rows elsewhere
    leaves it unchanged.
    """
    base = _splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        key = _splitmix64(base ^ np.uint64(stream * 0x632BE59BD9B4E019 & 0xFFFFFFFFFFFFFFFF))
        h = _splitmix64(np.arange(n, dtype=np.uint64) + key)
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


class SpatialParams(TransformParams):
    """``crs``: EPSG of the coordinates (4326 or 27700); None infers it from the values."""

    crs: Literal[4326, 27700] | None = None


# --------------------------------------------------------------------------------------------
# snap_grid
# --------------------------------------------------------------------------------------------


class SnapGridParams(SpatialParams):
    """``cell_m``: BNG grid cell size in metres (e.g. 100, 1000)."""

    cell_m: int = Field(default=1000, ge=1, le=100_000)


class SnapGrid(Transform[SnapGridParams]):
    """Move each point to the centre of its BNG grid cell, written in the input CRS."""

    id = "snap_grid"
    Params = SnapGridParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: SnapGridParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy with points snapped to ``cell_m`` cell centres."""
        new: dict[str, pd.Series] = {}
        for cc in locate(frame, columns, params.crs, self.id):
            pts = read_points(frame, cc, precision_sample=0)
            assert pts.bng is not None
            missing = ~np.isfinite(pts.xy).all(axis=1)
            native = _from_bng(_snap(pts.bng, params.cell_m), cc.crs or BNG)
            dec = 6 if cc.crs == WGS84 else (0 if params.cell_m % 2 == 0 else 1)
            new.update(write_points(frame, cc, native, dec, missing, params.cell_m))
        out, changed = _apply_columns(frame, new)
        notes = {c: f"snapped to {params.cell_m} m BNG grid cell centres" for c in new}
        return TransformResult(
            out, f"snapped points to a {params.cell_m} m grid", changed, column_notes=notes
        )


# --------------------------------------------------------------------------------------------
# reduce_precision
# --------------------------------------------------------------------------------------------


class ReducePrecisionParams(SpatialParams):
    """``decimals`` for degrees (3 ~ 110 m); ``metres`` rounding for BNG and grid refs."""

    decimals: int = Field(default=3, ge=0, le=8)
    metres: int = Field(default=100, ge=1, le=100_000)


class ReducePrecision(Transform[ReducePrecisionParams]):
    """Round coordinates: degrees to ``decimals`` places, BNG metres to ``metres``."""

    id = "reduce_precision"
    Params = ReducePrecisionParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: ReducePrecisionParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy with rounded coordinates."""
        new: dict[str, pd.Series] = {}
        notes: dict[str, str] = {}
        for cc in locate(frame, columns, params.crs, self.id):
            pts = read_points(frame, cc, precision_sample=0)
            missing = ~np.isfinite(pts.xy).all(axis=1)
            if cc.crs == WGS84:
                native = np.round(pts.xy, params.decimals)
                cols = write_points(frame, cc, native, params.decimals, missing)
                note = f"rounded to {params.decimals} decimal places"
            else:
                m = float(params.metres)
                native = (
                    np.floor(pts.xy / m) * m if cc.kind == "gridref" else np.round(pts.xy / m) * m
                )
                cols = write_points(frame, cc, native, 0, missing, m)
                note = f"rounded to {params.metres} m"
            new.update(cols)
            notes.update({c: note for c in cols})
        out, changed = _apply_columns(frame, new)
        return TransformResult(out, "reduced coordinate precision", changed, column_notes=notes)


# --------------------------------------------------------------------------------------------
# aggregate_h3
# --------------------------------------------------------------------------------------------


class AggregateH3Params(SpatialParams):
    """H3 ``resolution`` (8 ~ 0.7 km² cells), ``k`` minimum records per cell, ``output``.

    ``per_record``: coordinate columns replaced by ``h3_cell``; records in cells with fewer
    than ``k`` records are removed (``suppress="records"``) or get a missing cell
    (``suppress="cell"``). ``counts``: the frame becomes ``h3_cell, records`` for cells with
    at least ``k`` records.
    """

    resolution: int = Field(default=8, ge=0, le=15)
    k: int = Field(default=5, ge=1)
    output: Literal["per_record", "counts"] = "per_record"
    suppress: Literal["records", "cell"] = "records"


def h3_cells(lonlat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell ids (strings, None for NaN) of lon/lat points, computed once per distinct point."""
    import h3  # type: ignore[import-untyped, unused-ignore]

    out = np.full(len(lonlat), None, dtype=object)
    ok = np.isfinite(lonlat).all(axis=1)
    if not ok.any():
        return out
    uniq, inv = np.unique(lonlat[ok], axis=0, return_inverse=True)
    cells = np.array(
        [h3.latlng_to_cell(float(lat), float(lon), resolution) for lon, lat in uniq], dtype=object
    )
    out[ok] = cells[inv.reshape(-1)]
    return out


class AggregateH3(Transform[AggregateH3Params]):
    """Aggregate points to H3 cells with small-count suppression."""

    id = "aggregate_h3"
    Params = AggregateH3Params

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: AggregateH3Params,
        tctx: TransformContext,
    ) -> TransformResult:
        """Per-record ``h3_cell`` (coordinates dropped) or a counts table."""
        cc = locate(frame, columns, params.crs, self.id)[0]
        pts = read_points(frame, cc, precision_sample=0)
        lonlat = pts.xy if cc.crs == WGS84 else transform(pts.xy, BNG, WGS84)
        cells = h3_cells(lonlat, params.resolution)
        return area_output(
            frame,
            list(cc.columns),
            cells,
            k=params.k,
            output=params.output,
            suppress=params.suppress,
            column="h3_cell",
            label=f"H3 resolution {params.resolution}",
        )


def area_output(
    frame: pd.DataFrame,
    coordinates: list[str],
    cells: np.ndarray,
    *,
    k: int,
    output: Literal["per_record", "counts"],
    suppress: Literal["records", "cell"],
    column: str,
    label: str,
) -> TransformResult:
    """Points replaced by the cell or area each lies in (``cells``, None outside any), with
    small-count suppression: a per-record column, or a table of cells with at least ``k``.

    Shared by ``aggregate_h3`` and ``aggregate_areas``.
    """
    present = pd.Series(cells, dtype=object).dropna()
    counts = present.value_counts()
    small = set(counts.index[counts < k])
    outside = len(cells) - len(present)
    if output == "counts":
        kept = counts[counts >= k].sort_index()
        table = pd.DataFrame(
            {
                column: pd.array(list(kept.index), dtype="str"),
                "records": pd.array([str(int(v)) for v in kept.to_numpy()], dtype="str"),
            }
        )
        return TransformResult(
            table,
            f"aggregated {len(frame)} record(s) to {len(kept)} cell(s) ({label}); {len(small)} "
            f"under {k} record(s) and {outside} record(s) outside any suppressed",
            cells_changed=len(frame) * len(coordinates),
            rows_removed=len(frame) - int(kept.sum()),
            column_notes={column: label},
        )
    drop = np.array([c is None or c in small for c in cells], dtype=bool)
    out = frame.drop(columns=coordinates).copy()
    values = np.array(cells, dtype=object)
    removed = 0
    if suppress == "cell":
        values[drop] = None
    out[column] = pd.array(list(values), dtype="str")
    if suppress == "records":
        out = out.loc[~drop].copy()
        removed = int(drop.sum())
    if len(out) == 0 and len(frame):
        raise PluginExecutionError(f"{column}: every record fell in a cell below {k} records")
    return TransformResult(
        out,
        f"aggregated points to {label}; {len(small)} cell(s) with fewer than {k} record(s) "
        f"and {outside} record(s) outside any suppressed",
        cells_changed=len(frame) * len(coordinates),
        rows_removed=removed,
        column_notes={c: f"replaced by {column} ({label})" for c in coordinates},
    )


# --------------------------------------------------------------------------------------------
# donut_geomask
# --------------------------------------------------------------------------------------------


class DonutParams(SpatialParams):
    """Donut geomasking: displacement in [``min_m``, ``max_m``] metres, optional ``k`` target.

    With ``k``, each record's minimum displacement is raised to the distance of its k-th
    nearest other point (the dataset's own points, or the addresses in ``density_path``), so
    the circle of the actual displacement around the true location holds at least ``k``
    others. When that distance exceeds ``max_m`` the record cannot meet ``k``:
    ``on_k_unmet="suppress"`` blanks its coordinates, ``"cap"`` displaces it by ``max_m``
    anyway (and reports the count).
    """

    min_m: float = Field(default=50.0, ge=0)
    max_m: float = Field(default=500.0, gt=0)
    k: int | None = Field(default=None, ge=1)
    density_path: str | None = None
    on_k_unmet: Literal["suppress", "cap"] = "suppress"

    @model_validator(mode="after")
    def _check(self) -> DonutParams:
        if self.max_m < self.min_m + 2:
            raise ValueError("max_m must be at least min_m + 2 metres")
        return self


def k_distances(points: np.ndarray, k: int, population: np.ndarray | None) -> np.ndarray:
    """Distance from each point to its k-th nearest other point (or population point).

    ``population=None`` uses the points themselves (the point itself excluded, duplicates
    counted). Infinite when fewer than ``k`` candidates exist; NaN for NaN points.
    """
    from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

    out = np.full(len(points), np.nan)
    ok = np.isfinite(points).all(axis=1)
    own = population is None
    pop = points[ok] if own else np.asarray(population, dtype=float).reshape(-1, 2)
    pop = pop[np.isfinite(pop).all(axis=1)]
    kk = k + 1 if own else k
    if len(pop) < kk:
        out[ok] = np.inf
        return out
    d, _ = cKDTree(pop).query(points[ok], k=kk)
    d = np.asarray(d).reshape(len(points[ok]), kk)
    out[ok] = d[:, kk - 1]
    return out


class DonutGeomask(Transform[DonutParams]):
    """Displace each point by a random distance (uniform in area) between min and max metres
    at a random angle (MaskMyPy-style donut), optionally meeting a k target."""

    id = "donut_geomask"
    Params = DonutParams

    def apply(
        self, frame: pd.DataFrame, columns: list[str], params: DonutParams, tctx: TransformContext
    ) -> TransformResult:
        """A copy with displaced points (see :class:`DonutParams`)."""
        new: dict[str, pd.Series] = {}
        unmet_total = 0
        for stream, cc in enumerate(locate(frame, columns, params.crs, self.id)):
            pts = read_points(frame, cc, precision_sample=0)
            assert pts.bng is not None
            bng = pts.bng
            missing = ~np.isfinite(bng).all(axis=1)
            # rounding of the written output moves a point by at most eps metres
            dec = 6 if cc.crs == WGS84 else 0
            eps = 0.2 if cc.crs == WGS84 else 0.75
            lo = np.full(len(bng), params.min_m + eps)
            hi = params.max_m - eps
            unmet = np.zeros(len(bng), dtype=bool)
            if params.k is not None:
                pop = None
                if params.density_path:
                    from triage.sites import load_points

                    pop = load_points(params.density_path)
                rk = k_distances(bng, params.k, pop)
                lo = np.fmax(lo, rk + eps)
                unmet = ~missing & (lo > hi)
                if params.on_k_unmet == "cap":
                    lo = np.where(unmet, hi, lo)
            u = record_uniforms(tctx.run.seed, len(bng), 2 * stream)
            v = record_uniforms(tctx.run.seed, len(bng), 2 * stream + 1)
            lo_c = np.minimum(lo, hi)
            r = np.sqrt(u * (hi**2 - lo_c**2) + lo_c**2)
            theta = 2 * np.pi * v
            moved = bng + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
            if params.on_k_unmet == "suppress":
                moved[unmet] = np.nan
            native = _from_bng(moved, cc.crs or BNG)
            new.update(write_points(frame, cc, native, dec, missing))
            unmet_total += int(unmet.sum())
        out, changed = _apply_columns(frame, new)
        what = f"displaced points {params.min_m:g}-{params.max_m:g} m (donut)"
        if params.k is not None:
            action = "suppressed" if params.on_k_unmet == "suppress" else "capped at max_m"
            what += f", k target {params.k}; {unmet_total} record(s) could not meet it ({action})"
        notes = {c: what for c in new}
        return TransformResult(out, what, changed, column_notes=notes)


# --------------------------------------------------------------------------------------------
# drop_near_sites
# --------------------------------------------------------------------------------------------


class DropNearSitesParams(SpatialParams):
    """``action``: drop records inside a sensitive buffer or ``coarsen`` them to ``coarsen_m``.

    The register comes from the transform context (``tctx.sites``) or ``sites_path``;
    ``buffers`` overrides category buffer distances; ``categories`` limits the categories
    (empty = all).
    """

    action: Literal["drop", "coarsen"] = "drop"
    coarsen_m: int = Field(default=1000, ge=1, le=100_000)
    sites_path: str | None = None
    buffers: dict[str, float] = Field(default_factory=dict)
    categories: list[str] = Field(default_factory=list)


class DropNearSites(Transform[DropNearSitesParams]):
    """Drop or coarsen points within the buffers of sensitive sites."""

    id = "drop_near_sites"
    Params = DropNearSitesParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: DropNearSitesParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy without (or with coarsened) records inside sensitive buffers."""
        from triage.sites import SiteRegister, load_register, make_register, proximity

        register: SiteRegister | None = getattr(tctx, "sites", None)
        if register is None and params.sites_path:
            register = load_register(params.sites_path, params.buffers)
        if register is None:
            raise PluginExecutionError(f"{self.id}: no sensitive-site register given")
        if params.buffers or params.categories:
            keep = (
                np.isin(register.categories, params.categories)
                if params.categories
                else np.ones(len(register), dtype=bool)
            )
            table = {**register.buffers_m, **params.buffers}
            register = make_register(
                register.xy[keep], register.categories[keep], table, register.source
            )
        near = np.zeros(len(frame), dtype=bool)
        found = locate(frame, columns, params.crs, self.id)
        for cc in found:
            pts = read_points(frame, cc, precision_sample=0)
            assert pts.bng is not None
            near |= proximity(pts.bng, register).within
        n_near = int(near.sum())
        if params.action == "drop":
            return TransformResult(
                frame.loc[~near].copy(),
                f"removed {n_near} record(s) inside sensitive-site buffers",
                cells_changed=0,
                rows_removed=n_near,
            )
        new: dict[str, pd.Series] = {}
        for cc in found:
            pts = read_points(frame, cc, precision_sample=0)
            assert pts.bng is not None
            missing = ~np.isfinite(pts.xy).all(axis=1)
            snapped = pts.bng.copy()
            snapped[near] = _snap(pts.bng[near], params.coarsen_m)
            native = _from_bng(snapped, cc.crs or BNG)
            native[~near] = pts.xy[~near]
            dec = 6 if cc.crs == WGS84 else 0
            cols = write_points(frame, cc, native, dec, missing | ~near, params.coarsen_m)
            new.update(cols)
        out, changed = _apply_columns(frame, new)
        notes = {c: f"points in sensitive buffers coarsened to {params.coarsen_m} m" for c in new}
        return TransformResult(
            out,
            f"coarsened {n_near} record(s) inside sensitive-site buffers to {params.coarsen_m} m",
            changed,
            column_notes=notes,
        )
