"""Special uniques: SUDA-style minimal sample uniques (MSUs) and per-record SUDA scores.

An MSU of a record is a set of QIs on which the record is unique in the sample while it is not
unique on any proper subset (Elliot et al., "SUDA: A Program for Detecting Special Uniques";
Manning, Haglin & Keane 2008). Subsets are scanned by increasing size; a record unique on a
subset is minimal there only if it is unique on none of the subset's (size-1) subsets, so
supersets of MSUs are pruned without being enumerated per record. Missing values are their own
value here.

Score: an MSU of size k among ATT QIs with maximum MSU size M scores
prod_{i=k}^{min(M, ATT-1)} (ATT - i) (Elliot et al.; sdcMicro ``suda2`` with
``original_scores=TRUE``); the record's SUDA score is the sum over its MSUs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from triage.risk.classes import combine_codes
from triage.risk.core import codes_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SudaResult:
    """MSUs found: per record count/min size/score, per QI the number of MSUs containing it."""

    max_size: int
    msu_count: np.ndarray  # per record
    min_msu_size: np.ndarray  # per record, 0 when none
    score: np.ndarray  # per record
    msus_total: int
    msus_by_qi: dict[str, int]
    msus_by_size: dict[int, int]


def msu_score(size: int, n_qis: int, max_size: int) -> int:
    """SUDA weight of one MSU of ``size`` among ``n_qis`` QIs, maximum MSU size ``max_size``.

    >>> msu_score(1, 5, 3), msu_score(2, 5, 3), msu_score(3, 5, 3)
    (24, 6, 2)
    """
    out = 1
    for i in range(size, min(max_size, n_qis - 1) + 1):
        out *= n_qis - i
    return out


def suda(frame: pd.DataFrame, qis: Sequence[str], max_size: int | None = None) -> SudaResult:
    """Enumerate MSUs up to ``max_size`` QIs (default: 3, or all QIs when there are <= 3)."""
    qis = list(qis)
    n = len(frame)
    q = len(qis)
    if max_size is None:
        max_size = q if q <= 3 else 3
    max_size = max(0, min(max_size, q))
    codes = [codes_of(frame, c) for c in qis]
    count = np.zeros(n, dtype=np.int64)
    min_size = np.zeros(n, dtype=np.int64)
    score = np.zeros(n, dtype=np.int64)
    by_qi = dict.fromkeys(qis, 0)
    by_size: dict[int, int] = {}
    unique_prev: dict[tuple[int, ...], np.ndarray] = {}
    # candidates: only records unique on the full key can have an MSU
    full_ids, n_full = combine_codes(codes, n)
    cand = np.flatnonzero(np.bincount(full_ids, minlength=n_full)[full_ids] == 1) if n else full_ids
    for size in range(1, max_size + 1):
        unique_now: dict[tuple[int, ...], np.ndarray] = {}
        weight = msu_score(size, q, max_size)
        total = 0
        for combo in combinations(range(q), size):
            ids, n_cls = combine_codes([codes[i] for i in combo], n)
            uniq = (np.bincount(ids, minlength=n_cls)[ids] == 1)[cand]
            unique_now[combo] = uniq
            minimal = uniq.copy()
            if size > 1:
                for sub in combinations(combo, size - 1):
                    minimal &= ~unique_prev[sub]
            hits = cand[minimal]
            if len(hits):
                count[hits] += 1
                score[hits] += weight
                min_size[hits] = np.where(min_size[hits] == 0, size, min_size[hits])
                for i in combo:
                    by_qi[qis[i]] += len(hits)
                total += len(hits)
        # uniqueness is monotone (unique on S => unique on every superset), so checking the
        # (size-1)-subsets is enough to exclude supersets of any smaller MSU
        unique_prev = unique_now
        by_size[size] = total
    return SudaResult(max_size, count, min_size, score, int(count.sum()), by_qi, by_size)
