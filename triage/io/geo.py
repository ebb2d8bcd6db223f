"""Reading geospatial files as string datasets: GeoPackage, Shapefile (zipped), GeoJSON, WKT.

:func:`load_geo` returns a :class:`~triage.dataset.Dataset` whose frame holds the attribute
columns as strings plus the point coordinates as string columns, and separately the file's
declared CRS as an EPSG code (None when the file declares none: reported by
``classifiers.geo.assess_geo(..., geo_file=True)`` as ``crs_missing``, never guessed here).

Coordinates: EPSG:27700 stays ``easting``/``northing``; any other declared CRS is
reprojected to WGS84 ``longitude``/``latitude`` (returned CRS 4326); without a CRS the raw
``x``/``y`` are written. Non-point geometries also keep a ``geometry_wkt`` column; their
coordinates are a point on the surface. Nested attribute values (GeoJSON arrays and objects)
become leaf columns as in :mod:`triage.io.nested`. Errors are one-line :class:`DataInputError`
naming the file.
"""

from __future__ import annotations

import contextlib
import logging
import math
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely  # type: ignore[import-untyped, unused-ignore]

from triage.context import Limits
from triage.dataset import Dataset
from triage.io.errors import file_error
from triage.io.frames import unique_names
from triage.io.limits import check_geojson_positions, check_shape, check_vertices, read_input
from triage.io.nested import leaf_columns

log = logging.getLogger(__name__)

#: extensions this module reads (besides CSV/XLSX with a WKT column via :func:`add_wkt_points`)
GEO_EXTENSIONS = (".gpkg", ".shp", ".zip", ".geojson")

_WKT_START = r"^\s*(?:SRID=\d+;\s*)?(?:MULTI)?(?:POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)"


def _first_shapefile(path: Path, archive: Path) -> str:
    """The member name of the first ``.shp`` in a zip."""
    try:
        with zipfile.ZipFile(archive) as zf:
            shps = [n for n in zf.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile:
        raise file_error(path, "is not a valid zip file") from None
    if not shps:
        raise file_error(path, "zip holds no .shp file")
    if len(shps) > 1:
        log.info("zip holds %d shapefiles; reading the first", len(shps))
    return sorted(shps)[0]


def read_ogr_frame(path: Path, raw: bytes | None = None) -> Any:
    """A GeoDataFrame from a GeoPackage, Shapefile, zipped Shapefile or GeoJSON (pyogrio),
    read from ``raw`` (the file's bytes, already hashed) where given: a zipped Shapefile
    from a private copy of them."""
    import pyogrio  # type: ignore[import-untyped, unused-ignore]

    with contextlib.ExitStack() as stack:
        source: str | bytes = str(path) if raw is None else raw
        if path.suffix.lower() == ".zip":
            archive = str(path)
            if raw is not None:
                copy = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".zip"))
                copy.write(raw)
                copy.flush()
                archive = copy.name
            source = f"/vsizip/{archive}/{_first_shapefile(path, Path(archive))}"
        try:
            with warnings.catch_warnings():  # bytes have no file extension for GDAL to check
                warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
                return pyogrio.read_dataframe(source)
        except Exception as exc:  # GDAL messages may quote content: keep the type only
            raise file_error(path, f"cannot read geospatial file ({type(exc).__name__})") from None


def _fmt(values: np.ndarray) -> list[str | None]:
    """Shortest round-trip text of floats (precision stays visible), None for NaN."""
    return [repr(float(v)) if math.isfinite(v) else None for v in values]


def _leaf_text(v: Any) -> str | None:
    """One attribute value as a string, missing kept missing, integers without ``.0``."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)


def _attribute_columns(gdf: Any, geom_name: str) -> tuple[dict[str, pd.Series], list[str]]:
    """The attribute columns as strings, a nested one (GeoJSON arrays / objects) as its leaf
    columns (:func:`triage.io.nested.leaf_columns`); also the nested columns left out."""
    # list fields come as numpy arrays, JSON objects and arrays as dicts and lists
    named = (
        (
            col,
            [
                v.tolist() if isinstance(v, np.ndarray) else v
                for v in gdf[col].to_numpy(dtype=object)
            ],
        )
        for col in (str(c) for c in gdf.columns if c != geom_name)
    )
    labels, columns, left_out = leaf_columns(named, _leaf_text)
    data = {
        name: pd.Series(pd.array(vals, dtype="str"), index=gdf.index)
        for name, vals in zip(unique_names(labels), columns, strict=True)
    }
    return data, left_out


def geometry_columns(
    geoms: np.ndarray, crs: int | None
) -> tuple[dict[str, list[str | None]], int | None]:
    """Coordinate string columns from shapely geometries and the resulting CRS.

    27700 -> easting/northing; another EPSG -> longitude/latitude in 4326; None -> x/y.
    Non-point geometries add ``geometry_wkt``.
    """
    from triage.classifiers.geo import BNG, WGS84, transform

    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    pts = np.where(types == 0, geoms, shapely.point_on_surface(geoms))
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]).astype(float)
    cols: dict[str, list[str | None]] = {}
    if crs == BNG:
        cols["easting"], cols["northing"] = _fmt(xy[:, 0]), _fmt(xy[:, 1])
        out_crs: int | None = BNG
    elif crs is not None:
        ll = transform(xy, crs, WGS84) if crs != WGS84 else xy
        cols["longitude"], cols["latitude"] = _fmt(ll[:, 0]), _fmt(ll[:, 1])
        out_crs = WGS84
    else:
        cols["x"], cols["y"] = _fmt(xy[:, 0]), _fmt(xy[:, 1])
        out_crs = None
    non_point = (types != 0) & (types >= 0)
    if non_point.any():
        wkt = shapely.to_wkt(geoms, rounding_precision=-1)
        cols["geometry_wkt"] = [str(w) if w is not None else None for w in wkt]
    return cols, out_crs


def load_geo(
    path: Path | str, limits: Limits | None = None, name: str | None = None
) -> tuple[Dataset, int | None]:
    """Load ``.gpkg``, ``.shp``, zipped Shapefile ``.zip`` or ``.geojson`` (any geometry).

    Returns
    -------
    (Dataset, crs)
        The dataset (string columns) and the declared EPSG after reprojection (4326 or 27700),
        or None when the file declares no CRS.

    Raises
    ------
    DataInputError
        Missing, not a regular file, empty, unreadable, over a limit (rows, columns, cell
        length, geometry vertices), or a CRS without an EPSG code.
    """
    p = Path(path)
    limits = limits or Limits()
    if p.suffix.lower() not in GEO_EXTENSIONS:
        raise file_error(p, f"unsupported geospatial file type {p.suffix or '(none)'}")
    raw, sha = read_input(p, limits)  # hashed as read; a GeoPackage or Shapefile as one too
    if p.suffix.lower() == ".geojson":
        check_geojson_positions(p, raw, limits)
    gdf = read_ogr_frame(p, raw)
    if len(gdf) == 0:
        raise file_error(p, "contains no features")
    if len(gdf) > limits.max_rows:
        raise file_error(p, f"{len(gdf):,} rows, over the limit of {limits.max_rows:,}")
    crs: int | None = None
    if gdf.crs is not None:
        crs = gdf.crs.to_epsg()
        if crs is None:
            raise file_error(
                p, "declares a CRS without an EPSG code; reproject to EPSG:27700 or 4326"
            )
    geoms = gdf.geometry.to_numpy()
    check_vertices(p, shapely.get_num_coordinates(geoms), limits)
    data, left_out = _attribute_columns(gdf, gdf.geometry.name)
    geo_cols, out_crs = geometry_columns(geoms, crs)
    for key, vals in geo_cols.items():
        target = key if key not in data else f"geometry_{key}"
        data[target] = pd.Series(pd.array(vals, dtype="str"), index=gdf.index)
    frame = pd.DataFrame(data).reset_index(drop=True)
    check_shape(p, frame, limits)  # the cell-length limit covers geometry_wkt too
    fmt = {".gpkg": "gpkg", ".shp": "shapefile", ".zip": "shapefile"}.get(
        p.suffix.lower(), "geojson"
    )
    dataset = Dataset(name or p.name, sha, fmt, frame, left_out=tuple(left_out))
    return dataset, out_crs


def find_wkt_column(frame: pd.DataFrame, sample: int = 200) -> str | None:
    """The first column whose sampled non-missing values are (mostly) WKT geometries."""
    for col in frame.columns:
        s = frame[col].dropna().astype(str).head(sample)
        if len(s) and s.str.contains(_WKT_START, case=False, regex=True).mean() >= 0.9:
            return str(col)
    return None


def add_wkt_points(dataset: Dataset, column: str | None = None) -> tuple[Dataset, int | None]:
    """For CSV/XLSX with a WKT column: add coordinate columns from it (vectorised shapely).

    The CRS comes from an EWKT ``SRID=n;`` prefix, else None (the detector infers it from
    values or reports ``crs_missing``); no CRS means ``x``/``y`` columns. Unparseable cells
    give missing coordinates. Returns the dataset unchanged and None when no WKT column.
    """
    col = column or find_wkt_column(dataset.frame)
    if col is None:
        return dataset, None
    s = dataset.frame[col]
    text = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
    srid = pd.Series(text).str.extract(r"^\s*SRID=(\d+);", expand=False)
    srids = pd.to_numeric(srid, errors="coerce").dropna().unique()
    crs = int(srids[0]) if len(srids) == 1 else None
    clean = pd.Series(text).str.replace(r"^\s*SRID=\d+;\s*", "", regex=True).to_numpy(dtype=object)
    geoms = shapely.from_wkt(clean, on_invalid="ignore")
    cols, out_crs = geometry_columns(geoms, crs)
    cols.pop("geometry_wkt", None)
    frame = dataset.frame.copy()
    for key, vals in cols.items():
        target = key if key not in frame.columns else f"{col}_{key}"
        frame[target] = pd.array(vals, dtype="str")
    return Dataset(dataset.name, dataset.sha256, dataset.format, frame), out_crs
