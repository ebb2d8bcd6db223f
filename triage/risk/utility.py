"""Utility (information-loss) measures of a treated dataset against its original.

Records are matched by index: ``treated`` holds the surviving records of ``original`` (same
index labels, e.g. as ``anonymise_k`` returns them); records absent from ``treated`` are
*suppressed records*. A cell equal to ``"*"`` in ``treated`` but not in ``original`` is a
*suppressed cell*. Missing values are a value of their own (as in :mod:`triage.risk.classes`).

Measures (all over the quasi-identifiers ``qis``):

* ``generalisation_intensity``: mean over QIs of ``level / top level`` (0: original, 1: all
  ``"*"``), from the levels the treatment chose.
* ``suppressed_cells`` / ``suppressed_records``.
* ``discernibility``: sum over equivalence classes of the squared class size, plus
  ``n_original`` for each suppressed record (Bayardo & Agrawal 2005; ARX's DM*).
* ``non_uniform_entropy``: ARX's definition, ``sum over QIs and records of
  -log2 P(original value | generalised value)``, P estimated over all original records;
  suppressed records count as ``"*"`` in every QI. ``non_uniform_entropy_normalised`` divides
  by its value when every QI is ``"*"`` (0: no loss, 1: all lost).
* ``average_class_size_ratio`` (C_avg, LeFevre et al. 2006): ``(records / classes) / k``.

>>> import pandas as pd
>>> o = pd.DataFrame({"age": ["31", "32", "47", "48"], "sex": ["F", "F", "M", "M"]})
>>> t = pd.DataFrame({"age": ["30-39", "30-39", "40-49", "40-49"], "sex": ["F", "F", "M", "M"]})
>>> r = utility_report(o, t, ["age", "sex"], {"age": (2, 4), "sex": (0, 1)}, k=2)
>>> r["generalisation_intensity"], r["discernibility"], r["non_uniform_entropy"]
(0.25, 8, 4.0)
>>> r["average_class_size_ratio"], r["before"]["discernibility"]
(1.0, 4)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from triage.risk.classes import class_sizes, column_codes, combine_codes

logger = logging.getLogger(__name__)

SUPPRESSED = "*"


def generalisation_intensity(levels: Mapping[str, tuple[int, int]]) -> float | None:
    """Mean of ``level / top`` over the QIs (``{qi: (level, top)}``); None when empty.

    >>> generalisation_intensity({"age": (2, 4), "sex": (1, 1), "pc": (0, 4)})
    0.5
    """
    parts = [lv / top if top > 0 else 0.0 for lv, top in levels.values()]
    return float(np.mean(parts)) if parts else None


def suppressed_cells(original: pd.DataFrame, treated: pd.DataFrame, qis: list[str]) -> int:
    """Cells of surviving records that are ``"*"`` in ``treated`` but not in ``original``.

    >>> o = pd.DataFrame({"a": ["1", "*", "3"]}, index=[0, 1, 2])
    >>> suppressed_cells(o, pd.DataFrame({"a": ["*", "*"]}, index=[0, 1]), ["a"])
    1
    """
    total = 0
    for q in qis:
        before = original.loc[treated.index, q].to_numpy(dtype=object)
        after = treated[q].to_numpy(dtype=object)
        total += int(((after == SUPPRESSED) & (before != SUPPRESSED)).sum())
    return total


def discernibility(frame: pd.DataFrame, qis: list[str], suppressed: int = 0, n: int = 0) -> int:
    """Sum of squared class sizes plus ``n`` per suppressed record.

    >>> discernibility(pd.DataFrame({"a": ["x", "x", "y"]}), ["a"], suppressed=1, n=4)
    9
    """
    sizes = class_sizes(frame, qis) if len(frame) else np.zeros(0, dtype=np.int64)
    # each record contributes its class size once: sum over records of |E| = sum |E|^2
    return int(np.asarray(sizes, dtype=np.int64).sum()) + suppressed * n


def average_class_size_ratio(frame: pd.DataFrame, qis: list[str], k: int) -> float | None:
    """C_avg: (records / equivalence classes) / k; None without records.

    >>> average_class_size_ratio(pd.DataFrame({"a": ["x", "x", "y", "y"]}), ["a"], 2)
    1.0
    """
    if len(frame) == 0:
        return None
    _ids, n_classes = combine_codes([column_codes(frame[q]) for q in qis], len(frame))
    return len(frame) / n_classes / k


def _generalised_over_all(original: pd.DataFrame, treated: pd.DataFrame, q: str) -> pd.Series:
    out = pd.Series(SUPPRESSED, index=original.index, dtype=object)
    out.loc[treated.index] = treated[q].to_numpy(dtype=object)
    return out


def _conditional_entropy_sum(orig: pd.Series, gen: pd.Series) -> float:
    """Sum over records of -log2 P(orig value | gen value), P over the records."""
    o_codes, o_n = column_codes(orig.reset_index(drop=True))
    g_codes, g_n = column_codes(gen.reset_index(drop=True))
    pair = g_codes * o_n + o_codes
    pair_counts = np.bincount(pair, minlength=g_n * o_n)[pair]
    gen_counts = np.bincount(g_codes, minlength=g_n)[g_codes]
    return float(-np.log2(pair_counts / gen_counts).sum())


def non_uniform_entropy(original: pd.DataFrame, treated: pd.DataFrame, qis: list[str]) -> float:
    """ARX's non-uniform entropy (bits; suppressed records count as ``"*"``).

    >>> o = pd.DataFrame({"a": ["1", "2", "3", "4"]})
    >>> non_uniform_entropy(o, pd.DataFrame({"a": ["*"] * 4}), ["a"])
    8.0
    """
    total = 0.0
    for q in qis:
        total += _conditional_entropy_sum(original[q], _generalised_over_all(original, treated, q))
    return total + 0.0


def utility_report(
    original: pd.DataFrame,
    treated: pd.DataFrame,
    qis: list[str],
    levels: Mapping[str, tuple[int, int]] | None = None,
    k: int | None = None,
) -> dict[str, Any]:
    """Utility measures of ``treated`` against ``original`` over ``qis``.

    ``levels``: ``{qi: (chosen level, top level)}`` from the treatment (None: intensity not
    reported); ``k``: for C_avg (None: not reported). Returns a JSON-friendly dict with the
    "after" figures at top level and a ``"before"`` dict for the original.
    """
    n = len(original)
    removed = n - len(treated)
    nue = non_uniform_entropy(original, treated, qis)
    all_star = original.iloc[0:0]
    nue_max = non_uniform_entropy(original, all_star, qis) if n else 0.0
    report: dict[str, Any] = {
        "records": n,
        "records_after": len(treated),
        "generalisation_intensity": generalisation_intensity(levels) if levels else None,
        "suppressed_cells": suppressed_cells(original, treated, qis),
        "suppressed_records": removed,
        "discernibility": discernibility(treated, qis, removed, n),
        "non_uniform_entropy": nue,
        "non_uniform_entropy_normalised": nue / nue_max if nue_max > 0 else 0.0,
        "average_class_size_ratio": (
            average_class_size_ratio(treated, qis, k) if k is not None else None
        ),
        "before": {
            "discernibility": discernibility(original, qis),
            "average_class_size_ratio": (
                average_class_size_ratio(original, qis, k) if k is not None else None
            ),
        },
    }
    return report
