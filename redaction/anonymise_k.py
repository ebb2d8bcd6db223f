"""``anonymise_k``: least-information-loss generalisation plus suppression to reach k-anonymity.

The search space is the generalisation lattice: one level per QI (from its floor, see
``min_levels``, to the top of its hierarchy in :mod:`triage.redaction.hierarchies`). A node is
*feasible* when the records left in equivalence classes smaller than ``k`` are at most
``max_suppression`` of all records; those records are then removed.

Loss metric
-----------
Per QI, the normalised entropy loss of a level (ARX's non-uniform entropy, normalised):
``loss(q, l) = 1 - H(values at l) / H(values at level 0)``, with H the Shannon entropy of the
column's value distribution over all records (missing values are a value of their own). It is
0 for the original values, 1 for fully suppressed values (``"*"``; also 1 for a column that
has only one value at level 0), and made non-decreasing in the level. Unlike generalisation
*height*, it sees that 20-year age bands keep much of the information of an age, while
suppressing a two-valued ``sex`` column loses all of it. The generalisation loss of a node is
the mean over QIs; each removed record counts as fully lost, so a node's total loss is
``(1 - s) * gen_loss + s`` with ``s`` the share of records removed.

Search (optimal, after OLA / ARX Flash)
---------------------------------------
Feasibility is monotone (generalising never puts a record into a smaller class). Nodes are
visited best-first in increasing ``gen_loss`` (ties: lower levels first, in column order), so
the first feasible node's loss bounds the rest: the search stops as soon as the next node's
``gen_loss`` (a lower bound of its total loss) is no better than the best total found.
Specialisations of a node found infeasible are skipped without evaluation. The all-``"*"``
node needs no evaluation (one class of every record), so a solution always exists when
there are at least ``k`` records. The result is optimal for the metric; ties in total loss
(rounded to 12 decimals) go to the node with the smallest sum of levels, then the
lexicographically smallest levels (in column order).

Budget and fallback
-------------------
Evaluations are counted, not timed, so results are deterministic: at most ``_MAX_EVALS``
node evaluations and ``_WORK_BUDGET`` work units (rows or finer classes read) are spent, and
lattices larger than ``_MAX_LATTICE`` nodes are not enumerated. In either case a greedy
search runs (from the floors, repeatedly raise the QI that removes most records-below-k per
unit of ``gen_loss``, ties by column order) and the better of its result and the best node
found so far is used; the description then says the result is a heuristic.

Speed
-----
Each (column, level) code array, cardinality and entropy is computed once. A node is
evaluated in two steps:

1. *Hashed lower bound.* Every code of every (column, level) has a fixed pseudo-random
   64-bit salt; a record's hash is the sum of its salts, bucketed into about ``8 n`` (at
   most ``2**21``) buckets. Buckets are unions of classes, so the records in buckets smaller
   than ``k`` are a lower bound of those in classes smaller than ``k``: when it exceeds the
   budget the node is proven infeasible without grouping. Skipped when the exact count is
   as cheap (small key space).
2. *Rollup.* Exact class sizes are computed from a cached *class table* of a finer node
   (each distinct class's codes and size): codes are mapped up their hierarchies and the
   classes regrouped with their sizes as weights, so the work is proportional to the finer
   node's number of classes, not to the rows (the key trick of ARX and Flash). Tables with
   at most ``_STORE_SHARE`` of the rows are kept (at most ``_CACHE_TABLES`` tables and
   ``_CACHE_CLASSES`` classes; the largest is evicted first); the finer cached node with the
   fewest classes is used, else the rows. Rollup needs each hierarchy level to be a
   function of the level below (checked per column and level pair; otherwise rows are used).

Measured (``bench/bench_anonymise.py``, 2-core VM shared with other jobs): 1,000,000 rows x
9 QIs, k=5, lattice of 19,200 nodes: 776 evaluations, 21-33 s; UCI Adult (32,561 x 9,
ARX-style hierarchies): 1.3-2.8 s; an exhaustive search of a 2,880-node Adult lattice finds
the same least loss.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from triage.redaction.base import (
    Transform,
    TransformContext,
    TransformParams,
    TransformResult,
    changed_cells,
)
from triage.redaction.hierarchies import SUPPRESSED, Hierarchy
from triage.redaction.user_hierarchies import hierarchy_param

logger = logging.getLogger(__name__)

#: lattices with more nodes than this are searched greedily
_MAX_LATTICE = 200_000
#: evaluation budget: node evaluations, and work (rows or finer classes read by evaluations)
_MAX_EVALS = 20_000
_WORK_BUDGET = 3_000_000_000
#: class tables kept for rollup: at most this many classes in all
_CACHE_CLASSES = 8_000_000
_CACHE_TABLES = 24
_OVERFLOW = 1 << 62
#: lower-bound pre-check of a node: buckets of a multiplicative hash of the class codes
_HASH_BITS = 21
_SALT_SEED = 20240611
#: class tables are kept for rollup only when they have at most this share of the rows
_STORE_SHARE = 0.5
#: combined keys up to this cardinality are counted with bincount directly
_DIRECT_LIMIT = 1 << 21


class AnonymiseKParams(TransformParams):
    """Parameters of ``anonymise_k``.

    ``k``: target class size; ``max_suppression``: share of records that may be removed;
    ``min_levels``: lowest generalisation level per column name or QI kind (a column name
    wins over its kind), e.g. ``{"date_of_birth": 1}`` keeps dates of birth at year or coarser.
    ``hierarchies``: per column name or QI kind, the hierarchy to use instead of the built-in
    one: an inline definition, a built-in kind or a YAML path (``path#entry``), see
    :func:`triage.redaction.user_hierarchies.resolve_hierarchy`.
    """

    k: int = Field(default=5, ge=1)
    max_suppression: float = Field(default=0.05, ge=0.0, le=1.0)
    min_levels: dict[str, int] = Field(default_factory=dict)
    hierarchies: dict[str, str | dict[str, Any]] = Field(default_factory=dict)


class _Column:
    """Factorised column with cached generalised codes, cardinality and entropy per level."""

    def __init__(self, series: pd.Series, hierarchy: Hierarchy) -> None:
        self.series = series
        self.hierarchy = hierarchy
        codes, uniques = pd.factorize(series)
        self.codes = np.asarray(codes, dtype=np.int64)
        self.uniques = np.asarray(uniques, dtype=object)
        self._cache: dict[int, tuple[np.ndarray, int, np.ndarray]] = {}
        self._entropy: dict[int, float] = {}
        self._maps: dict[tuple[int, int], np.ndarray | None] = {}
        self._salts: dict[int, np.ndarray] = {}
        self._salted: dict[int, np.ndarray] = {}

    def level(self, level: int) -> tuple[np.ndarray, int, np.ndarray]:
        """(dense codes per record, number of codes, label per code; None label = missing)."""
        if level not in self._cache:
            labels = self.hierarchy.map_uniques(self.uniques, level)
            missing_label: object = SUPPRESSED if level == self.hierarchy.top else None
            labels = np.append(labels, np.array([missing_label], dtype=object))
            label_codes, label_uniques = pd.factorize(pd.Series(labels, dtype=object))
            label_codes = np.asarray(label_codes, dtype=np.int64)
            n_labels = len(label_uniques)
            label_codes = np.where(label_codes < 0, n_labels, label_codes)  # missing: own code
            table = np.array([*np.asarray(label_uniques, dtype=object), None], dtype=object)
            idx = np.where(self.codes < 0, len(labels) - 1, self.codes)
            raw = label_codes[idx]
            # re-densify so only codes that occur count towards the cardinality
            used = np.flatnonzero(np.bincount(raw, minlength=n_labels + 1))
            remap = np.full(n_labels + 1, -1, dtype=np.int64)
            remap[used] = np.arange(len(used), dtype=np.int64)
            self._cache[level] = (remap[raw], max(len(used), 1), table[used])
        return self._cache[level]

    def salt(self, level: int) -> np.ndarray:
        """A fixed pseudo-random int64 per code at ``level`` (for hashing classes)."""
        if level not in self._salts:
            card = self.level(level)[1]
            rng = np.random.default_rng([_SALT_SEED, level, card])
            self._salts[level] = rng.integers(
                np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=card, dtype=np.int64
            )
        return self._salts[level]

    def salted(self, level: int) -> np.ndarray:
        """The salt of every record's code at ``level`` (cached)."""
        if level not in self._salted:
            self._salted[level] = self.salt(level)[self.level(level)[0]]
        return self._salted[level]

    def rollup_map(self, finer: int, coarser: int) -> np.ndarray | None:
        """Codes at ``coarser`` indexed by codes at ``finer``; None when not a function."""
        key = (finer, coarser)
        if key not in self._maps:
            a, card_a, _ = self.level(finer)
            b, _, _ = self.level(coarser)
            table = np.zeros(card_a, dtype=np.int64)
            table[a] = b
            self._maps[key] = table if bool(np.array_equal(table[a], b)) else None
        return self._maps[key]

    def entropy(self, level: int) -> float:
        """Shannon entropy (bits) of the column's values at ``level`` over all records."""
        if level not in self._entropy:
            codes, card, _ = self.level(level)
            counts = np.bincount(codes, minlength=card).astype(float)
            counts = counts[counts > 0]
            p = counts / counts.sum() if counts.size else counts
            self._entropy[level] = float(-(p * np.log2(p)).sum()) if p.size else 0.0
        return self._entropy[level]

    def losses(self) -> list[float]:
        """Normalised entropy loss of every level (0 at level 0, 1 at the top, non-decreasing)."""
        top = self.hierarchy.top
        h0 = self.entropy(0)
        out: list[float] = []
        for lv in range(top + 1):
            if lv == top:
                loss = 1.0
            elif lv == 0 or h0 <= 0.0:
                loss = 0.0
            else:
                loss = min(max(1.0 - self.entropy(lv) / h0, 0.0), 1.0)
            out.append(max(loss, out[-1]) if out else loss)
        return out

    def values(self, level: int) -> pd.Series:
        codes, _, table = self.level(level)
        return pd.Series(table[codes], index=self.series.index, name=self.series.name, dtype=object)


@dataclass(frozen=True)
class _Choice:
    levels: tuple[int, ...]
    below: int
    gen_loss: float
    total: float


def _rank(c: _Choice) -> tuple[float, int, tuple[int, ...]]:
    """Order of preference: least total loss, then fewest levels raised, then column order."""
    return (round(c.total, 12), sum(c.levels), c.levels)


def _combine(columns: list[np.ndarray], cards: list[int]) -> tuple[np.ndarray, int]:
    """Mixed-radix key of aligned code arrays (re-densified only before int64 overflow)."""
    key: np.ndarray | None = None
    card = 1
    for codes, c in zip(columns, cards, strict=True):
        if c == 1:
            continue
        if key is None:
            key, card = codes.astype(np.int64), c
            continue
        if card * c >= _OVERFLOW:
            dense, uniques = pd.factorize(key)
            key, card = np.asarray(dense, dtype=np.int64), len(uniques)
        key = key * c + codes
        card *= c
    if key is None:
        return np.zeros(len(columns[0]) if columns else 0, dtype=np.int64), 1
    return key, card


class _Search:
    """Node evaluation with counting, shared by the lattice search and the greedy fallback."""

    def __init__(self, cols: list[_Column], floors: list[int], k: int, allowed: float) -> None:
        self.cols = cols
        self.floors = floors
        self.k = k
        self.allowed = allowed
        self.n = len(cols[0].codes)
        self.loss_tables = [c.losses() for c in cols]
        self.evaluations = 0
        #: rows or finer classes processed by evaluations (deterministic work measure)
        self.work = 0
        self._tables: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._cells = 0
        self._memo: dict[tuple[int, ...], int] = {}
        self._bounds: dict[tuple[int, ...], int] = {}

    def gen_loss(self, levels: tuple[int, ...]) -> float:
        return sum(t[lv] for t, lv in zip(self.loss_tables, levels, strict=True)) / len(levels)

    def total(self, levels: tuple[int, ...], below: int) -> float:
        s = below / self.n
        return (1.0 - s) * self.gen_loss(levels) + s

    def is_top(self, levels: tuple[int, ...]) -> bool:
        return all(lv == c.hierarchy.top for c, lv in zip(self.cols, levels, strict=True))

    def below(self, levels: tuple[int, ...], exact: bool = False) -> int:
        """Records in classes smaller than k at this node.

        Unless ``exact``, an infeasible node may get a lower bound above the budget instead
        (from a projection on a few QIs: a class of the projection is a union of classes of
        the node, so records below k in the node include those below k in the projection).
        """
        if levels in self._memo:
            return self._memo[levels]
        if not exact and levels in self._bounds:
            return self._bounds[levels]
        if self.is_top(levels):
            result = 0 if self.n >= self.k else self.n
        else:
            self.evaluations += 1
            if not exact:
                bound = self._projection_below(levels)
                if bound > self.allowed:
                    self._bounds[levels] = bound
                    return bound
            counts = self._class_counts(levels)
            result = int(counts[counts < self.k].sum())
        self._memo[levels] = result
        return result

    def _projection_below(self, levels: tuple[int, ...]) -> int:
        """A lower bound of the records below k: classes hashed into ``2**_HASH_BITS`` buckets.

        Merging classes (here by a hash of their codes) only makes classes larger, so the
        records in buckets smaller than k are a lower bound of those in classes smaller than
        k. Exact when no two classes share a bucket; cheap (no factorisation).
        """
        product = 1
        for col, lv in zip(self.cols, levels, strict=True):
            product *= col.level(lv)[1]
            if product > _DIRECT_LIMIT:
                break
        if product <= _DIRECT_LIMIT:
            return -1  # the exact count is as cheap
        parent = self._best_parent(levels)
        weights = None
        if parent is None:
            columns = [col.level(lv)[0] for col, lv in zip(self.cols, levels, strict=True)]
            self.work += self.n
        else:
            plevels, (pcodes, weights) = parent
            self.work += len(weights)
            columns = []
            for j, (a, b) in enumerate(zip(plevels, levels, strict=True)):
                m_ab = self.cols[j].rollup_map(a, b) if a != b else None
                columns.append(pcodes[:, j] if m_ab is None else m_ab[pcodes[:, j]])
        h: np.ndarray | None = None
        for col, lv, column in zip(self.cols, levels, columns, strict=True):
            salt = col.salt(lv)
            if len(salt) == 1:
                continue
            salted = col.salted(lv) if parent is None else salt[column]
            h = salted.copy() if h is None else np.add(h, salted, out=h)
        if h is None:
            return -1
        bits = min(_HASH_BITS, max(len(h).bit_length() + 3, 10))
        buckets = (h.view(np.uint64) >> np.uint64(64 - bits)).astype(np.int64)
        counts = np.bincount(buckets, weights=weights)
        return int(counts[(counts > 0) & (counts < self.k)].sum())

    # ------------------------------------------------------------------ rollup

    def _class_counts(self, levels: tuple[int, ...]) -> np.ndarray:
        """Sizes of the equivalence classes at ``levels``, rolled up from a cached finer node.

        A class table (the codes of every distinct class, one column per QI, and its size) is
        kept for evaluated nodes. A coarser node's classes are the finer node's classes with
        each code mapped up its hierarchy and regrouped (weights: the finer sizes), so work
        is proportional to the finer node's number of classes, not to the number of rows.
        """
        parent = self._best_parent(levels)
        if parent is None:
            columns = [col.level(lv)[0] for col, lv in zip(self.cols, levels, strict=True)]
            weights = None
            self.work += self.n
        else:
            plevels, (pcodes, weights) = parent
            self.work += len(weights)
            columns = []
            for j, (col, a, b) in enumerate(zip(self.cols, plevels, levels, strict=True)):
                m_ab = col.rollup_map(a, b) if a != b else None
                columns.append(pcodes[:, j] if m_ab is None else m_ab[pcodes[:, j]])
        cards = [col.level(lv)[1] for col, lv in zip(self.cols, levels, strict=True)]
        key, card = _combine(columns, cards)
        size = len(key)
        if card <= min(_DIRECT_LIMIT, 4 * size + 1024):
            full = np.bincount(key, weights=weights, minlength=card)
            present = np.flatnonzero(full)
            counts = full[present].astype(np.int64)
            if len(counts) > self.n * _STORE_SHARE:
                return counts
            first_full = np.empty(card, dtype=np.int64)
            first_full[key[::-1]] = np.arange(size - 1, -1, -1, dtype=np.int64)
            first = first_full[present]
        else:
            dense, uniques = pd.factorize(key)
            dense = np.asarray(dense, dtype=np.int64)
            m = len(uniques)
            counts = np.bincount(dense, weights=weights, minlength=m).astype(np.int64)
            if m > self.n * _STORE_SHARE:
                return counts
            first = np.empty(m, dtype=np.int64)
            first[dense[::-1]] = np.arange(size - 1, -1, -1, dtype=np.int64)
        codes = np.empty((len(counts), len(columns)), dtype=np.int32)
        for j, column in enumerate(columns):
            codes[:, j] = column[first]
        self._store(levels, codes, counts)
        return counts

    def _rollup_ok(self, finer: tuple[int, ...], levels: tuple[int, ...]) -> bool:
        for col, a, b in zip(self.cols, finer, levels, strict=True):
            if a > b or (a < b and col.rollup_map(a, b) is None):
                return False
        return True

    def _best_parent(
        self, levels: tuple[int, ...]
    ) -> tuple[tuple[int, ...], tuple[np.ndarray, np.ndarray]] | None:
        best: tuple[tuple[int, ...], tuple[np.ndarray, np.ndarray]] | None = None
        for node, table in self._tables.items():
            if len(table[1]) >= self.n:
                continue  # no cheaper than the rows
            if best is not None and len(table[1]) >= len(best[1][1]):
                continue
            if all(a <= b for a, b in zip(node, levels, strict=True)) and self._rollup_ok(
                node, levels
            ):
                best = (node, table)
        return best

    def _store(self, levels: tuple[int, ...], codes: np.ndarray, counts: np.ndarray) -> None:
        self._tables[levels] = (codes, counts)
        self._cells += len(counts)
        while len(self._tables) > 1 and (
            self._cells > _CACHE_CLASSES or len(self._tables) > _CACHE_TABLES
        ):
            # evict the largest table (the least useful: rolling up from it costs most)
            victim = max(self._tables, key=lambda node: len(self._tables[node][1]))
            self._cells -= len(self._tables.pop(victim)[1])

    def _key(self, levels: tuple[int, ...]) -> np.ndarray:
        key: np.ndarray | None = None
        card = 1
        for col, lv in zip(self.cols, levels, strict=True):
            codes, c, _ = col.level(lv)
            if c == 1:
                continue
            if key is None:
                key, card = codes, c
                continue
            if card * c > _DIRECT_LIMIT:
                dense, uniques = pd.factorize(key)
                key, card = np.asarray(dense, dtype=np.int64), len(uniques)
            key = key * c + codes
            card *= c
        if key is None:
            return np.zeros(self.n, dtype=np.int64)
        if card > _DIRECT_LIMIT:
            dense, _ = pd.factorize(key)
            key = np.asarray(dense, dtype=np.int64)
        return key

    def mask(self, levels: tuple[int, ...]) -> np.ndarray:
        """Per-record flag: in a class smaller than k at this node."""
        if self.is_top(levels):
            return np.full(self.n, self.n < self.k)
        key = self._key(levels)
        counts = np.bincount(key)
        return np.asarray(counts[key] < self.k)

    def choice(self, levels: tuple[int, ...]) -> _Choice:
        b = self.below(levels)
        return _Choice(levels, b, self.gen_loss(levels), self.total(levels, b))

    def feasible(self, levels: tuple[int, ...]) -> bool:
        return self.below(levels) <= self.allowed

    # ------------------------------------------------------------------ searches

    def top_choice(self) -> _Choice:
        return self.choice(tuple(c.hierarchy.top for c in self.cols))

    def lattice(self, max_evals: int) -> tuple[_Choice, bool]:
        """Best-first optimal search; (best node, proven optimal)."""
        ranges = [
            range(f, c.hierarchy.top + 1) for f, c in zip(self.floors, self.cols, strict=True)
        ]
        nodes = np.array(list(itertools.product(*ranges)), dtype=np.int64)
        losses = np.zeros(len(nodes))
        for j, table in enumerate(self.loss_tables):
            losses += np.asarray(table, dtype=float)[nodes[:, j]]
        losses = np.round(losses / len(self.cols), 12)
        # visit by loss, then levels lexicographically (first column most significant)
        order = np.lexsort((*(nodes[:, j] for j in reversed(range(nodes.shape[1]))), losses))
        known_infeasible = np.zeros(len(nodes), dtype=bool)
        top = self.top_choice()
        best = top if top.below <= self.allowed else None

        def consider(c: _Choice) -> None:
            nonlocal best
            if c.below <= self.allowed and (best is None or _rank(c) < _rank(best)):
                best = c

        # at_most[j][lv]: nodes whose level of QI j is <= lv
        at_most = [
            [nodes[:, j] <= lv for lv in range(c.hierarchy.top + 1)]
            for j, c in enumerate(self.cols)
        ]

        def mark_infeasible(levels: tuple[int, ...]) -> None:
            below = at_most[0][levels[0]].copy()
            for j in range(1, len(levels)):
                below &= at_most[j][levels[j]]
            known_infeasible[below] = True

        for idx in order:
            if best is not None and losses[idx] > round(best.total, 12):
                return best, True
            if known_infeasible[idx]:
                continue
            levels = tuple(int(x) for x in nodes[idx])
            if self.evaluations >= max_evals or self.work >= _WORK_BUDGET:
                fallback = self.greedy()
                consider(fallback)
                return (best if best is not None else fallback), False
            c = self.choice(levels)
            if c.below <= self.allowed:
                consider(c)
                continue
            # Flash-style probe: binary search up the cheapest path from this infeasible node
            # for the highest infeasible node on it; all its specialisations are infeasible.
            path = self._path(levels)
            lo, hi = 0, len(path) - 1  # path[lo] infeasible; path[hi] is the top
            while hi - lo > 1:
                mid = (lo + hi) // 2
                probe = self.choice(path[mid])
                if probe.below <= self.allowed:
                    consider(probe)
                    hi = mid
                else:
                    lo = mid
            mark_infeasible(path[lo])
        return (best if best is not None else top), True

    def _path(self, levels: tuple[int, ...]) -> list[tuple[int, ...]]:
        """From ``levels`` to the top, one level at a time, cheapest loss increase first."""
        path = [levels]
        current = levels
        while True:
            steps = [
                (self.loss_tables[i][lv + 1] - self.loss_tables[i][lv], i)
                for i, lv in enumerate(current)
                if lv < self.cols[i].hierarchy.top
            ]
            if not steps:
                return path
            _, i = min(steps)
            current = (*current[:i], current[i] + 1, *current[i + 1 :])
            path.append(current)

    def greedy(self) -> _Choice:
        """Raise the QI removing most records-below-k per unit of loss until feasible."""
        levels = tuple(self.floors)
        current = self.below(levels, exact=True)
        while current > self.allowed:
            best_key: tuple[float, int, int] | None = None
            best_levels = levels
            for i, col in enumerate(self.cols):
                if levels[i] >= col.hierarchy.top:
                    continue
                trial = (*levels[:i], levels[i] + 1, *levels[i + 1 :])
                count = self.below(trial, exact=True)
                cost = max(self.gen_loss(trial) - self.gen_loss(levels), 1e-9)
                key = (-(current - count) / cost, count, i)
                if best_key is None or key < best_key:
                    best_key, best_levels = key, trial
            if best_key is None:
                break
            levels, current = best_levels, best_key[1]
        return self.choice(levels)


def _floors(
    qis: list[str], cols: list[_Column], params: AnonymiseKParams, tctx: TransformContext
) -> list[int]:
    out = []
    for q, col in zip(qis, cols, strict=True):
        kind = tctx.qi_kinds.get(q)
        floor = params.min_levels.get(q)
        if floor is None and kind is not None:
            floor = params.min_levels.get(kind)
        out.append(min(max(int(floor or 0), 0), col.hierarchy.top))
    return out


def _level_text(col: _Column, level: int) -> str:
    name = col.hierarchy.level_names[level]
    if level == 0:
        return "original values"
    return name


@dataclass(frozen=True)
class KSearch:
    """The outcome of the generalisation search of ``anonymise_k`` (before suppression).

    ``levels``: ``{qi: (chosen level, top level)}`` (for
    :func:`triage.risk.utility.utility_report`); ``node``: the chosen levels in QI order;
    ``loss``: total loss of the node (see the module doc); ``records_below_k``: records the
    node leaves in classes below k (to be suppressed); ``evaluations``: nodes evaluated.
    """

    levels: dict[str, tuple[int, int]]
    node: tuple[int, ...]
    loss: float
    records_below_k: int
    evaluations: int
    lattice_size: int
    optimal: bool
    method: str
    _search: _Search = field(repr=False, compare=False)
    _cols: list[_Column] = field(repr=False, compare=False)
    _chosen: _Choice = field(repr=False, compare=False)


def search_k(
    frame: pd.DataFrame, qis: list[str], params: AnonymiseKParams, tctx: TransformContext
) -> KSearch:
    """Run ``anonymise_k``'s search on ``frame`` (not changed) without applying it.

    ``frame`` must have rows and ``qis`` at least one column.
    """
    n = len(frame)
    cols = [
        _Column(
            frame[q], hierarchy_param(q, tctx.qi_kinds.get(q), params.hierarchies).fit(frame[q])
        )
        for q in qis
    ]
    floors = _floors(qis, cols, params, tctx)
    allowed = params.max_suppression * n
    search = _Search(cols, floors, params.k, allowed)
    lattice_size = math.prod(c.hierarchy.top + 1 - f for c, f in zip(cols, floors, strict=True))
    if lattice_size <= _MAX_LATTICE:
        chosen, optimal = search.lattice(_MAX_EVALS)
        method = (
            "optimal lattice search"
            if optimal
            else "lattice search stopped at its evaluation budget, best found or greedy"
        )
    else:
        greedy = search.greedy()
        top = search.top_choice()
        chosen = top if top.below <= allowed and top.total < greedy.total else greedy
        optimal, method = False, "greedy search (lattice too large)"
    logger.debug(
        "anonymise_k: %s, %d of %d nodes evaluated, levels %s",
        method,
        search.evaluations,
        lattice_size,
        chosen.levels,
    )
    return KSearch(
        levels={
            q: (lv, c.hierarchy.top) for q, c, lv in zip(qis, cols, chosen.levels, strict=True)
        },
        node=chosen.levels,
        loss=chosen.total,
        records_below_k=search.below(chosen.levels, exact=True),
        evaluations=search.evaluations,
        lattice_size=lattice_size,
        optimal=optimal,
        method=method,
        _search=search,
        _cols=cols,
        _chosen=chosen,
    )


class AnonymiseK(Transform[AnonymiseKParams]):
    """Reach k-anonymity over the columns by least-loss generalisation, then suppression."""

    id = "anonymise_k"
    version = "2"
    Params = AnonymiseKParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: AnonymiseKParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A k-anonymous copy of ``frame`` (generalised QIs, small classes removed)."""
        qis = list(dict.fromkeys(columns))
        n = len(frame)
        if not qis or n == 0:
            return TransformResult(frame.copy(), "no-op", 0)
        k = params.k
        plan = search_k(frame, qis, params, tctx)
        search, cols, levels, chosen = plan._search, plan._cols, plan.node, plan._chosen
        method, lattice_size = plan.method, plan.lattice_size
        allowed = params.max_suppression * n

        mask = search.mask(levels)
        keep = ~mask
        out = frame.copy()
        notes: dict[str, str] = {}
        changed = 0
        for q, col, lv in zip(qis, cols, levels, strict=True):
            if lv == 0:
                notes[q] = f"k-anonymity {k}: kept as is"
                continue
            new = col.values(lv)
            changed += changed_cells(frame[q][keep], new[keep])
            out[q] = new
            text = (
                "suppressed"
                if lv == col.hierarchy.top
                else f"generalised to {_level_text(col, lv)}"
            )
            notes[q] = f"k-anonymity {k}: {text}"
        removed = int(mask.sum())
        out = out.loc[keep].copy()
        chosen_text = ", ".join(
            f"{q}: {_level_text(c, lv)} (level {lv})"
            for q, c, lv in zip(qis, cols, levels, strict=True)
        )
        description = (
            f"k-anonymity {k} by {method} ({search.evaluations} of {lattice_size} "
            f"generalisation nodes evaluated; information loss {chosen.total:.3f}): "
            f"{chosen_text}; removed {removed} of {n} record(s) ({removed / n:.1%}) "
            f"in classes below {k}"
        )
        if removed > allowed:
            description += (
                f"; over the suppression budget of {params.max_suppression:.1%} even with "
                "full generalisation"
            )
            for q in qis:
                notes[q] += "; suppression budget exceeded"
        return TransformResult(out, description, changed, removed, notes)
