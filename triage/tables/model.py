"""Aggregate tables: recognise count and magnitude tables in a frame of strings, and model them.

A :class:`Table` holds the full marginated array: along every axis the categories come first and
the last index is that dimension's total, so a 2-D table of 4 x 5 categories is a 5 x 6 array
whose ``[4, 5]`` entry is the grand total. Totals missing from the source are computed (and then
treated as published: conservative for suppression). ``cell_map`` maps array cells back to the
frame's ``(row index, column)`` so suppression marks and rounded values can be written back.

A measure column may hold the publisher's own suppression marks in place of small counts
(``triage.vocab.SUPPRESSION_MARKS``: "< 10", "*", "[c]", ".."): it is still a measure, its marked
cells are ``hidden`` (value NaN, bounded above by an interval mark), and totals that need them
stay unknown unless published; ``triage.tables.hidden`` audits what the totals recover.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from triage.vocab import SUPPRESSION_BOUND_PATTERN, SUPPRESSION_MARKS

logger = logging.getLogger(__name__)

TableKind = Literal["count", "magnitude"]
Cell = tuple[int, ...]

TOTAL_RE = re.compile(
    r"^\s*(?:grand\s+total|total(?:s)?(?:\s.*)?|all(?:\s.*)?|overall|england and wales|"
    r"all\s+persons|all\s+people|sum)?\s*$",
    re.IGNORECASE,
)
_COUNT_HINT = re.compile(
    r"(count|number|^n$|^n_|_n$|people|persons|households|frequency|freq|cases|residents|"
    r"pupils|patients|claimants|observation|obs_value|no\.)",
    re.IGNORECASE,
)
#: headers of measures that count no one and sum no contributions (an area in km², a rate, a
#: mean, a coordinate): columns of the table that small-cell and dominance rules do not read
_DESCRIPTIVE_HINT = re.compile(
    r"(?:^|[\W_])(area|km2?|sq|hectares?|ha|acres?|length|distance|miles|metres?|meters?"
    r"|density|rate|percent(?:age)?|pct|ratio|average|mean|median|score|index|lat|latitude"
    r"|lon|lng|longitude|easting|northing)(?:$|[\W_\d])",
    re.IGNORECASE,
)
_MAGNITUDE_HINT = re.compile(
    r"(amount|spend|£|\$|€|value|cost|income|turnover|salary|pay|revenue|gbp|expenditure|"
    r"price|sales|wage|profit|budget)",
    re.IGNORECASE,
)
#: record keys ("ref", "case_id"): numbers that name rows, never counts or dimensions
_KEY_HEADER = re.compile(r"(?:^|[_\s])(?:id|ref|reference|urn|uprn|key)$", re.IGNORECASE)
#: headers of a dimension's codes ("Age (C) (8 categories) Code", "WD18CD")
_CODE_HEADER = re.compile(r"(\bcode\b|\bcd$|[a-z0-9]cd$)", re.IGNORECASE)
_CONTRIB_HINT = re.compile(r"(contributor|n_units|enterprises|businesses|units)", re.IGNORECASE)
_NUM_CLEAN = re.compile(r"[,£$€\s]")
_BOUND = re.compile(SUPPRESSION_BOUND_PATTERN, re.IGNORECASE)


@dataclass(frozen=True)
class Dimension:
    """One table dimension: its name, category labels (in order) and the source's total label."""

    name: str
    categories: tuple[str, ...]
    total_label: str | None = None

    @property
    def size(self) -> int:
        """Number of categories (without the total)."""
        return len(self.categories)


@dataclass
class Table:
    """A count or magnitude table with marginal totals.

    Attributes
    ----------
    values:
        Full marginated array, shape ``(n_1 + 1, ..., n_d + 1)``; index ``n_i`` is the total.
    published:
        Boolean array, True where the cell appears in the source frame.
    cell_map:
        Cell index -> ``(frame row index, column name)`` for published cells.
    contributors:
        Optional number of contributors per cell (same shape as ``values``).
    top_contributions:
        Optional largest contributions per cell, descending, shape ``values.shape + (K,)``.
    totals_consistent:
        False when the source's totals did not equal the sum of their cells (they were then
        recomputed).
    hidden:
        Cells the publisher already suppressed (a mark of ``triage.vocab.SUPPRESSION_MARKS``
        in place of the count); their ``values`` are NaN, and so are the totals that cannot be
        computed without them. None when no cell is hidden.
    upper:
        Upper bound of every cell ("< 10" bounds a hidden count by 9; inf where unbounded).
    marks:
        The publisher's mark of each hidden cell, as written in the source.
    """

    name: str
    kind: TableKind
    measure: str
    dimensions: list[Dimension]
    values: np.ndarray
    published: np.ndarray
    cell_map: dict[Cell, tuple[Any, str]] = field(default_factory=dict)
    contributors: np.ndarray | None = None
    top_contributions: np.ndarray | None = None
    layout: Literal["long", "wide", "microdata"] = "long"
    totals_present: bool = False
    totals_consistent: bool = True
    notes: list[str] = field(default_factory=list)
    hidden: np.ndarray | None = None
    upper: np.ndarray | None = None
    marks: dict[Cell, str] = field(default_factory=dict)

    @property
    def unknown(self) -> np.ndarray:
        """Cells whose value is unknown: hidden ones and the totals that depend on them."""
        return np.isnan(self.values)

    def hidden_count(self) -> int:
        """Number of cells the publisher suppressed."""
        return 0 if self.hidden is None else int(self.hidden.sum())

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.dimensions)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the full (marginated) array."""
        return tuple(int(s) for s in self.values.shape)

    def is_margin(self, cell: Cell) -> bool:
        """True when ``cell`` is a total along at least one axis."""
        return any(c == d.size for c, d in zip(cell, self.dimensions, strict=True))

    def label(self, cell: Cell) -> dict[str, str]:
        """Category labels of ``cell`` (``"Total"`` for margins)."""
        out: dict[str, str] = {}
        for c, d in zip(cell, self.dimensions, strict=True):
            out[d.name] = (d.total_label or "Total") if c == d.size else d.categories[c]
        return out


def _parse_numbers(series: pd.Series) -> np.ndarray | None:
    """Parse a string column to floats; None when any non-missing value is not a number."""
    text = series.astype("string").str.replace(_NUM_CLEAN, "", regex=True)
    text = text.mask(text.isin(["-"]), "0")
    nums = pd.to_numeric(text, errors="coerce")
    bad = nums.isna() & text.notna() & (text != "")
    if bool(bad.any()) or nums.notna().sum() == 0:
        return None
    return nums.to_numpy(dtype=float, na_value=np.nan)


def suppression_bound(text: object) -> float | None:
    """The bound a publisher's mark puts on the hidden value: inf for a plain mark ("[c]",
    "*"), the largest value allowed for an interval mark ("< 10": 9.999..; "<= 5": 5), None
    when ``text`` is no suppression mark (see ``triage.vocab.SUPPRESSION_MARKS``)."""
    if not isinstance(text, str):
        return None
    plain = text.strip().lower()
    if plain in SUPPRESSION_MARKS:
        return math.inf
    m = _BOUND.match(plain)
    if m is None:
        return None
    bound = float(m.group(2))
    return bound if m.group(1) in ("<=", "≤") else math.nextafter(bound, -math.inf)


@dataclass(frozen=True)
class ParsedCells:
    """A measure column read as numbers, with the publisher's suppression marks."""

    values: np.ndarray
    #: True where the cell holds a suppression mark (its value is NaN)
    hidden: np.ndarray
    #: the bound of each mark (inf for plain marks and for numbers)
    upper: np.ndarray
    marks: tuple[str, ...]


def parse_cells(series: pd.Series) -> ParsedCells | None:
    """Parse a measure column whose cells are numbers or publisher suppression marks.

    None when a non-missing value is neither, or when no value is a number (a column of marks
    alone is no count column).
    """
    raw = series.astype("string")
    bounds = [suppression_bound(v) if isinstance(v, str) else None for v in raw.tolist()]
    hidden = np.array([b is not None for b in bounds], dtype=bool)
    if not hidden.any():
        values = _parse_numbers(series)
        if values is None:
            return None
        return ParsedCells(values, hidden, np.full(len(values), math.inf), ())
    known = _parse_numbers(series[~hidden])
    if known is None:
        return None
    values = np.full(len(series), np.nan)
    values[~hidden] = known
    upper = np.array([math.inf if b is None else b for b in bounds], dtype=float)
    marks = tuple(str(v).strip() for v, h in zip(raw.tolist(), hidden, strict=True) if h)
    return ParsedCells(values, hidden, upper, marks)


def _is_total(label: object) -> bool:
    if label is None or (isinstance(label, float) and np.isnan(label)) or label is pd.NA:
        return True
    return bool(TOTAL_RE.match(str(label)))


def margins_from_interior(interior: np.ndarray) -> np.ndarray:
    """Full marginated array from an interior array (all totals computed)."""
    full = np.zeros(tuple(s + 1 for s in interior.shape), dtype=float)
    full[tuple(slice(0, s) for s in interior.shape)] = interior
    for axis in range(interior.ndim):
        idx: list[Any] = [slice(None)] * interior.ndim
        src = list(idx)
        src[axis] = slice(0, interior.shape[axis])
        idx[axis] = interior.shape[axis]
        full[tuple(idx)] = full[tuple(src)].sum(axis=axis)
    return full


def margin_mismatches(full: np.ndarray, tolerance: float = 1e-6) -> int:
    """Number of marginal relations whose total differs from the sum of its cells."""
    bad = 0
    for axis in range(full.ndim):
        n = full.shape[axis] - 1
        inner = np.take(full, np.arange(n), axis=axis).sum(axis=axis)
        total = np.take(full, n, axis=axis)
        bad += int((np.abs(inner - total) > tolerance + 1e-9 * np.abs(total)).sum())
    return bad


def classify_kind(measure: str, values: np.ndarray, raw: pd.Series | None = None) -> TableKind:
    """Tell a count table from a magnitude table from the header and the values."""
    if _MAGNITUDE_HINT.search(measure):
        return "magnitude"
    if raw is not None and raw.astype("string").str.contains("£", regex=False).any():
        return "magnitude"
    vals = values[~np.isnan(values)]
    integral = bool(np.all(vals >= 0) and np.all(np.floor(vals) == vals))
    if _COUNT_HINT.search(measure) and integral:
        return "count"
    return "count" if integral else "magnitude"


def _rounding_slack(values: np.ndarray) -> float:
    vals = values[~np.isnan(values)]
    vals = vals[vals != 0]
    for base in (10, 5):
        if vals.size >= 4 and np.all(np.mod(vals, base) == 0):
            return base / 2
    return 0.0


def recognise_long(
    frame: pd.DataFrame,
    dimensions: Sequence[str],
    measure: str,
    *,
    name: str = "table",
    contributors: str | None = None,
    kind: TableKind | None = None,
    layout: Literal["long", "wide"] = "long",
    source: dict[Any, tuple[Any, str]] | None = None,
) -> Table | None:
    """Build a :class:`Table` from a long-format frame (dimension columns + a value column).

    Rows whose dimension value is a total label ("Total", "All ...", "Grand total", blank) are
    margins. Returns None when the frame is not a table (duplicate cells, non-numeric values).
    ``source`` maps row index -> ``(row, column)`` of the original frame (for melted wide frames).
    """
    if not dimensions or measure not in frame.columns:
        return None
    parsed = parse_cells(frame[measure])
    if parsed is None:
        return None
    values = parsed.values
    dims: list[Dimension] = []
    codes: list[np.ndarray] = []
    any_total = False
    for dim in dimensions:
        col = frame[dim]
        is_tot = np.array([_is_total(v) for v in col], dtype=bool)
        cats = list(dict.fromkeys(str(v) for v, t in zip(col, is_tot, strict=True) if not t))
        if not cats:
            return None
        tot_labels = [str(v) for v, t in zip(col, is_tot, strict=True) if t and isinstance(v, str)]
        pos = {c: i for i, c in enumerate(cats)}
        code = np.array(
            [len(cats) if t else pos[str(v)] for v, t in zip(col, is_tot, strict=True)], dtype=int
        )
        any_total = any_total or bool(is_tot.any())
        dims.append(Dimension(dim, tuple(cats), tot_labels[0] if tot_labels else None))
        codes.append(code)
    shape = tuple(d.size + 1 for d in dims)
    flat = np.ravel_multi_index(tuple(codes), shape)
    if np.unique(flat).size != flat.size:
        return None  # one cell per combination: otherwise this is microdata, not a table
    interior_cells = int(np.prod([d.size for d in dims]))
    interior_mask = np.all(np.stack([c < d.size for c, d in zip(codes, dims, strict=True)]), 0)
    if int(interior_mask.sum()) < 0.5 * interior_cells:
        return None
    full = np.full(shape, np.nan)
    full.flat[flat] = np.where(parsed.hidden, np.nan, np.nan_to_num(values, nan=0.0))
    published = np.zeros(shape, dtype=bool)
    published.flat[flat] = True
    hidden = np.zeros(shape, dtype=bool)
    hidden.flat[flat] = parsed.hidden
    inner = tuple(slice(0, d.size) for d in dims)
    # a missing combination counts 0; a hidden cell is unknown (NaN), and so are its totals
    interior = np.where(hidden[inner], np.nan, np.nan_to_num(full[inner], nan=0.0))
    computed = margins_from_interior(interior)
    slack = _rounding_slack(values)
    consistent = True
    notes: list[str] = []
    if any_total:
        margin_pub = published & ~_interior_mask(shape)
        diff = np.abs(np.nan_to_num(full, nan=0.0) - computed)
        tol = slack * max(d.size for d in dims) + 1e-6 * np.abs(computed) + 1e-9
        mism = int((margin_pub & (diff > tol)).sum())
        if mism:
            consistent = False
            notes.append(f"{mism} published totals differ from the sum of their cells; recomputed")
        elif slack and bool((margin_pub & (diff > 1e-9)).any()):
            notes.append("published totals agree with their cells within rounding")
    final = computed
    upper_arr: np.ndarray | None = None
    marks: dict[Cell, str] = {}
    if hidden.any():
        # a total that needs a hidden cell keeps its published value (or stays unknown)
        final = np.where(np.isnan(computed) & published & ~hidden, full, computed)
        final = _fill_margins(final, hidden)
        upper_arr = np.full(shape, math.inf)
        upper_arr.flat[flat] = parsed.upper
        notes.append(f"{int(hidden.sum())} cells already suppressed by the publisher")
    cell_map: dict[Cell, tuple[Any, str]] = {}
    mark_iter = iter(parsed.marks)
    for row_idx, f, is_hidden in zip(frame.index, flat, parsed.hidden, strict=True):
        cell = tuple(int(x) for x in np.unravel_index(int(f), shape))
        cell_map[cell] = source[row_idx] if source else (row_idx, measure)
        if is_hidden:
            marks[cell] = next(mark_iter)
    contrib_arr: np.ndarray | None = None
    if contributors and contributors in frame.columns:
        cvals = _parse_numbers(frame[contributors])
        if cvals is not None:
            cint = np.full(shape, np.nan)
            cint.flat[flat] = cvals
            inner = np.nan_to_num(cint[tuple(slice(0, d.size) for d in dims)], nan=0.0)
            contrib_arr = np.where(np.isnan(cint), margins_from_interior(inner), cint)
    tkind = kind or (
        "count" if _small_count_marks(parsed) else classify_kind(measure, values, frame[measure])
    )
    if upper_arr is not None and tkind == "count":
        upper_arr = np.floor(upper_arr)  # "< 10" leaves a count of at most 9
    return Table(
        name=name,
        kind=tkind,
        measure=measure,
        dimensions=dims,
        values=final,
        published=published,
        cell_map=cell_map,
        contributors=contrib_arr,
        layout=layout,
        totals_present=any_total,
        totals_consistent=consistent,
        notes=notes,
        hidden=hidden if hidden.any() else None,
        upper=upper_arr,
        marks=marks,
    )


def _fill_margins(full: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Compute the unknown totals whose cells are all known (a grand total from published
    column totals), repeatedly; hidden cells stay unknown."""
    out = full.copy()
    for _ in range(out.ndim):
        for axis in range(out.ndim):
            n = out.shape[axis] - 1
            inner = np.take(out, np.arange(n), axis=axis).sum(axis=axis)
            total = np.take(out, n, axis=axis)
            fill = np.isnan(total) & ~np.isnan(inner) & ~np.take(hidden, n, axis=axis)
            if fill.any():
                idx: list[Any] = [slice(None)] * out.ndim
                idx[axis] = n
                out[tuple(idx)] = np.where(fill, inner, total)
    return out


def _interior_mask(shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[tuple(slice(0, s - 1) for s in shape)] = True
    return mask


def recognise_wide(
    frame: pd.DataFrame,
    row_dimension: str,
    value_columns: Sequence[str],
    *,
    name: str = "table",
    column_dimension: str = "column",
    kind: TableKind | None = None,
) -> Table | None:
    """Build a 2-D :class:`Table` from a wide frame: one dimension down, categories across."""
    long_rows: list[dict[str, Any]] = []
    source: dict[Any, tuple[Any, str]] = {}
    for row_idx, row in frame.iterrows():
        for col in value_columns:
            source[len(long_rows)] = (row_idx, str(col))
            long_rows.append(
                {row_dimension: row[row_dimension], column_dimension: col, "__value__": row[col]}
            )
    long = pd.DataFrame(long_rows, dtype=object)
    measure_hint = " ".join(str(c) for c in value_columns)
    tbl = recognise_long(
        long,
        [row_dimension, column_dimension],
        "__value__",
        name=name,
        kind=kind or _wide_kind(measure_hint, long["__value__"]),
        layout="wide",
        source=source,
    )
    if tbl is None:
        return None
    tbl.measure = "value"
    return tbl


def _wide_kind(hint: str, raw: pd.Series) -> TableKind:
    parsed = parse_cells(raw)
    if parsed is not None and _small_count_marks(parsed):
        return "count"
    return classify_kind(hint, parsed.values if parsed is not None else np.zeros(0), raw)


def _small_count_marks(parsed: ParsedCells) -> bool:
    """True when the marks are small-count suppression ("< 10") over whole numbers: the
    convention of count tables, whatever a header says ("Properties paying business rates")."""
    vals = parsed.values[~np.isnan(parsed.values)]
    bounded = bool(np.isfinite(parsed.upper[parsed.hidden]).any())
    return bounded and bool(np.all(vals >= 0) and np.all(np.floor(vals) == vals))


#: Published tables have at most tens of thousands of cells; bigger frames are microdata.
MAX_TABLE_ROWS = 50_000


def _dimensions(frame: pd.DataFrame, categorical: list[Any]) -> list[Any]:
    """The categorical columns that are dimensions: labels that map one to one onto an
    earlier dimension ("area_name" beside "area_code") describe cells without splitting them."""
    kept: list[Any] = []
    for col in categorical:
        values = frame[col].astype(str)
        if any(_one_to_one(frame[k].astype(str), values) for k in kept):
            continue
        kept.append(col)
    return kept


def _kind_from_constants(frame: pd.DataFrame, constants: list[Any]) -> TableKind | None:
    """``count`` when a constant column says what a generic "value" counts ("measure: Count",
    "unit: Persons"), else None (the measure's header and values decide)."""
    said = " ".join(str(frame[c].iloc[0]) for c in constants if len(frame[c]))
    if _COUNT_HINT.search(said) and not _MAGNITUDE_HINT.search(said):
        return "count"
    return None


def _one_to_one(a: pd.Series, b: pd.Series) -> bool:
    pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates()
    return len(pairs) == a.nunique() == b.nunique()


def recognise_table(frame: pd.DataFrame, name: str = "table") -> Table | None:
    """Recognise a long or wide count/magnitude table in a frame of strings; None if not a table.

    Long: categorical columns + one numeric value column (+ optional contributors column), one row
    per cell. Wide: one categorical column + at least two numeric columns. Constant columns and
    labels of a dimension (an area name beside its code) are not dimensions; descriptive
    measures (an area in km², a rate: ``_DESCRIPTIVE_HINT``) are not cells.
    """
    if frame.shape[0] < 2 or frame.shape[1] < 2 or frame.shape[0] > MAX_TABLE_ROWS:
        return None
    keys = [c for c in frame.columns if _KEY_HEADER.search(str(c))]
    if any(frame[c].notna().all() and frame[c].is_unique for c in keys):
        return None  # a key per row names records: microdata, not cells of a table
    distinct = {c: frame[c].nunique(dropna=False) for c in frame.columns}
    varying = [c for c in frame.columns if distinct[c] > 1 and c not in keys]
    numeric = [c for c in varying if parse_cells(frame[c]) is not None]
    labels = [c for c in varying if c not in numeric]
    # a numeric code beside its label ("Age (C) Code" 1..8 and "Age (C)") is a dimension's
    # code, not a measure
    numeric = [
        c
        for c in numeric
        if not (
            _CODE_HEADER.search(str(c)) and any(_one_to_one(frame[c], frame[d]) for d in labels)
        )
    ]
    categorical = _dimensions(frame, labels)
    if not numeric:
        return None
    contrib = [c for c in numeric if _CONTRIB_HINT.search(str(c))]
    measures = [c for c in numeric if c not in contrib and not _DESCRIPTIVE_HINT.search(str(c))]
    if len(categorical) == 1 and len(measures) >= 2 and not contrib:
        return recognise_wide(frame, categorical[0], measures, name=name)
    if categorical and len(measures) == 1 and len(categorical) <= 4:
        return recognise_long(
            frame,
            categorical,
            measures[0],
            name=name,
            contributors=contrib[0] if contrib else None,
            kind=_kind_from_constants(frame, [c for c in frame.columns if c not in varying]),
        )
    return None


def table_from_microdata(
    frame: pd.DataFrame,
    dimensions: Sequence[str],
    value: str | None = None,
    *,
    contributor: str | None = None,
    name: str = "table",
    top: int = 5,
) -> Table:
    """Build a table (with contributions for dominance/p% rules) from microdata records.

    ``value`` None gives a count table (records per cell); otherwise a magnitude table summing
    ``value``. ``contributor`` (e.g. an enterprise id) aggregates records per contributor first.
    """
    df = pd.DataFrame({d: frame[d].astype("string").fillna("") for d in dimensions})
    if value is None:
        df["__v__"] = 1.0
    else:
        parsed = _parse_numbers(frame[value])
        if parsed is None:
            raise ValueError(f"column '{value}' is not numeric")
        df["__v__"] = np.nan_to_num(parsed, nan=0.0)
    df["__c__"] = (
        frame[contributor].astype("string").fillna("") if contributor else np.arange(len(frame))
    )
    dims = [Dimension(d, tuple(sorted(df[d].unique().tolist()))) for d in dimensions]
    shape = tuple(d.size + 1 for d in dims)
    codes = np.stack(
        [pd.Categorical(df[d.name], categories=list(d.categories)).codes for d in dims]
    ).astype(int)
    per = df.assign(__code__=np.ravel_multi_index(tuple(codes), tuple(d.size for d in dims)))
    values = np.zeros(shape)
    nctr = np.zeros(shape)
    topc = np.zeros((*shape, top))
    for totalled in itertools.product((False, True), repeat=len(dims)):
        cell_codes = [
            np.full(len(df), d.size) if t else codes[i]
            for i, (d, t) in enumerate(zip(dims, totalled, strict=True))
        ]
        key = np.ravel_multi_index(tuple(cell_codes), shape)
        g = (
            pd.DataFrame({"k": key, "c": per["__c__"].to_numpy(), "v": per["__v__"].to_numpy()})
            .groupby(["k", "c"], sort=False)["v"]
            .sum()
            .reset_index()
        )
        g = g.sort_values(["k", "v"], ascending=[True, False], kind="stable")
        g["rank"] = g.groupby("k").cumcount()
        sums = g.groupby("k")["v"].sum()
        counts = g.groupby("k")["v"].size()
        values.flat[sums.index.to_numpy()] = sums.to_numpy()
        nctr.flat[counts.index.to_numpy()] = counts.to_numpy()
        topg = g[g["rank"] < top]
        flat_top = topc.reshape(-1, top)
        flat_top[topg["k"].to_numpy(), topg["rank"].to_numpy()] = topg["v"].to_numpy()
    return Table(
        name=name,
        kind="count" if value is None else "magnitude",
        measure=value or "count",
        dimensions=dims,
        values=values,
        published=np.ones(shape, dtype=bool),
        contributors=nctr,
        top_contributions=topc,
        layout="microdata",
        totals_present=True,
    )


def table_to_frame(table: Table, cells: dict[Cell, str] | None = None) -> pd.DataFrame:
    """The full marginated table as a long frame of strings (totals labelled ``Total``)."""
    rows: list[dict[str, str]] = []
    for cell in itertools.product(*(range(s) for s in table.shape)):
        row = table.label(cell)
        v = table.values[cell]
        shown = table.marks.get(cell, "[unknown]" if np.isnan(v) else _fmt(v))
        row[table.measure] = (cells or {}).get(cell, shown)
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6g}"


def write_back(
    frame: pd.DataFrame,
    table: Table,
    suppressed: np.ndarray | None = None,
    *,
    marker: str = "[c]",
    new_values: np.ndarray | None = None,
) -> tuple[pd.DataFrame, int]:
    """Write suppression marks (and/or new values, e.g. rounded) into a copy of ``frame``.

    Cells the publisher already suppressed keep their mark. Returns the new frame and the
    number of frame cells changed.
    """
    out = frame.copy()
    changed = 0
    for cell, (row_idx, col) in table.cell_map.items():
        if cell in table.marks:
            continue  # the publisher's mark stays as written
        if suppressed is not None and bool(suppressed[cell]):
            out.at[row_idx, col] = marker
            changed += 1
        elif new_values is not None:
            text = _fmt(float(new_values[cell]))
            if str(out.at[row_idx, col]) != text:
                changed += 1
            out.at[row_idx, col] = text
    return out, changed
