"""Geospatial assessment of a tabular dataset: where are the points, how precise, whose.

:func:`assess_geo` finds coordinate columns under any name (lat/lon, x/y, easting/northing,
point WKT, ``"lat, lon"`` strings, OS grid references) from headers *and* values, infers the
CRS only when the values are unambiguous (WGS84 degrees inside the UK vs British National
Grid metres), counts swapped latitude/longitude and out-of-UK points, measures precision in
metres, tells points of people from points of assets, and computes spatial k-anonymity
(records per released location cell). No raw value ever leaves this module: results are
counts, column names and metres.

CRS codes are EPSG integers: 4326 (WGS84 lon/lat) and 27700 (British National Grid).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
from pyproj import Transformer

from triage.classifiers.subject import Subject, judge_subject
from triage.models import Problem

log = logging.getLogger(__name__)

WGS84 = 4326
BNG = 27700

#: UK extent in WGS84 degrees
UK_LAT = (49.8, 60.9)
UK_LON = (-8.7, 1.8)
#: British National Grid extent, metres
BNG_E = (0.0, 700_000.0)
BNG_N = (0.0, 1_300_000.0)
#: metres per degree of latitude; longitude scales with cos(latitude)
M_PER_DEG = 111_320.0
#: share of parsed values that must fit a range for value-based detection
MIN_SHARE = 0.9

Kind = Literal["lonlat", "bng", "xy", "wkt", "pair_string", "gridref"]

_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------------------------


@cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def transform(xy: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Reproject an ``(n, 2)`` array of x/y (lon/lat for 4326) from ``src`` to ``dst``.

    Vectorised (pyproj, ``always_xy=True``); NaN rows stay NaN. Returns a new array.
    """
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    if src == dst:
        return arr.copy()
    x, y = _transformer(src, dst).transform(arr[:, 0], arr[:, 1])
    out = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    out[~np.isfinite(out)] = np.nan
    return out


def to_bng(xy: np.ndarray, crs: int) -> np.ndarray:
    """Points in British National Grid metres (``(n, 2)``, NaN kept)."""
    return transform(xy, crs, BNG)


# --------------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------------

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_WKT_RE = re.compile(
    rf"^\s*(?:SRID=(\d+);)?\s*POINT\s*Z?M?\s*\(\s*({_NUM})\s+({_NUM})(?:\s+{_NUM})*\s*\)\s*$",
    re.IGNORECASE,
)
_PAIR_RE = re.compile(rf"^\s*\(?\s*({_NUM})\s*[,;]\s*({_NUM})\s*\)?\s*$")
_GRIDREF_RE = re.compile(r"^\s*([HJNOST][A-HJ-Z])\s*(\d{0,10})(?:\s+(\d{1,5}))?\s*$")


def _square_origin(letters: str) -> tuple[int, int] | None:
    try:
        first, second = (_LETTERS.index(c) for c in letters.upper())
    except ValueError:
        return None
    east = ((first - 2) % 5) * 5 + second % 5
    north = (19 - (first // 5) * 5) - second // 5
    if 0 <= east < 7 and 0 <= north < 13:
        return east, north
    return None


def _as_str(values: pd.Series) -> pd.Series:
    """Values as a series of stripped strings, missing as missing."""
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values.str.strip()
    s = values.astype(object)
    return s.astype(str).str.strip().where(s.notna(), np.nan)


_ANGLE = (
    r"([+-]?\d+(?:\.\d+)?)\s*(?:°|º|deg(?:rees?)?|d|\s)?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:'|′|’|m(?:in)?|\s)?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|”|''|s(?:ec)?)?)?)?\s*"
)
_DMS_MARK = r"[°º'′’\"″”]"
_HEMISPHERE = r"[NSEWnsew]"
_DEGREE_RE = re.compile(rf"^\s*([NSEW])?\s*{_ANGLE}([NSEW])?\s*$", re.IGNORECASE)
_DEGREE_PAIR_RE = re.compile(
    rf"^\s*((?:[NSEW]\s*)?{_ANGLE}[NSEW]?)\s*[,;/]?\s*((?:[NSEW]\s*)?{_ANGLE}[NSEW]?)\s*$",
    re.IGNORECASE,
)


def parse_degrees(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Angles written with hemisphere letters, degrees-minutes(-seconds) or plain decimals.

    ``53.801234N``, ``1.5234W``, ``53°48'04.4"N``, ``53 48 04.4 N``, ``53°48.073'N``; S and W
    are negative. Returns ``(degrees, resolution_deg)``: the value and the size of its last
    written unit in degrees (0.1" is 1/36000°); unparseable values are NaN.
    """
    ext = _as_str(values).str.extract(_DEGREE_RE)
    deg = pd.to_numeric(ext[1], errors="coerce").to_numpy(dtype=float)
    mins = pd.to_numeric(ext[2], errors="coerce").to_numpy(dtype=float)
    secs = pd.to_numeric(ext[3], errors="coerce").to_numpy(dtype=float)
    hemi = ext[0].fillna(ext[4]).str.upper().to_numpy(dtype=object)
    both = ext[0].notna().to_numpy(dtype=bool) & ext[4].notna().to_numpy(dtype=bool)
    bad = both | (np.isfinite(mins) & ((mins >= 60) | (np.abs(deg) % 1 > 0)))
    bad |= np.isfinite(secs) & (secs >= 60)
    sign = np.where(deg < 0, -1.0, 1.0)
    south_west = np.isin(hemi, ["S", "W"])
    bad |= south_west & (deg < 0)
    value = np.abs(deg) + np.nan_to_num(mins) / 60 + np.nan_to_num(secs) / 3600
    value = np.where(south_west, -value, sign * value)
    # an angle is at most 180 degrees, a latitude (N/S) at most 90: codes such as E05000819
    bad |= (np.abs(value) > 180) | (np.isin(hemi, ["N", "S"]) & (np.abs(value) > 90))
    value[bad] = np.nan

    def places(text: pd.Series) -> np.ndarray:
        frac = text.str.extract(r"\.(\d+)$")[0]
        return frac.fillna("").str.len().to_numpy(dtype=float)

    res = np.where(
        np.isfinite(secs),
        10.0 ** -places(ext[3]) / 3600,
        np.where(np.isfinite(mins), 10.0 ** -places(ext[2]) / 60, 10.0 ** -places(ext[1])),
    )
    res[~np.isfinite(value)] = np.nan
    return value, res


def _angle_marked(s: pd.Series) -> pd.Series:
    """Values that show they are written angles: a degree/minute mark, or a hemisphere letter
    beside a decimal number (a bare letter and integer, such as the postcode district "N1" or
    a code "E05000819", is not)."""
    return s.str.contains(_DMS_MARK, na=False) | (
        s.str.contains(_HEMISPHERE, na=False) & s.str.contains(r"\d\.\d", na=False)
    )


def parse_numbers(values: pd.Series) -> np.ndarray:
    """Float array of a string column; non-numbers are NaN.

    Values that are not plain numbers are read as written angles (:func:`parse_degrees`), so
    ``1.5234W`` is ``-1.5234``.
    """
    s = _as_str(values)
    out = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float).copy()
    miss = ~np.isfinite(out) & _angle_marked(s).to_numpy(dtype=bool)
    if miss.any():
        out[miss] = parse_degrees(s[miss])[0]
    return out


def parse_gridrefs(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """OS grid references to BNG metres (south-west corner of the referenced square).

    Returns ``(xy (n, 2), resolution_m (n,))``; unparseable values are NaN.
    """
    s = _as_str(values)
    ext = s.str.upper().str.extract(_GRIDREF_RE)
    n = len(s)
    xy = np.full((n, 2), np.nan)
    res = np.full(n, np.nan)
    letters = ext[0].to_numpy(dtype=object)
    first = ext[1].fillna("").to_numpy(dtype=object)
    second = ext[2].to_numpy(dtype=object)
    for i in np.flatnonzero(pd.notna(letters)):
        origin = _square_origin(str(letters[i]))
        if origin is None:
            continue
        a = str(first[i])
        b = second[i]
        if isinstance(b, str):
            if len(a) != len(b):
                continue
            de, dn = a, b
        else:
            if len(a) % 2:
                continue
            half = len(a) // 2
            de, dn = a[:half], a[half:]
        digits = len(de)
        if digits > 5:
            continue
        unit = 10.0 ** (5 - digits)
        e = origin[0] * 100_000 + (int(de) * unit if de else 0.0)
        nn = origin[1] * 100_000 + (int(dn) * unit if dn else 0.0)
        xy[i] = (e, nn)
        res[i] = unit
    return xy, res


def parse_wkt_points(values: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series, pd.Series]:
    """``POINT (x y)`` (optionally ``SRID=n;``) to ``(xy, srid, x_text, y_text)``."""
    ext = _as_str(values).str.extract(_WKT_RE)
    xy = np.column_stack(
        [
            pd.to_numeric(ext[1], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(ext[2], errors="coerce").to_numpy(dtype=float),
        ]
    )
    srid = pd.to_numeric(ext[0], errors="coerce").to_numpy(dtype=float)
    return xy, srid, ext[1], ext[2]


def parse_pair_strings(values: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """``"a, b"`` strings to ``(ab (n, 2), a_text, b_text)`` in written order.

    Also written angle pairs (``53°48'04.4"N 1°31'22.1"W``, ``53.80N, 1.52W``).
    """
    s = _as_str(values)
    ext = s.str.extract(_PAIR_RE)
    miss = ext[0].isna() & _angle_marked(s)
    if miss.any():
        alt = s[miss].str.extract(_DEGREE_PAIR_RE)
        ext.loc[miss, 0] = alt[0]
        ext.loc[miss, 1] = alt[4]
    ab = np.column_stack(
        [
            parse_numbers(ext[0]),
            parse_numbers(ext[1]),
        ]
    )
    return ab, ext[0], ext[1]


# --------------------------------------------------------------------------------------------
# value ranges
# --------------------------------------------------------------------------------------------


def _in(v: np.ndarray, lo_hi: tuple[float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (v >= lo_hi[0]) & (v <= lo_hi[1])


def in_uk_degrees(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) lies in the UK box."""
    return _in(lon, UK_LON) & _in(lat, UK_LAT)


def in_bng(e: np.ndarray, n: np.ndarray) -> np.ndarray:
    """True where (e, n) lies in the BNG extent."""
    return _in(e, BNG_E) & _in(n, BNG_N)


def infer_crs(xy: np.ndarray) -> int | None:
    """EPSG from values when they clearly are WGS84 degrees or BNG metres, else None.

    Degrees: at least 90% of points are valid degrees (|lon| <= 180, |lat| <= 90) and most of
    those in or near the UK (lon/lat or swapped). BNG: at least 90% inside the grid and the
    median magnitude over 1,000 m (small numbers are local or unknown coordinates).
    """
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    ok = np.isfinite(arr).all(axis=1)
    if not ok.any():
        return None
    x, y = arr[ok, 0], arr[ok, 1]
    degrees = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    uk = in_uk_degrees(x, y) | in_uk_degrees(y, x)
    if degrees.mean() >= MIN_SHARE and uk.mean() >= 0.5:
        return WGS84
    grid = in_bng(x, y)
    if grid.mean() >= MIN_SHARE and np.median(np.hypot(x, y)) > 1_000 and not degrees.all():
        return BNG
    return None


# --------------------------------------------------------------------------------------------
# precision
# --------------------------------------------------------------------------------------------


def _decimals(text: pd.Series) -> np.ndarray:
    """Significant decimal places of number strings (trailing zeros dropped); NaN if missing."""
    s = _as_str(text)
    frac = s.str.extract(r"\.(\d*)$")[0]
    has = s.notna().to_numpy(dtype=bool)
    out = np.where(has, 0.0, np.nan)
    fmask = frac.notna().to_numpy(dtype=bool)
    out[fmask] = frac[fmask].str.rstrip("0").str.len().to_numpy(dtype=float)
    return out


def _integer_resolution(text: pd.Series) -> np.ndarray:
    """Metres resolution of number strings: 0.1 for one decimal, 100 for ``431200``."""
    s = _as_str(text)
    dec = _decimals(s)
    ints = s.str.extract(r"^[+-]?(\d+)")[0]
    zeros = (ints.str.len() - ints.str.rstrip("0").str.len()).to_numpy(dtype=float)
    zeros = np.minimum(np.nan_to_num(zeros, nan=0.0), 5)
    res = np.where(dec > 0, 10.0 ** (-dec), 10.0**zeros)
    res[np.isnan(dec)] = np.nan
    return res


def degree_resolution_m(lon_text: pd.Series, lat_text: pd.Series, lat: np.ndarray) -> np.ndarray:
    """Per-record precision in metres of lon/lat as written (the coarser axis).

    Plain decimals by their places; written angles (DMS, hemisphere letters) by their last unit.
    """

    def unit_deg(text: pd.Series) -> np.ndarray:
        plain = 10.0 ** (-_decimals(text))
        written = parse_degrees(text)[1]
        numeric = np.isfinite(pd.to_numeric(_as_str(text), errors="coerce").to_numpy(dtype=float))
        return np.where(numeric, plain, np.where(np.isfinite(written), written, plain))

    dlat = unit_deg(lat_text) * M_PER_DEG
    coslat = np.cos(np.radians(np.clip(np.nan_to_num(lat, nan=54.0), -89, 89)))
    dlon = unit_deg(lon_text) * M_PER_DEG * coslat
    return np.fmax(dlat, dlon)


def lattice_resolution_m(bng: np.ndarray, tol_m: float = 2.0) -> float | None:
    """Size of a BNG grid the points sit on (cell corners or centres), if any.

    Catches snapped data re-projected to degrees, where decimals look precise. Tests 10 km,
    1 km and 100 m; returns the largest size that at least 95% of points fit within ``tol_m``.
    """
    arr = bng[np.isfinite(bng).all(axis=1)]
    if len(arr) > 50_000:
        arr = arr[np.linspace(0, len(arr) - 1, 50_000).astype(int)]
    if len(arr) < 3:
        return None
    for cell in (10_000.0, 1_000.0, 100.0):
        r = np.mod(arr, cell)
        corner = np.minimum(r, cell - r) <= tol_m
        centre = np.abs(r - cell / 2) <= tol_m
        fits = (corner.all(axis=1) | centre.all(axis=1)).mean()
        if fits >= 0.95:
            return cell
    return None


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def _tokens(name: str) -> set[str]:
    return set(_norm(name).split("_")) | {_norm(name).replace("_", "")}


_LAT_TOKENS = {"lat", "latitude", "lati", "latdd", "ylat"}
_LON_TOKENS = {"lon", "lng", "long", "longitude", "longi", "londd", "xlong", "xlon"}
_X_TOKENS = {"x", "xcoord", "xcoordinate", "pointx", "coordx", "geox"}
_Y_TOKENS = {"y", "ycoord", "ycoordinate", "pointy", "coordy", "geoy"}
_E_TOKENS = {"easting", "eastings", "east", "e", "osgb_e", "bng_e"}
_N_TOKENS = {"northing", "northings", "north", "n", "osgb_n", "bng_n"}
_GEOM_HINT = re.compile(r"geom|wkt|point|coord|location|latlon|latlng|lonlat|position|gps|loc$")
_GRIDREF_HINT = re.compile(r"grid_?ref|(?:^|_)ngr(?:_|$)|os_?grid|gridref|osgr")


def _header_axis(name: str) -> str | None:
    """'lat', 'lon', 'x', 'y', 'e', 'n' from a header, or None."""
    norm = _norm(name)
    toks = _tokens(name)
    if toks & _LAT_TOKENS or norm.startswith("latitude"):
        return "lat"
    if toks & _LON_TOKENS or norm.startswith("longitude"):
        return "lon"
    if "easting" in norm or toks & _E_TOKENS - {"e", "east"}:
        return "e"
    if "northing" in norm or toks & _N_TOKENS - {"n", "north"}:
        return "n"
    if norm in {"e", "east"}:
        return "e"
    if norm in {"n", "north"}:
        return "n"
    if toks & _X_TOKENS:
        return "x"
    if toks & _Y_TOKENS:
        return "y"
    return None


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoordinateColumns:
    """One way a dataset writes its points.

    ``x``/``y`` are column names (lon/easting first) for pairs; single-column formats
    (``wkt``, ``pair_string``, ``gridref``) have ``y=None``. ``latlon_order`` is True for
    ``"lat, lon"`` strings written latitude first.
    """

    kind: Kind
    x: str
    y: str | None
    crs: int | None
    latlon_order: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names used."""
        return (self.x,) if self.y is None else (self.x, self.y)


@dataclass(frozen=True)
class GeoPoints:
    """Parsed points of one :class:`CoordinateColumns`: native x/y, BNG metres, precision.

    ``resolution_m`` covers a sample of the points (see :func:`read_points`).
    """

    xy: np.ndarray
    crs: int | None
    bng: np.ndarray | None
    resolution_m: np.ndarray
    swapped: int
    out_of_uk: int


@dataclass(frozen=True)
class GeoAssessment:
    """Geospatial facts about one dataset (counts and metres only, never values).

    Attributes
    ----------
    pairs
        Coordinate columns found, strongest first.
    crs
        EPSG of the first pair (declared or inferred from values), None when unknown.
    n_points
        Records with a parseable point (first pair).
    swapped
        Records whose latitude and longitude are exchanged.
    out_of_uk
        Records with a valid coordinate outside the UK.
    precision_m
        Median precision in metres (decimals, grid rounding, grid-reference digits, snapping).
    subject
        ``people``, ``assets`` or ``unknown`` (``classifiers.subject``).
    cell_m
        Cell size (metres) used for spatial k-anonymity: the precision, at least 1 m.
    k_min
        Fewest records in an occupied cell.
    cells, share_cells_below_k
        Occupied cells and the share with fewer than ``k`` records.
    density_min, share_density_below_k
        With a density layer: fewest addresses in an occupied cell, share of occupied cells
        with fewer than ``k`` addresses.
    problems
        ``crs_missing`` (geo file without a CRS, or ambiguous values), ``coordinates_swapped``,
        ``coordinates_out_of_uk``.
    """

    pairs: tuple[CoordinateColumns, ...]
    crs: int | None
    n_points: int
    swapped: int
    out_of_uk: int
    precision_m: float | None
    subject: Subject
    k: int
    cell_m: float | None = None
    k_min: int | None = None
    cells: int = 0
    share_cells_below_k: float | None = None
    density_min: int | None = None
    share_density_below_k: float | None = None
    problems: tuple[Problem, ...] = ()
    points_bng: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: what decided the subject, in one sentence
    subject_evidence: str = ""

    @property
    def has_points(self) -> bool:
        """True when coordinate columns were found."""
        return bool(self.pairs)

    def facts(self) -> dict[str, object]:
        """The CEL facts of this assessment (see the module's wiring note)."""
        return {
            "has_points": self.has_points,
            "columns": [c for p in self.pairs for c in p.columns],
            "crs": self.crs,
            "points": self.n_points,
            "swapped": self.swapped,
            "out_of_uk": self.out_of_uk,
            "precision_m": self.precision_m,
            "subject": self.subject,
            "cell_m": self.cell_m,
            "k_min": self.k_min,
            "share_cells_below_k": self.share_cells_below_k,
            "density_min": self.density_min,
        }


# --------------------------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------------------------


def _share(mask: np.ndarray, present: np.ndarray) -> float:
    n = int(present.sum())
    return float((mask & present).sum()) / n if n else 0.0


def _sample(frame: pd.DataFrame, col: str, size: int) -> pd.Series:
    s = frame[col]
    s = s[s.notna()]
    if len(s) > size:
        s = s.iloc[np.linspace(0, len(s) - 1, size).astype(int)]
    return s


def find_coordinate_columns(
    frame: pd.DataFrame, crs_hint: int | None = None, sample: int = 2_000
) -> list[CoordinateColumns]:
    """Coordinate columns by header and values, strongest first.

    Pairs by header (lat/lon, easting/northing, x/y) whose values fit a coordinate range;
    unnamed numeric pairs by values alone (degrees need 3+ decimals and both UK ranges);
    single columns of point WKT, ``"a, b"`` pairs or OS grid references.
    """
    cols = list(frame.columns)
    axes = {c: _header_axis(str(c)) for c in cols}
    nums: dict[str, np.ndarray] = {}
    found: list[CoordinateColumns] = []
    used: set[str] = set()

    def numbers(c: str) -> np.ndarray:
        if c not in nums:
            nums[c] = parse_numbers(_sample(frame, c, sample))
        return nums[c]

    def numeric(c: str) -> bool:
        v = numbers(c)
        return len(v) > 0 and float(np.isfinite(v).mean()) >= MIN_SHARE

    def first(axis: str) -> str | None:
        for c in cols:
            if axes[c] == axis and c not in used and numeric(c):
                return c
        return None

    for ax_x, ax_y, kind in (("lon", "lat", "lonlat"), ("e", "n", "bng"), ("x", "y", "xy")):
        while True:
            cx, cy = first(ax_x), first(ax_y)
            if cx is None or cy is None:
                break
            used.update((cx, cy))
            both = np.column_stack(
                [parse_numbers(frame[cx].iloc[:sample]), parse_numbers(frame[cy].iloc[:sample])]
            )
            crs = crs_hint if crs_hint is not None else infer_crs(both)
            if kind == "lonlat" and crs is None:
                crs = WGS84 if np.nanmax(np.abs(both), initial=0) <= 180 else None
            found.append(CoordinateColumns(kind, cx, cy, crs))  # type: ignore[arg-type]

    # numeric pairs by values alone: UK degrees with 3+ decimals
    lat_like: list[str] = []
    lon_like: list[str] = []
    for c in cols:
        if c in used or axes[c] is not None or not numeric(c):
            continue
        v = numbers(c)
        fin = np.isfinite(v)
        dec = _decimals(_sample(frame, c, sample))
        if np.nanmedian(dec) < 3:
            continue
        if _share(_in(v, UK_LAT), fin) >= MIN_SHARE:
            lat_like.append(c)
        elif _share(_in(v, UK_LON), fin) >= MIN_SHARE:
            lon_like.append(c)
    for cy, cx in zip(lat_like, lon_like, strict=False):
        used.update((cx, cy))
        found.append(CoordinateColumns("lonlat", cx, cy, crs_hint or WGS84))

    # single-column formats
    for c in cols:
        if c in used:
            continue
        s = _sample(frame, c, sample)
        if s.empty:
            continue
        present = np.ones(len(s), dtype=bool)
        xy, srid, _, _ = parse_wkt_points(s)
        ok = np.isfinite(xy).all(axis=1)
        if _share(ok, present) >= MIN_SHARE:
            srids = srid[np.isfinite(srid)]
            crs = int(srids[0]) if len(srids) else (crs_hint or infer_crs(xy))
            found.append(CoordinateColumns("wkt", c, None, crs))
            used.add(c)
            continue
        ab, _, _ = parse_pair_strings(s)
        ok = np.isfinite(ab).all(axis=1)
        if _share(ok, present) >= MIN_SHARE:
            if _share(in_uk_degrees(ab[:, 1], ab[:, 0]), ok) >= 0.5:
                found.append(CoordinateColumns("pair_string", c, None, WGS84, latlon_order=True))
                used.add(c)
            elif _share(in_uk_degrees(ab[:, 0], ab[:, 1]), ok) >= 0.5:
                found.append(CoordinateColumns("pair_string", c, None, WGS84))
                used.add(c)
            elif (
                _share(in_bng(ab[:, 0], ab[:, 1]), ok) >= MIN_SHARE
                and np.nanmedian(np.abs(ab)) > 1_000
            ):
                found.append(CoordinateColumns("pair_string", c, None, BNG))
                used.add(c)
            continue
        grid, _ = parse_gridrefs(s)
        ok = np.isfinite(grid).all(axis=1)
        if _share(ok, present) >= MIN_SHARE and (
            _GRIDREF_HINT.search(_norm(str(c))) or s.astype(str).str.contains(r"\d").mean() > 0.9
        ):
            found.append(CoordinateColumns("gridref", c, None, BNG))
            used.add(c)
    return found


def read_points(
    frame: pd.DataFrame, cc: CoordinateColumns, precision_sample: int = 20_000
) -> GeoPoints:
    """Parse all records of one :class:`CoordinateColumns` (vectorised).

    Swapped lat/lon (degree pairs whose axes are exchanged) are counted and corrected in the
    returned ``xy``/``bng``; points outside the UK are counted and kept. ``resolution_m`` is
    the per-point precision of an evenly spaced sample of at most ``precision_sample`` points
    (for the median; 0 skips it).
    """
    n = len(frame)
    if cc.kind == "gridref":
        xy, res = parse_gridrefs(frame[cc.x])
        return GeoPoints(xy, BNG, xy.copy(), res, 0, int((~in_bng(xy[:, 0], xy[:, 1])).sum()))
    if cc.kind == "wkt":
        xy, _, tx, ty = parse_wkt_points(frame[cc.x])
    elif cc.kind == "pair_string":
        ab, ta, tb = parse_pair_strings(frame[cc.x])
        if cc.latlon_order:
            xy, tx, ty = ab[:, ::-1].copy(), tb, ta
        else:
            xy, tx, ty = ab, ta, tb
    else:
        assert cc.y is not None
        tx, ty = _as_str(frame[cc.x]), _as_str(frame[cc.y])
        xy = np.column_stack([parse_numbers(tx), parse_numbers(ty)])
    ok = np.isfinite(xy).all(axis=1)
    okidx = np.flatnonzero(ok)
    if len(okidx) > precision_sample:
        okidx = okidx[np.linspace(0, len(okidx) - 1, precision_sample).astype(int)]
    crs = cc.crs
    swapped = 0
    out_of_uk = 0
    if crs == WGS84:
        uk = in_uk_degrees(xy[:, 0], xy[:, 1])
        swap = ok & ~uk & in_uk_degrees(xy[:, 1], xy[:, 0])
        swapped = int(swap.sum())
        xy = xy.copy()
        xy[swap] = xy[swap][:, ::-1]
        tx, ty = tx.copy(), ty.copy()
        idx = np.flatnonzero(swap)
        if len(idx):
            txv, tyv = tx.to_numpy(dtype=object).copy(), ty.to_numpy(dtype=object).copy()
            txv[idx], tyv[idx] = tyv[idx], txv[idx]
            tx, ty = pd.Series(txv), pd.Series(tyv)
        out_of_uk = int((ok & ~uk & ~swap).sum())
        res = degree_resolution_m(tx.iloc[okidx], ty.iloc[okidx], xy[okidx, 1])
    elif crs == BNG:
        out_of_uk = int((ok & ~in_bng(xy[:, 0], xy[:, 1])).sum())
        res = np.fmax(_integer_resolution(tx.iloc[okidx]), _integer_resolution(ty.iloc[okidx]))
    else:
        res = np.fmax(_integer_resolution(tx.iloc[okidx]), _integer_resolution(ty.iloc[okidx]))
    bng = to_bng(xy, crs) if crs in (WGS84, BNG) else None
    if bng is not None and crs == WGS84:
        bng[~ok] = np.nan
    assert len(xy) == n
    return GeoPoints(xy, crs, bng, res, swapped, out_of_uk)


# --------------------------------------------------------------------------------------------
# subject and k-anonymity
# --------------------------------------------------------------------------------------------


def _cell_codes(bng: np.ndarray, cell: float) -> np.ndarray:
    ij = np.floor(bng / cell).astype(np.int64)
    return ij[:, 0] * 1_000_000_000 + ij[:, 1]


def spatial_k(
    bng: np.ndarray, cell_m: float, k: int, density: np.ndarray | None = None
) -> dict[str, float | int | None]:
    """Records per occupied BNG cell of ``cell_m`` metres, optionally addresses per cell.

    Returns ``k_min``, ``cells``, ``share_cells_below_k``, ``density_min`` and
    ``share_density_below_k`` (None without a density layer).
    """
    pts = bng[np.isfinite(bng).all(axis=1)]
    out: dict[str, float | int | None] = {
        "k_min": None,
        "cells": 0,
        "share_cells_below_k": None,
        "density_min": None,
        "share_density_below_k": None,
    }
    if len(pts) == 0:
        return out
    codes, counts = np.unique(_cell_codes(pts, cell_m), return_counts=True)
    out["k_min"] = int(counts.min())
    out["cells"] = len(codes)
    out["share_cells_below_k"] = float((counts < k).mean())
    if density is not None:
        d = np.asarray(density, dtype=float).reshape(-1, 2)
        d = d[np.isfinite(d).all(axis=1)]
        dcodes, dcounts = np.unique(_cell_codes(d, cell_m), return_counts=True)
        per_cell = np.zeros(len(codes), dtype=np.int64)
        if len(dcodes):
            pos = np.clip(np.searchsorted(dcodes, codes), 0, len(dcodes) - 1)
            match = dcodes[pos] == codes
            per_cell[match] = dcounts[pos[match]]
        out["density_min"] = int(per_cell.min())
        out["share_density_below_k"] = float((per_cell < k).mean())
    return out


def assess_geo(
    frame: pd.DataFrame,
    *,
    name: str = "",
    crs_hint: int | None = None,
    geo_file: bool = False,
    k: int = 5,
    density: np.ndarray | None = None,
    sample: int = 2_000,
    person_related: bool = False,
    declared_subject: str | None = None,
) -> GeoAssessment:
    """Assess the points of one dataset.

    Parameters
    ----------
    frame
        String columns as read (not modified).
    name
        Dataset name (used for the subject hint and problem messages).
    crs_hint
        EPSG declared by the file (``triage.io.geo``), or None.
    geo_file
        True for GeoPackage/Shapefile input: a missing declared CRS is a ``crs_missing``
        problem even when values suggest one.
    k
        Spatial k-anonymity threshold.
    density
        Optional ``(m, 2)`` BNG points of addresses (the density layer).
    sample
        Values examined per column for detection.
    person_related
        The column classifier's verdict (``DatasetClassification.person_related``): evidence
        that the points are people's.
    declared_subject
        The triage answer ``record_subject`` (``people``, ``places_or_assets``, ``unsure``),
        which decides the subject when given.
    """
    pairs = find_coordinate_columns(frame, crs_hint=crs_hint, sample=sample)
    problems: list[Problem] = []
    # whose locations they are is judged with or without points: the addresses in the free
    # text of a planning register are the sites', those in case notes are people's
    judged = judge_subject(frame, name, declared=declared_subject, person_related=person_related)
    if not pairs:
        if geo_file and crs_hint is None:
            problems.append(
                Problem(
                    kind="crs_missing",
                    message="geo file has no CRS and no points found",
                    dataset=name or None,
                )
            )
        return GeoAssessment(
            (),
            crs_hint,
            0,
            0,
            0,
            None,
            judged.subject,
            k,
            problems=tuple(problems),
            subject_evidence=judged.sentence(),
        )
    subject = judged.subject
    cc = pairs[0]
    if geo_file and crs_hint is None:
        guess = f"; values look like EPSG:{cc.crs}" if cc.crs else ""
        problems.append(
            Problem(
                kind="crs_missing",
                message=f"geo file declares no CRS for {', '.join(cc.columns)}{guess} "
                "(not assumed)",
                dataset=name or None,
            )
        )
        cc = CoordinateColumns(cc.kind, cc.x, cc.y, None, cc.latlon_order)
    elif cc.crs is None:
        problems.append(
            Problem(
                kind="crs_missing",
                message=f"coordinate columns {', '.join(cc.columns)}: CRS unknown and values "
                "are ambiguous (not WGS84 degrees in the UK nor British National Grid metres)",
                dataset=name or None,
            )
        )
    pts = read_points(frame, cc)
    ok = np.isfinite(pts.xy).all(axis=1)
    n_points = int(ok.sum())
    res = pts.resolution_m[np.isfinite(pts.resolution_m)]
    precision = float(np.median(res)) if len(res) else None
    if pts.bng is not None and precision is not None:
        lattice = lattice_resolution_m(pts.bng)
        if lattice is not None and lattice > precision:
            precision = lattice
    if pts.swapped:
        problems.append(
            Problem(
                kind="coordinates_swapped",
                message=f"{pts.swapped:,} record(s) have latitude and longitude exchanged",
                dataset=name or None,
            )
        )
    if pts.out_of_uk:
        problems.append(
            Problem(
                kind="coordinates_out_of_uk",
                message=f"{pts.out_of_uk:,} record(s) lie outside the UK",
                dataset=name or None,
            )
        )
    extra: dict[str, float | int | None] = {}
    cell = None
    if pts.bng is not None and precision is not None:
        cell = max(float(precision), 1.0)
        extra = spatial_k(pts.bng, cell, k, density)
    return GeoAssessment(
        pairs=tuple(pairs),
        crs=cc.crs,
        n_points=n_points,
        swapped=pts.swapped,
        out_of_uk=pts.out_of_uk,
        precision_m=precision,
        subject=subject,
        k=k,
        cell_m=cell,
        k_min=extra.get("k_min"),  # type: ignore[arg-type]
        cells=int(extra.get("cells") or 0),
        share_cells_below_k=extra.get("share_cells_below_k"),
        density_min=extra.get("density_min"),  # type: ignore[arg-type]
        share_density_below_k=extra.get("share_density_below_k"),
        problems=tuple(problems),
        points_bng=pts.bng,
        subject_evidence=judged.sentence(),
    )
