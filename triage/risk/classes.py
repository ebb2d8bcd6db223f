"""Disclosure-risk metrics over quasi-identifiers: k-anonymity, uniques, l-diversity.

Convention: a missing value (None, NaN, pd.NA) counts as a value of its own, so two records
that are both missing on a QI (and equal on the rest) are in the same equivalence class, and a
missing sensitive value is one distinct sensitive value. (The other convention, missing as a
wildcard matching anything, is not implemented yet.)

Everything is vectorised: each column is factorised to integer codes, the codes of the QIs are
combined into one int64 key (mixed radix, re-densified whenever the radix product could
overflow), and classes are counted with ``np.bincount``.

>>> import pandas as pd
>>> f = pd.DataFrame({"age": ["30", "30", "40", None], "sex": ["F", "F", "M", None],
...                   "dx": ["flu", "cold", "flu", "flu"]})
>>> class_sizes(f, ["age", "sex"]).tolist()
[2, 2, 1, 1]
>>> k_anonymity(f, ["age", "sex"]), unique_records(f, ["age", "sex"])
(1, 2)
>>> records_below_k(f, ["age", "sex"], 2), l_diversity(f, ["age", "sex"], ["dx"])
(2, 1)
>>> k_anonymity(f, []) is None, l_diversity(f, ["age"], []) is None
(True, True)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from triage.models import RiskMetrics

logger = logging.getLogger(__name__)

_LIMIT = 1 << 62


def column_codes(series: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes (int64) of a column and the number of distinct codes.

    Missing values get one code of their own (the last one).

    >>> import pandas as pd
    >>> codes, n = column_codes(pd.Series(["b", None, "a", "b", float("nan")]))
    >>> codes.tolist(), n
    ([0, 2, 1, 0, 2], 3)
    """
    codes, uniques = pd.factorize(series)
    codes = np.asarray(codes, dtype=np.int64)
    n = len(uniques)
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, n, codes)
        n += 1
    return codes, n


def combine_codes(parts: Sequence[tuple[np.ndarray, int]], n_rows: int) -> tuple[np.ndarray, int]:
    """Combine per-column codes into one dense class id per record (0..n_classes-1).

    >>> import numpy as np
    >>> ids, n = combine_codes([(np.array([0, 0, 1]), 2), (np.array([1, 1, 1]), 2)], 3)
    >>> ids.tolist(), n
    ([0, 0, 1], 2)
    """
    if not parts:
        return np.zeros(n_rows, dtype=np.int64), 1 if n_rows else 0
    key, card = parts[0][0].astype(np.int64, copy=False), max(parts[0][1], 1)
    for codes, n in parts[1:]:
        n = max(n, 1)
        if card * n >= _LIMIT:
            key, card = _densify(key)
        key = key * n + codes
        card = card * n
    return _densify(key)


def _densify(key: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(key, sort=False)
    return np.asarray(codes, dtype=np.int64), max(len(uniques), 1)


def class_ids(frame: pd.DataFrame, qis: Sequence[str]) -> tuple[np.ndarray, int]:
    """Dense equivalence-class id of each record over ``qis`` and the number of classes."""
    return combine_codes([column_codes(frame[q]) for q in qis], len(frame))


def class_sizes(frame: pd.DataFrame, qis: Sequence[str]) -> np.ndarray:
    """Size of each record's equivalence class over ``qis`` (int64 array, one per record)."""
    ids, n = class_ids(frame, qis)
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(ids, minlength=n).astype(np.int64)[ids]


def sizes_from_ids(ids: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-record class size from dense class ids."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(ids, minlength=n_classes).astype(np.int64)[ids]


def k_anonymity(frame: pd.DataFrame, qis: Sequence[str]) -> int | None:
    """Smallest equivalence-class size; None when there are no QIs or no rows."""
    if not qis or len(frame) == 0:
        return None
    return int(class_sizes(frame, qis).min())


def unique_records(frame: pd.DataFrame, qis: Sequence[str]) -> int | None:
    """Records alone in their equivalence class; None when there are no QIs or no rows."""
    if not qis or len(frame) == 0:
        return None
    return int((class_sizes(frame, qis) == 1).sum())


def records_below_k(frame: pd.DataFrame, qis: Sequence[str], k: int) -> int | None:
    """Records in classes smaller than ``k``; None when there are no QIs or no rows."""
    if not qis or len(frame) == 0:
        return None
    return int((class_sizes(frame, qis) < k).sum())


def l_diversity(frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str]) -> int | None:
    """Distinct l-diversity: fewest distinct sensitive values in any class, over all attributes.

    None when there are no sensitive attributes or no rows. With no QIs the whole dataset is
    one class.
    """
    if not sensitive or len(frame) == 0:
        return None
    ids, n_classes = class_ids(frame, qis)
    best: int | None = None
    for column in sensitive:
        codes, n = column_codes(frame[column])
        pairs = ids * max(n, 1) + codes
        distinct_pairs = pd.unique(pairs)
        per_class = np.bincount(np.asarray(distinct_pairs) // max(n, 1), minlength=n_classes)
        value = int(per_class[per_class > 0].min())
        best = value if best is None else min(best, value)
    return best


def risk_metrics(
    frame: pd.DataFrame, qis: Sequence[str], sensitive: Sequence[str], k: int
) -> RiskMetrics:
    """All risk metrics of ``frame`` at once (class sizes computed once)."""
    qis = list(qis)
    sensitive = list(sensitive)
    if qis and len(frame):
        sizes = class_sizes(frame, qis)
        k_anon: int | None = int(sizes.min())
        uniques: int | None = int((sizes == 1).sum())
        below: int | None = int((sizes < k).sum())
    else:
        k_anon = uniques = below = None
    return RiskMetrics(
        k_anonymity=k_anon,
        unique_records=uniques,
        l_diversity=l_diversity(frame, qis, sensitive),
        records_below_k=below,
        quasi_identifiers=qis,
        sensitive_attributes=sensitive,
    )
