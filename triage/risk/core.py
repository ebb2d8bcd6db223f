"""Microdata disclosure-risk metrics: k-anonymity, l-diversity, t-closeness, re-identification risk.

All computations work on factorised integer codes (see :mod:`triage.risk.classes`): one dense
class id per record, then ``np.bincount`` / ``np.unique`` over (class, value) pairs. No per-row
Python loops.

Missing values
--------------
``missing="own_value"`` (the default): a missing QI value is a category of its own. This is the
conservative choice for a release check (two records missing on the same QI are treated as
indistinguishable from each other but distinguishable from everyone else, so uniques are not
hidden) and it is what ``triage.risk.classes`` does. pycanon groups with pandas' ``groupby`` which
drops records with a missing QI, so exact agreement with pycanon holds on complete data.
``missing="matches_any"``: a missing QI value is a wildcard; the "class size" of a record is the
number of records compatible with it (equal on every QI where both are non-missing). It applies to
the class-size based metrics (k, below-k, uniques, prosecutor/journalist/individual risk); the
sensitive-attribute metrics (l, t, beta) always use ``own_value`` classes.

Conventions for l-diversity and t-closeness follow pycanon 1.3.6 (``gen=True``: the worst value
over all classes and all sensitive attributes). Where pycanon deviates from the literature the
pycanon number is reported under its own name (``*_pycanon``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from triage.errors import DataInputError
from triage.risk.classes import column_codes, combine_codes

logger = logging.getLogger(__name__)

Missing = Literal["own_value", "matches_any"]
MISSING_MODES: tuple[str, ...] = ("own_value", "matches_any")


# --------------------------------------------------------------------------------------------
# code cache: inside ``with cached_codes():`` each column's codes and each QI set's class ids are
# computed once per frame (frames are never mutated, per the data conventions)

_CacheEntry = tuple[pd.DataFrame, tuple[np.ndarray, int]]
_CACHE: ContextVar[dict[tuple[int, object], _CacheEntry] | None] = ContextVar(
    "triage_risk_codes", default=None
)


@contextmanager
def cached_codes() -> Iterator[None]:
    """Share factorised codes and class ids between metric calls inside the block."""
    token = _CACHE.set({}) if _CACHE.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _CACHE.reset(token)


def codes_of(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, int]:
    """``column_codes`` of one column, cached inside :func:`cached_codes`."""
    cache = _CACHE.get()
    if cache is None:
        return column_codes(frame[column])
    key = (id(frame), ("col", column))
    hit = cache.get(key)
    if hit is None or hit[0] is not frame:
        hit = (frame, column_codes(frame[column]))
        cache[key] = hit
    return hit[1]


def class_ids(frame: pd.DataFrame, qis: Sequence[str]) -> tuple[np.ndarray, int]:
    """Dense class id per record over ``qis`` (missing = own value), cached when enabled."""
    cache = _CACHE.get()
    if cache is None:
        return combine_codes([column_codes(frame[q]) for q in qis], len(frame))
    key = (id(frame), ("ids", tuple(qis)))
    hit = cache.get(key)
    if hit is None or hit[0] is not frame:
        hit = (frame, combine_codes([codes_of(frame, q) for q in qis], len(frame)))
        cache[key] = hit
    return hit[1]


# --------------------------------------------------------------------------------------------
# helpers


def _check_missing(missing: str) -> None:
    if missing not in MISSING_MODES:
        raise DataInputError(f"missing must be one of {MISSING_MODES}, got {missing!r}")


def _sorted_codes(series: pd.Series) -> tuple[np.ndarray, int]:
    """Codes ordered like ``np.unique`` of the values (missing last, as its own value)."""
    try:
        codes, uniques = pd.factorize(series, sort=True)
    except TypeError:  # mixed types that cannot be sorted together
        codes, uniques = pd.factorize(series.astype("str"), sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    n = len(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, n, codes)
        n += 1
    return codes, n


def _pairs(
    ids: np.ndarray, codes: np.ndarray, n_codes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (class, value) pairs sorted by class then value code, and their counts."""
    key = ids * max(n_codes, 1) + codes
    uniq, counts = np.unique(key, return_counts=True)
    return uniq // max(n_codes, 1), uniq % max(n_codes, 1), counts.astype(np.int64)


def weights_array(frame: pd.DataFrame, weights: str | None) -> np.ndarray | None:
    """Sampling weights as float64 (None when ``weights`` is None); must be finite and >= 1."""
    if weights is None:
        return None
    w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if len(w) and (not np.isfinite(w).all() or (w <= 0).any()):
        raise DataInputError(
            f"weight column {weights!r} has missing, non-numeric or non-positive values"
        )
    return w


# --------------------------------------------------------------------------------------------
# class sizes under both missing-value conventions


def compatible_sums(
    frame: pd.DataFrame, qis: Sequence[str], values: np.ndarray | None = None
) -> np.ndarray:
    """For each record, the sum of ``values`` (default 1) over records compatible with it.

    Compatible = equal on every QI where both records are non-missing (``missing="matches_any"``).
    Vectorised by missingness pattern: for patterns P (record) and Q (other), records match on the
    QIs missing in neither, so one grouped count per pattern pair. Cost O(patterns^2 * n).
    """
    n = len(frame)
    vals = np.ones(n) if values is None else np.asarray(values, dtype=np.float64)
    if not qis or n == 0:
        return np.full(n, vals.sum())
    codes_list = [codes_of(frame, q) for q in qis]
    na = np.column_stack([frame[q].isna().to_numpy() for q in qis])
    pattern_bits = (na * (1 << np.arange(len(qis)))).sum(axis=1)
    patterns, pattern_id = np.unique(pattern_bits, return_inverse=True)
    out = np.zeros(n)
    members = [np.flatnonzero(pattern_id == i) for i in range(len(patterns))]
    for pi, p in enumerate(patterns):
        rows_p = members[pi]
        for qi_, q in enumerate(patterns):
            rows_q = members[qi_]
            union = int(p) | int(q)
            cols = [i for i in range(len(qis)) if not (union >> i) & 1]
            parts = [(codes_list[i][0], codes_list[i][1]) for i in cols]
            rows = np.concatenate([rows_p, rows_q])
            ids, n_cls = combine_codes([(c[rows], m) for c, m in parts], len(rows))
            sums = np.bincount(ids[len(rows_p) :], weights=vals[rows_q], minlength=n_cls)
            out[rows_p] += sums[ids[: len(rows_p)]]
    return out


def class_sizes_any(
    frame: pd.DataFrame, qis: Sequence[str], missing: str = "own_value"
) -> np.ndarray:
    """Per-record class size (int64) under either missing-value convention."""
    _check_missing(missing)
    if missing == "matches_any":
        return np.rint(compatible_sums(frame, qis)).astype(np.int64)
    ids, n = class_ids(frame, qis)
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(ids, minlength=n).astype(np.int64)[ids]


def population_sizes(
    frame: pd.DataFrame,
    qis: Sequence[str],
    weights: np.ndarray | None,
    missing: str = "own_value",
) -> np.ndarray:
    """Per-record estimated population frequency F_k (sum of weights of the record's class)."""
    _check_missing(missing)
    if weights is None:
        return class_sizes_any(frame, qis, missing).astype(np.float64)
    if missing == "matches_any":
        return compatible_sums(frame, qis, weights)
    ids, n = class_ids(frame, qis)
    if len(ids) == 0:
        return np.zeros(0)
    return np.bincount(ids, weights=weights, minlength=n)[ids]


# --------------------------------------------------------------------------------------------
# k-anonymity family


@dataclass(frozen=True)
class KSummary:
    """k-anonymity, records below k, their share, sample uniques and the number of classes."""

    k_anonymity: int | None
    records_below_k: int | None
    share_below_k: float | None
    sample_uniques: int | None
    classes: int | None


def k_summary(
    frame: pd.DataFrame, qis: Sequence[str], k: int, missing: str = "own_value"
) -> KSummary:
    """k-anonymity metrics; all None when there are no QIs or no rows."""
    n = len(frame)
    if not qis or n == 0:
        return KSummary(None, None, None, None, None)
    if missing == "own_value":
        ids, classes = class_ids(frame, qis)
        sizes = np.bincount(ids, minlength=classes)[ids]
    else:
        sizes = class_sizes_any(frame, qis, missing)
        classes = int(class_ids(frame, qis)[1])  # distinct keys (missing as a value)
    below = int((sizes < k).sum())
    return KSummary(int(sizes.min()), below, below / n, int((sizes == 1).sum()), classes)


# --------------------------------------------------------------------------------------------
# l-diversity


def l_diversity_distinct(
    frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str]
) -> int | None:
    """Distinct l-diversity (pycanon ``l_diversity``): fewest distinct values in a class."""
    if not sensitive or len(frame) == 0:
        return None
    ids, n_cls = class_ids(frame, qis)
    best = None
    for s in sensitive:
        codes, m = codes_of(frame, s)
        distinct_pairs = np.asarray(pd.unique(ids * max(m, 1) + codes))
        v = int(np.bincount(distinct_pairs // max(m, 1), minlength=n_cls).min())
        best = v if best is None else min(best, v)
    return best


def _class_entropies(
    ids: np.ndarray, n_cls: int, codes: np.ndarray, m: int
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    cls, val, cnt = _pairs(ids, codes, m)
    size = np.bincount(ids, minlength=n_cls)
    p = cnt / size[cls]
    h = -np.bincount(cls, weights=p * np.log(p), minlength=n_cls)
    return h, (cls, val, cnt)


@dataclass(frozen=True)
class EntropyL:
    """Entropy l-diversity: ``l`` = exp(min class entropy); ``l_pycanon`` = pycanon's integer."""

    min_entropy: float
    l: float  # noqa: E741
    l_pycanon: int


def l_diversity_entropy(
    frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str]
) -> EntropyL | None:
    """Entropy l-diversity over all classes and sensitive attributes.

    ``l_pycanon`` reproduces ``pycanon.anonymity.entropy_l_diversity`` bit for bit: it floors
    ``e ** H`` with natural-log entropy summed in value order; classes close to the minimum with
    8+ values are recomputed with ``np.sum`` (pairwise summation) as pycanon does.
    """
    if not sensitive or len(frame) == 0:
        return None
    ids, n_cls = class_ids(frame, qis)
    h_min = np.inf
    l_pyc = None
    for s in sensitive:
        codes, m = _sorted_codes(frame[s])
        h, (cls, _, cnt) = _class_entropies(ids, n_cls, codes, m)
        hm = float(h.min())
        cand = np.flatnonzero(h <= hm + 1e-9)
        distinct = np.bincount(cls, minlength=n_cls)
        exact = h[cand].copy()
        starts = np.searchsorted(cls, cand)
        for j, (c, st) in enumerate(zip(cand, starts, strict=True)):
            if distinct[c] >= 8:
                counts = cnt[st : st + distinct[c]]
                p = counts / counts.sum()
                exact[j] = -np.sum(p * np.log(p))
        l_here = int((np.exp(1) ** exact).min())
        l_pyc = l_here if l_pyc is None else min(l_pyc, l_here)
        h_min = min(h_min, hm)
    assert l_pyc is not None
    return EntropyL(min_entropy=float(h_min), l=float(np.exp(h_min)), l_pycanon=l_pyc)


def _desc_ranks(
    cls: np.ndarray, cnt: np.ndarray, n_cls: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort pairs by class then count descending; return order, rank (1-based), suffix sums."""
    order = np.lexsort((-cnt, cls))
    c_cls, c_cnt = cls[order], cnt[order]
    starts = np.searchsorted(c_cls, np.arange(n_cls))
    rank = np.arange(len(c_cls)) - starts[c_cls] + 1
    total = np.bincount(c_cls, weights=c_cnt, minlength=n_cls)
    prefix = np.cumsum(c_cnt) - c_cnt  # exclusive prefix over the whole array
    suffix = total[c_cls] - (prefix - prefix[starts[c_cls]])  # sum of counts at rank >= own rank
    return order, rank, suffix


def recursive_cl_max_l(
    frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str], c: float
) -> int | None:
    """Largest l such that the data is recursive (c,l)-diverse (Machanavajjhala et al. 2007).

    A class with counts r_1 >= r_2 >= ... >= r_m is (c,l)-diverse when r_1 < c (r_l + ... + r_m).
    The result is the minimum over classes and sensitive attributes (0 when no l >= 1 holds).
    """
    if not sensitive or len(frame) == 0:
        return None
    ids, n_cls = class_ids(frame, qis)
    best = None
    for s in sensitive:
        codes, m = codes_of(frame, s)
        cls, _, cnt = _pairs(ids, codes, m)
        order, _rank, suffix = _desc_ranks(cls, cnt, n_cls)
        c_cls, c_cnt = cls[order], cnt[order]
        r1 = np.zeros(n_cls, dtype=np.int64)
        np.maximum.at(r1, c_cls, c_cnt)
        ok = r1[c_cls] < c * suffix
        v = int(np.bincount(c_cls, weights=ok, minlength=n_cls).min())
        best = v if best is None else min(best, v)
    return best


def recursive_cl_pycanon(
    frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str]
) -> tuple[float, int] | None:
    """(c, l) exactly as ``pycanon.anonymity.recursive_c_l_diversity`` (``gen=True``).

    pycanon takes l = distinct l-diversity and, per class, sorts counts ascending and sets
    c = floor(r[0] / sum(r[l-1:]) + 1) (r[0] is the *smallest* count, unlike the paper's r_1);
    c is the maximum over classes and attributes; c is NaN when l == 1.
    """
    l_div = l_diversity_distinct(frame, qis, sensitive)
    if l_div is None:
        return None
    if l_div <= 1:
        return float("nan"), l_div
    ids, n_cls = class_ids(frame, qis)
    c_best = -np.inf
    for s in sensitive:
        codes, m = codes_of(frame, s)
        cls, _, cnt = _pairs(ids, codes, m)
        order, rank, _suffix = _desc_ranks(cls, cnt, n_cls)
        c_cls, c_cnt = cls[order], cnt[order]
        distinct = np.bincount(c_cls, minlength=n_cls)
        rmin = np.full(n_cls, np.iinfo(np.int64).max)
        np.minimum.at(rmin, c_cls, c_cnt)
        # ascending index l-1 and above == descending ranks 1 .. m-l+1
        top = np.bincount(
            c_cls, weights=c_cnt * (rank <= distinct[c_cls] - l_div + 1), minlength=n_cls
        )
        c_here = np.floor(rmin / top + 1)
        c_best = max(c_best, float(c_here.max()))
    return float(int(c_best)), l_div


def check_recursive_cl(
    frame: pd.DataFrame,
    qis: Sequence[str],
    sensitive: Sequence[str],
    c: float,
    l: int,  # noqa: E741
    convention: Literal["standard", "pycanon"] = "standard",
) -> bool | None:
    """Whether every class is recursive (c,l)-diverse.

    ``standard``: r_1 < c (r_l + ... + r_m) with counts sorted descending (the paper).
    ``pycanon``: the inequality implied by pycanon's c: r_min < c * (sum of the m-l+1 largest),
    with at least l distinct values; True exactly when c >= pycanon's c for pycanon's l.
    """
    if not sensitive or len(frame) == 0:
        return None
    ids, n_cls = class_ids(frame, qis)
    for s in sensitive:
        codes, m = codes_of(frame, s)
        cls, _, cnt = _pairs(ids, codes, m)
        order, rank, _suffix = _desc_ranks(cls, cnt, n_cls)
        c_cls, c_cnt = cls[order], cnt[order]
        distinct = np.bincount(c_cls, minlength=n_cls)
        if (distinct < l).any():
            return False
        if convention == "standard":
            r1 = np.zeros(n_cls, dtype=np.int64)
            np.maximum.at(r1, c_cls, c_cnt)
            tail = np.bincount(c_cls, weights=c_cnt * (rank >= l), minlength=n_cls)
            if not (r1 < c * tail).all():
                return False
        else:
            rmin = np.full(n_cls, np.iinfo(np.int64).max)
            np.minimum.at(rmin, c_cls, c_cnt)
            top = np.bincount(
                c_cls, weights=c_cnt * (rank <= distinct[c_cls] - l + 1), minlength=n_cls
            )
            if not (rmin / top < c).all():
                return False
    return True


# --------------------------------------------------------------------------------------------
# t-closeness and beta-likeness


def _ordered_codes(series: pd.Series, order: str | Sequence[str] | None) -> tuple[np.ndarray, int]:
    """Codes in the attribute's order: numeric value order, a given category order, or sorted."""
    if order is None or (isinstance(order, str) and order != "numeric"):
        return _sorted_codes(series)
    if isinstance(order, str):  # "numeric": parse strings as numbers; unparsable/missing last
        num = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        codes, uniques = pd.factorize(num, sort=True)
        codes = np.asarray(codes, dtype=np.int64)
        n = len(uniques)
        if (codes < 0).any():
            codes = np.where(codes < 0, n, codes)
            n += 1
        return codes, n
    rank = {v: i for i, v in enumerate(order)}
    mapped = series.map(rank)
    if mapped.isna().any() and series.notna().any():
        unknown = series[mapped.isna() & series.notna()]
        if len(unknown):
            raise DataInputError(
                f"column {series.name!r}: {len(unknown)} values outside the given order"
            )
    filled = mapped.fillna(len(order)).to_numpy(dtype=np.int64)
    codes, uniques = pd.factorize(filled, sort=True)  # dense over the values present
    return np.asarray(codes, dtype=np.int64), len(uniques)


def _t_one(ids: np.ndarray, n_cls: int, codes: np.ndarray, m: int, ordered: bool) -> float:
    n = len(ids)
    p = np.bincount(codes, minlength=m) / n
    cls, val, cnt = _pairs(ids, codes, m)
    size = np.bincount(ids, minlength=n_cls)
    q = cnt / size[cls]
    if not ordered:
        # 0.5 * sum_v |q_v - p_v|, absent values contribute p_v
        emd = 0.5 * (np.bincount(cls, weights=np.abs(q - p[val]) - p[val], minlength=n_cls) + 1.0)
        return float(emd.max())
    if m <= 1:
        return 0.0
    cum_p = np.cumsum(p)  # P_i, i = 0..m-1
    cp = np.concatenate([[0.0], np.cumsum(cum_p)])  # prefix sums of P
    starts = np.searchsorted(cls, np.arange(n_cls))
    cum_q = np.cumsum(q)
    cum_q = cum_q - (cum_q[starts[cls]] - q[starts[cls]])  # per-class cumulative Q at each pair
    first = np.zeros(len(cls), dtype=bool)
    first[starts] = True
    nxt = np.empty(len(cls), dtype=np.int64)
    nxt[:-1] = val[1:]
    last = np.ones(len(cls), dtype=bool)
    last[:-1] = cls[1:] != cls[:-1]
    nxt[last] = m
    # segments: [0, first value) with Q = 0, and [val_a, val_{a+1}) with Q = cum_q_a
    lo = np.concatenate([np.zeros(int(first.sum()), dtype=np.int64), val])
    hi = np.concatenate([val[first], nxt])
    qq = np.concatenate([np.zeros(int(first.sum())), cum_q])
    seg_cls = np.concatenate([cls[first], cls])
    s = np.clip(np.searchsorted(cum_p, qq), lo, hi)
    part = qq * (s - lo) - (cp[s] - cp[lo]) + (cp[hi] - cp[s]) - qq * (hi - s)
    emd = np.bincount(seg_cls, weights=part, minlength=n_cls) / (m - 1)
    return float(emd.max())


def t_closeness(
    frame: pd.DataFrame,
    qis: Sequence[str],
    sensitive: Sequence[str],
    t_ordered: Mapping[str, str | Sequence[str]] | None = None,
) -> float | None:
    """t for t-closeness, the maximum over classes and sensitive attributes (pycanon's method).

    Ordered attributes use the ordered-distance EMD (1/(m-1)) sum_i |sum_{j<=i} (q_j - p_j)| over
    the m distinct values present; others the equal-distance EMD 0.5 sum_i |q_i - p_i|. A column
    is ordered when named in ``t_ordered`` (``"numeric"`` = parse as numbers, or a list giving
    the category order) or when its dtype is numeric (pycanon's rule).
    """
    if not sensitive or len(frame) == 0:
        return None
    t_ordered = t_ordered or {}
    ids, n_cls = class_ids(frame, qis)
    best = 0.0
    for s in sensitive:
        spec = t_ordered.get(s)
        if spec is None and pd.api.types.is_numeric_dtype(frame[s]):
            spec = "numeric"
        codes, m = _ordered_codes(frame[s], spec) if spec is not None else _sorted_codes(frame[s])
        best = max(best, _t_one(ids, n_cls, codes, m, spec is not None))
    return best


def basic_beta_likeness(
    frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str]
) -> float | None:
    """Basic beta-likeness (pycanon): max over classes and values of (q_v - p_v) / p_v."""
    if not sensitive or len(frame) == 0:
        return None
    ids, n_cls = class_ids(frame, qis)
    best = -np.inf
    for s in sensitive:
        codes, m = codes_of(frame, s)
        p = np.bincount(codes, minlength=m) / len(ids)
        cls, val, cnt = _pairs(ids, codes, m)
        q = cnt / np.bincount(ids, minlength=n_cls)[cls]
        best = max(best, float(((q - p[val]) / p[val]).max()))
    return best
