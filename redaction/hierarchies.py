"""Generalisation hierarchies for quasi-identifiers.

A :class:`Hierarchy` has ``levels`` levels: level 0 is the original value, the last level is
``"*"`` (fully suppressed, missing values included), and the levels in between are ever coarser
groupings (age bands, postcode sectors, years...). Values that cannot be parsed generalise to
``"*"`` at every level above 0, so nothing unexpected leaks through a coarse level.
Missing values stay missing below the top level (they are a value of their own).

Generalisation is vectorised over the distinct values of a column: the column is factorised,
the distinct values are mapped once, and the result is taken back to the rows.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

SUPPRESSED = "*"

#: maps an object array of distinct non-missing strings to an object array of labels
LevelFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Hierarchy:
    """A generalisation hierarchy.

    Attributes
    ----------
    name:
        Hierarchy name (usually the QI kind).
    level_fns:
        One function per intermediate level (1 .. levels-2), mapping distinct values to labels.
    level_names:
        Human names of every level, level 0 ("original") to the last ("suppressed").
    """

    name: str
    level_fns: tuple[LevelFn, ...]
    level_names: tuple[str, ...]
    #: builds the hierarchy to use on a given column (e.g. top coding at a percentile of
    #: the data, or a check of user rules against the column's values); None: ``self``
    fit_fn: Callable[[pd.Series], Hierarchy] | None = field(default=None, compare=False)

    def fit(self, series: pd.Series) -> Hierarchy:
        """The hierarchy to apply to ``series`` (``self`` unless it depends on the data)."""
        return self if self.fit_fn is None else self.fit_fn(series)

    def __post_init__(self) -> None:
        if len(self.level_names) != len(self.level_fns) + 2:
            raise ValueError("level_names must name every level, original and suppressed")

    @property
    def levels(self) -> int:
        """Number of levels, including level 0 (original) and the top (``"*"``)."""
        return len(self.level_fns) + 2

    @property
    def top(self) -> int:
        """The highest level (everything ``"*"``)."""
        return self.levels - 1

    def _check(self, level: int) -> None:
        if not 0 <= level <= self.top:
            raise ValueError(f"hierarchy {self.name!r} has levels 0..{self.top}, not {level}")

    def map_uniques(self, uniques: np.ndarray, level: int) -> np.ndarray:
        """Labels at ``level`` of distinct non-missing values (object array in, object out)."""
        self._check(level)
        values = np.asarray(uniques, dtype=object)
        if level == 0:
            return values.copy()
        if level == self.top:
            return np.full(len(values), SUPPRESSED, dtype=object)
        if len(values) == 0:
            return values.copy()
        return np.asarray(self.level_fns[level - 1](values), dtype=object)

    def generalise(self, series: pd.Series, level: int) -> pd.Series:
        """A new series with every value generalised to ``level`` (input not changed)."""
        self._check(level)
        if level == 0:
            return series.copy()
        codes, uniques = pd.factorize(series)
        labels = self.map_uniques(np.asarray(uniques, dtype=object), level)
        missing_label: object = SUPPRESSED if level == self.top else None
        table = np.append(labels, np.array([missing_label], dtype=object))
        out = table[np.where(codes < 0, len(labels), codes)]
        return pd.Series(out, index=series.index, name=series.name, dtype=object)


def _as_str(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object).map(lambda v: str(v).strip())


# --------------------------------------------------------------------------- age / numeric


def band_label(value: float, width: int, top: int = 90) -> str:
    """Label of the age band of ``value`` with ``width`` years, top-coded at ``top``.

    >>> band_label(34, 5), band_label(34, 10), band_label(34, 20)
    ('30-34', '30-39', '20-39')
    >>> band_label(85, 20), band_label(93, 5), band_label(float("nan"), 5)
    ('80-89', '90+', '*')
    """
    if math.isnan(value) or value < 0 or math.isinf(value):
        return SUPPRESSED
    if value >= top:
        return f"{top}+"
    lo = int(value // width) * width
    hi = min(lo + width - 1, top - 1)
    return f"{lo}-{hi}"


def _age_level(width: int) -> LevelFn:
    def fn(values: np.ndarray) -> np.ndarray:
        nums = pd.to_numeric(_as_str(values), errors="coerce").astype(float).to_numpy()
        return np.array([band_label(float(v), width) for v in nums], dtype=object)

    return fn


def interval_label(value: float, width: float) -> str:
    """Half-open interval of ``width`` containing ``value``.

    >>> interval_label(42, 10), interval_label(-3, 5), interval_label(2.5, 0.5)
    ('[40, 50)', '[-5, 0)', '[2.5, 3)')
    >>> interval_label(float("nan"), 10)
    '*'
    """
    if math.isnan(value) or math.isinf(value):
        return SUPPRESSED
    lo = math.floor(value / width) * width
    return f"[{lo:g}, {lo + width:g})"


def _interval_level(width: float) -> LevelFn:
    def fn(values: np.ndarray) -> np.ndarray:
        nums = pd.to_numeric(_as_str(values), errors="coerce").astype(float).to_numpy()
        return np.array([interval_label(float(v), width) for v in nums], dtype=object)

    return fn


def numeric_hierarchy(width: float = 10.0, factors: tuple[int, ...] = (1, 2, 4)) -> Hierarchy:
    """Intervals of ``width * f`` for each factor, then ``"*"``; non-numbers become ``"*"``."""
    if width <= 0:
        raise ValueError("width must be positive")
    widths = tuple(width * f for f in factors)
    return Hierarchy(
        name="numeric",
        level_fns=tuple(_interval_level(w) for w in widths),
        level_names=("original", *(f"intervals of width {w:g}" for w in widths), "suppressed"),
    )


def coded_interval_labels(
    nums: np.ndarray,
    width: float | None,
    bottom: float | None = None,
    top: float | None = None,
    start: float = 0.0,
    integer: bool = False,
) -> np.ndarray:
    """Labels of numbers in intervals of ``width`` from ``start``, bottom- and top-coded.

    Values below ``bottom`` are ``"<bottom"``, values at or above ``top`` are ``"top+"``;
    intervals are cut at ``bottom`` and ``top``; ``width`` None keeps the value itself
    (top/bottom coding only). ``integer`` labels closed integer ranges (``"30-34"``) instead
    of half-open intervals (``"[30, 35)"``). NaN and infinities: ``"*"``.

    >>> nums = np.array([3.0, 16, 34, 95, np.nan])
    >>> coded_interval_labels(nums, 10, bottom=16, top=90, integer=True).tolist()
    ['<16', '16-19', '30-39', '90+', '*']
    >>> coded_interval_labels(nums, None, bottom=16, top=90).tolist()
    ['<16', '16', '34', '90+', '*']
    >>> coded_interval_labels(np.array([2.5, 7.0]), 5).tolist()
    ['[0, 5)', '[5, 10)']
    """
    out = np.full(len(nums), SUPPRESSED, dtype=object)
    for i, v in enumerate(np.asarray(nums, dtype=float)):
        if math.isnan(v) or math.isinf(v):
            continue
        if bottom is not None and v < bottom:
            out[i] = f"<{bottom:g}"
        elif top is not None and v >= top:
            out[i] = f"{top:g}+"
        elif width is None:
            out[i] = f"{v:g}"
        else:
            lo = start + math.floor((v - start) / width) * width
            hi = lo + width
            if bottom is not None:
                lo = max(lo, bottom)
            if top is not None:
                hi = min(hi, top)
            out[i] = f"{lo:g}-{hi - 1:g}" if integer else f"[{lo:g}, {hi:g})"
    return out


def _coded_level(
    width: float | None, bottom: float | None, top: float | None, start: float, integer: bool
) -> LevelFn:
    def fn(values: np.ndarray) -> np.ndarray:
        nums = pd.to_numeric(_as_str(values), errors="coerce").astype(float).to_numpy()
        return coded_interval_labels(nums, width, bottom, top, start, integer)

    return fn


def interval_hierarchy(
    widths: tuple[float | None, ...] = (5, 10, 20),
    bottom: float | None = None,
    top: float | None = None,
    start: float = 0.0,
    integer: bool = False,
    name: str = "intervals",
    top_percentile: float | None = None,
    bottom_percentile: float | None = None,
) -> Hierarchy:
    """Numeric intervals of growing ``widths`` with optional bottom and top coding.

    Each width must be a multiple of the one before (so intervals nest and the hierarchy is
    monotone); a first width of None is a level with exact values, only top/bottom coded.
    ``top_percentile`` / ``bottom_percentile`` (0-100) set ``top`` / ``bottom`` from the
    column's values when the hierarchy is fitted to a column (:meth:`Hierarchy.fit`).

    >>> h = interval_hierarchy((None, 5, 10), bottom=16, top=90, integer=True)
    >>> [h.map_uniques(np.array(["12", "34", "93"], dtype=object), lv).tolist()
    ...  for lv in range(h.levels)]  # doctest: +NORMALIZE_WHITESPACE
    [['12', '34', '93'], ['<16', '34', '90+'], ['<16', '30-34', '90+'],
     ['<16', '30-39', '90+'], ['*', '*', '*']]
    """
    if not widths:
        raise ValueError("at least one width is needed")
    for i, w in enumerate(widths):
        if w is None:
            if i:
                raise ValueError("only the first width may be None (exact values)")
            continue
        if w <= 0:
            raise ValueError("widths must be positive")
        prev = widths[i - 1] if i else None
        if prev is not None:
            ratio = w / prev
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
                raise ValueError("each width must be a multiple of the one before")
    if bottom is not None and top is not None and bottom >= top:
        raise ValueError("bottom must be below top")

    def names() -> tuple[str, ...]:
        coded = ", ".join(
            x
            for x in (
                f"under {bottom:g} bottom-coded" if bottom is not None else "",
                f"{top:g}+ top-coded" if top is not None else "",
            )
            if x
        )
        suffix = f" ({coded})" if coded else ""
        parts = [("exact values" if w is None else f"intervals of {w:g}") + suffix for w in widths]
        return ("original", *parts, "suppressed")

    fit_fn: Callable[[pd.Series], Hierarchy] | None = None
    if top_percentile is not None or bottom_percentile is not None:

        def fit_fn(series: pd.Series) -> Hierarchy:
            nums = pd.to_numeric(series.map(lambda v: str(v).strip()), errors="coerce")
            nums = nums[np.isfinite(nums.astype(float))]
            t, b = top, bottom
            if len(nums):
                if top_percentile is not None:
                    t = float(np.percentile(nums.astype(float), top_percentile))
                if bottom_percentile is not None:
                    b = float(np.percentile(nums.astype(float), bottom_percentile))
            if t is not None and b is not None and b >= t:
                b = None
            return interval_hierarchy(widths, b, t, start, integer, name)

    return Hierarchy(
        name=name,
        level_fns=tuple(_coded_level(w, bottom, top, start, integer) for w in widths),
        level_names=names(),
        fit_fn=fit_fn,
    )


# --------------------------------------------------------------------------- dates

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ].*)?$")
_COMPACT = re.compile(r"^\d{8}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_dates(values: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Parse date strings; returns (timestamps, precision) with precision "day"/"month"/"year".

    ISO forms (``2024-03-05``, ``20240305``, ``2024-03``, ``2024``) are read as such; anything
    else is read day-first (UK ``05/03/2024``, ``5 March 2024``). Unparseable: ``NaT``.

    >>> ts, prec = parse_dates(np.array(["2024-03-05", "05/03/2024", "2024-03", "1999", "x"]))
    >>> [str(t.date()) if not pd.isna(t) else None for t in ts]
    ['2024-03-05', '2024-03-05', '2024-03-01', '1999-01-01', None]
    >>> list(prec)
    ['day', 'day', 'month', 'year', 'day']
    """
    text = _as_str(values)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    precision = np.full(len(text), "day", dtype=object)
    iso = text.str.match(_ISO).to_numpy(dtype=bool)
    compact = text.str.match(_COMPACT).to_numpy(dtype=bool)
    ym = text.str.match(_YEAR_MONTH).to_numpy(dtype=bool)
    year = text.str.match(_YEAR).to_numpy(dtype=bool)
    other = ~(iso | compact | ym | year)
    if iso.any():
        out[iso] = pd.to_datetime(
            text[iso].str.slice(0, 10), format="mixed", yearfirst=True, errors="coerce"
        )
    if compact.any():
        out[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    if ym.any():
        out[ym] = pd.to_datetime(text[ym] + "-01", format="%Y-%m-%d", errors="coerce")
        precision[ym] = "month"
    if year.any():
        out[year] = pd.to_datetime(text[year] + "-01-01", format="%Y-%m-%d", errors="coerce")
        precision[year] = "year"
    if other.any():
        out[other] = pd.to_datetime(text[other], format="mixed", dayfirst=True, errors="coerce")
    return out, precision


def _date_level(kind: str) -> LevelFn:
    def fn(values: np.ndarray) -> np.ndarray:
        ts, precision = parse_dates(values)
        result = np.full(len(values), SUPPRESSED, dtype=object)
        ok = ts.notna().to_numpy(dtype=bool)
        years = ts.dt.year.to_numpy(dtype=float, na_value=np.nan)
        months = ts.dt.month.to_numpy(dtype=float, na_value=np.nan)
        for i in np.flatnonzero(ok):
            y = int(years[i])
            if kind == "month":
                month = f"{y:04d}-{int(months[i]):02d}"
                result[i] = f"{y:04d}" if precision[i] == "year" else month
            elif kind == "year":
                result[i] = f"{y:04d}"
            else:  # decade
                result[i] = f"{y - y % 10}s"
        return result

    return fn


# --------------------------------------------------------------------------- postcodes

_OUTWARD = r"[A-Z]{1,2}\d[A-Z\d]?"
_UNIT = re.compile(rf"^({_OUTWARD}) *(\d[A-Z]{{2}})$")
_GIR = re.compile(r"^(GIR) *(0AA)$")
_SECTOR = re.compile(rf"^({_OUTWARD}) +(\d)$")
_DISTRICT = re.compile(rf"^({_OUTWARD})$")


def postcode_parts(value: str) -> tuple[str, str, str] | None:
    """(sector, district, area) of a UK postcode, or None when it is not one.

    Unit postcodes may lack the space; a sector or district alone generalises no finer
    than itself.

    >>> postcode_parts("LS1 4AB"), postcode_parts("ls14ab")
    (('LS1 4', 'LS1', 'LS'), ('LS1 4', 'LS1', 'LS'))
    >>> postcode_parts("EC1A1BB"), postcode_parts("GIR 0AA"), postcode_parts("LS1")
    (('EC1A 1', 'EC1A', 'EC'), ('GIR 0', 'GIR', 'GIR'), ('LS1', 'LS1', 'LS'))
    >>> postcode_parts("not a postcode") is None
    True
    """
    text = " ".join(str(value).upper().split())
    m = _UNIT.match(text) or _GIR.match(text)
    if m:
        outward, inward = m.group(1), m.group(2)
        sector = f"{outward} {inward[0]}"
    else:
        m = _SECTOR.match(text)
        if m:
            outward, sector = m.group(1), f"{m.group(1)} {m.group(2)}"
        else:
            m = _DISTRICT.match(text)
            if not m:
                return None
            outward = sector = m.group(1)
    area = re.match(r"^[A-Z]+", outward)
    assert area is not None
    return sector, outward, area.group(0)


_RE2_OUT = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_RE2_FORMS = (  # (pattern, has a sector digit), tried in postcode_parts' order
    (rf"^(?P<out>{_RE2_OUT}) *(?P<digit>[0-9])[A-Z]{{2}}$", True),
    (r"^(?P<out>GIR) *(?P<digit>0)AA$", True),
    (rf"^(?P<out>{_RE2_OUT}) +(?P<digit>[0-9])$", True),
    (rf"^(?P<out>{_RE2_OUT})$", False),
)


def postcode_table(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`postcode_parts` (RE2 via pyarrow): sector, district and area
    arrays, None where a value is not a postcode.

    >>> [list(a) for a in postcode_table(np.array(["ls14ab", "LS1 4", "nope"], dtype=object))]
    [['LS1 4', 'LS1 4', None], ['LS1', 'LS1', None], ['LS', 'LS', None]]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_upper(pa.array([str(v) for v in values], type=pa.string()))
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    n = len(values)
    sector = np.full(n, None, dtype=object)
    district = np.full(n, None, dtype=object)
    todo = np.ones(n, dtype=bool)
    for pattern, has_digit in _RE2_FORMS:
        parts = pc.extract_regex(text, pattern=pattern)
        ok = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool) & todo
        if not ok.any():
            continue
        out = np.asarray(parts.field("out").to_numpy(zero_copy_only=False), dtype=object)
        district[ok] = out[ok]
        if has_digit:
            digit = np.asarray(parts.field("digit").to_numpy(zero_copy_only=False), dtype=object)
            sector[ok] = np.char.add(np.char.add(out[ok].astype(str), " "), digit[ok].astype(str))
        else:
            sector[ok] = out[ok]
        todo &= ~ok
    area = np.full(n, None, dtype=object)
    found = ~todo
    if found.any():
        letters = pc.extract_regex(
            pa.array(list(district[found]), type=pa.string()), r"^(?P<a>[A-Z]+)"
        )
        area[found] = np.asarray(letters.field("a").to_numpy(zero_copy_only=False), dtype=object)
    return sector, district, area


def _postcode_level(index: int) -> LevelFn:
    def fn(values: np.ndarray) -> np.ndarray:
        part = postcode_table(values)[index]
        return np.where(pd.isna(part), SUPPRESSED, part).astype(object)

    return fn


def _masked_digits_level(digits: int) -> LevelFn:
    """Postal codes written as digits with their last ``digits`` digits masked
    ("82667" -> "826**"), as ARX's ZIP code hierarchies do."""

    def fn(values: np.ndarray) -> np.ndarray:
        text = _as_str(values).str.strip()
        head = text.str.slice(0, 5).str.slice(0, -digits)
        return (
            (head + SUPPRESSED * digits)
            .where(text.str.len() > digits, SUPPRESSED)
            .to_numpy(dtype=object)
        )

    return fn


# --------------------------------------------------------------------------- ethnicity

_ETHNIC_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Not stated", ("not stated", "prefer not", "not known", "unknown", "declined", "refused")),
    ("Mixed", ("mixed", "multiple")),
    ("Asian", ("asian", "indian", "pakistani", "bangladeshi", "chinese")),
    ("Black", ("black", "african", "caribbean")),
    (
        "White",
        (
            "white",
            "english",
            "welsh",
            "scottish",
            "northern irish",
            "british",
            "irish",
            "gypsy",
            "traveller",
            "roma",
        ),
    ),
    ("Other", ("arab", "other")),
)


def ethnic_group(value: str) -> str:
    """ONS 2021 top-level ethnic group (Asian, Black, Mixed, White, Other) of a category.

    Unrecognised values become "Other" so no rare label leaks; explicit non-answers become
    "Not stated".

    >>> ethnic_group("Asian, Asian British or Asian Welsh: Pakistani")
    'Asian'
    >>> ethnic_group("Mixed or Multiple ethnic groups: White and Black Caribbean")
    'Mixed'
    >>> ethnic_group("White: Gypsy or Irish Traveller"), ethnic_group("Other ethnic group: Arab")
    ('White', 'Other')
    >>> ethnic_group("Black British"), ethnic_group("Prefer not to say"), ethnic_group("Zzz")
    ('Black', 'Not stated', 'Other')
    """
    text = str(value).lower()
    for group, words in _ETHNIC_RULES:
        if any(w in text for w in words):
            return group
    return "Other"


def _ethnicity_level(values: np.ndarray) -> np.ndarray:
    return np.array([ethnic_group(str(v)) for v in values], dtype=object)


# --------------------------------------------------------------------------- registry


def suppression_hierarchy(name: str = "suppress") -> Hierarchy:
    """Two levels: the original value, then ``"*"``."""
    return Hierarchy(name=name, level_fns=(), level_names=("original", "suppressed"))


def _build(kind: str) -> Hierarchy:
    if kind == "age":
        return Hierarchy(
            "age",
            (_age_level(5), _age_level(10), _age_level(20)),
            ("original", "5-year bands", "10-year bands", "20-year bands", "suppressed"),
        )
    if kind == "event_date":
        return Hierarchy(
            "event_date",
            (_date_level("month"), _date_level("year")),
            ("original", "month", "year", "suppressed"),
        )
    if kind == "date_of_birth":
        return Hierarchy(
            "date_of_birth",
            (_date_level("year"), _date_level("decade")),
            ("original", "year", "decade", "suppressed"),
        )
    if kind == "postcode":
        return Hierarchy(
            "postcode",
            (_postcode_level(0), _postcode_level(1), _postcode_level(2)),
            ("original", "postcode sector", "postcode district", "postcode area", "suppressed"),
        )
    if kind == "postal_code":
        return Hierarchy(
            "postal_code",
            tuple(_masked_digits_level(d) for d in (1, 2, 3)),
            (
                "original",
                "last digit masked",
                "last 2 digits masked",
                "last 3 digits masked",
                "suppressed",
            ),
        )
    if kind == "ethnicity":
        return Hierarchy(
            "ethnicity", (_ethnicity_level,), ("original", "ONS 5 top-level groups", "suppressed")
        )
    if kind == "numeric":
        return numeric_hierarchy()
    return suppression_hierarchy(kind)


_CACHE: dict[str, Hierarchy] = {}

#: QI kinds with a hierarchy of their own (all others: original, then "*")
HIERARCHY_KINDS = (
    "age",
    "event_date",
    "date_of_birth",
    "postcode",
    "postal_code",
    "ethnicity",
    "numeric",
)


def hierarchy_for(qi_kind: str | None) -> Hierarchy:
    """The hierarchy of a QI kind (area, sex, occupation, unknown kinds: original then "*").

    >>> hierarchy_for("age").levels, hierarchy_for("postcode").levels, hierarchy_for("sex").levels
    (5, 5, 2)
    """
    kind = qi_kind or "suppress"
    if kind not in _CACHE:
        _CACHE[kind] = _build(kind)
    return _CACHE[kind]
