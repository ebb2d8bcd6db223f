"""Primary and secondary suppression, with the attacker test (LP feasible intervals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.tables.model import Dimension, Table, margins_from_interior, recognise_table, write_back
from triage.tables.suppression import (
    PrimaryRules,
    Protection,
    feasible_intervals,
    primary_suppression,
    suppress_table,
    table_findings,
    table_metrics,
)


def _table(inner: np.ndarray, kind: str = "count") -> Table:
    full = margins_from_interior(inner.astype(float))
    dims = [Dimension(f"d{i}", tuple(f"c{j}" for j in range(n))) for i, n in enumerate(inner.shape)]
    return Table("t", kind, "n", dims, full, np.ones(full.shape, dtype=bool))  # type: ignore[arg-type]


def _generated(shape: tuple[int, ...], seed: int, small: float = 0.12) -> Table:
    rng = np.random.default_rng(seed)
    inner = rng.integers(10, 80, size=shape)
    mask = rng.random(shape) < small
    inner[mask] = rng.integers(0, 10, size=int(mask.sum()))
    inner.flat[int(rng.integers(0, inner.size))] = int(rng.integers(1, 10))  # at least one
    return _table(inner)


@pytest.mark.parametrize(
    ("cells", "rules", "expected"),
    [
        ([[0, 5], [9, 10]], PrimaryRules(threshold=10), [[False, True], [True, False]]),
        (
            [[0, 5], [9, 10]],
            PrimaryRules(threshold=10, zeros_sensitive=True),
            [[True, True], [True, False]],
        ),
        ([[3, 5], [9, 10]], PrimaryRules(threshold=4), [[True, False], [False, False]]),
    ],
)
def test_threshold_rule(cells, rules, expected):
    t = _table(np.array(cells))
    res = primary_suppression(t, PrimaryRules(**{**rules.__dict__, "apply_to_margins": False}))
    assert res.mask[:2, :2].tolist() == expected


def _magnitude(contribs: list[list[float]]) -> Table:
    t = _table(np.array([[sum(c)] for c in contribs]), kind="magnitude")
    top = np.zeros((*t.shape, 5))
    for i, c in enumerate(contribs):
        s = sorted(c, reverse=True)[:5]
        top[i, 0, : len(s)] = s
    t.top_contributions = top
    t.contributors = np.zeros(t.shape)
    t.contributors[:2, 0] = [len(c) for c in contribs]
    return t


@pytest.mark.parametrize(
    ("contribs", "rules", "rule", "expected"),
    [
        (
            [[90, 5, 5], [30, 30, 40]],
            PrimaryRules(dominance_n=1, dominance_k=80),
            "dominance",
            [True, False],
        ),
        (
            [[50, 45, 5], [30, 30, 40]],
            PrimaryRules(dominance_n=2, dominance_k=85),
            "dominance",
            [True, False],
        ),
        ([[100, 50, 5], [40, 30, 30]], PrimaryRules(p_percent=10), "p_percent", [True, False]),
        (
            [[1, 1], [1, 1, 1, 1]],
            PrimaryRules(min_contributors=3),
            "min_contributors",
            [True, False],
        ),
    ],
)
def test_magnitude_rules(contribs, rules, rule, expected):
    t = _magnitude(contribs)
    res = primary_suppression(t, rules)
    assert res.by_rule[rule][:2, 0].tolist() == expected


def _assert_protected(t: Table, res, protection: Protection, threshold: int = 10):
    assert res.primary.any()
    intervals = feasible_intervals(t.values, res.suppressed)
    assert set(intervals) == {tuple(int(x) for x in c) for c in np.argwhere(res.suppressed)}
    for c in map(tuple, np.argwhere(res.primary)):
        lo, hi = intervals[c]
        v = t.values[c]
        assert hi - lo > 0.5, f"interval of {c} collapses"
        up, low = protection.levels(v, threshold)
        assert hi >= v + up - 1e-6 and lo <= v - low + 1e-6
    assert res.unprotected == []


@pytest.mark.parametrize("shape", [(4, 5), (6, 8), (3, 4, 5)])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_attacker_default_protection(shape, seed):
    t = _generated(shape, seed)
    res = suppress_table(t)
    _assert_protected(t, res, Protection())


@pytest.mark.parametrize("shape", [(4, 5), (3, 4, 5)])
@pytest.mark.parametrize("seed", [0, 5])
def test_attacker_threshold_protection(shape, seed):
    t = _generated(shape, seed)
    prot = Protection(absolute=2, to_threshold=True)
    res = suppress_table(t, protection=prot)
    _assert_protected(t, res, prot)
    for c in map(tuple, np.argwhere(res.primary)):
        assert res.intervals[c][1] >= 10 - 1e-6  # attacker can't prove the cell is small


@pytest.mark.parametrize("shape", [(6, 8), (3, 4, 5)])
def test_large_table_path_without_lp_precheck(shape):
    from triage.tables.suppression import primary_suppression, secondary_suppression

    t = _generated(shape, 11)
    res = secondary_suppression(t, primary_suppression(t).mask, lp_check_max_cells=0, prune=False)
    _assert_protected(t, res, Protection())


def test_deterministic_and_margin_can_be_suppressed():
    t = _generated((4, 5), 3)
    a, b = suppress_table(t), suppress_table(t)
    assert np.array_equal(a.suppressed, b.suppressed)
    # a single small cell in a 2x2 table needs a full rectangle; a tiny margin is primary too
    t2 = _table(np.array([[2, 30], [40, 50]]))
    r2 = suppress_table(t2)
    assert r2.primary[0, 0] and r2.suppressed.sum() >= 4


def test_single_value_recovery_is_what_we_prevent():
    t = _table(np.array([[2, 30], [40, 50]]))
    only = np.zeros(t.shape, dtype=bool)
    only[0, 0] = True
    lo, hi = feasible_intervals(t.values, only)[(0, 0)]
    assert lo == pytest.approx(2) and hi == pytest.approx(2)


def test_report_and_write_back():
    frame = pd.DataFrame(
        {
            "ward": ["A", "A", "B", "B", "C", "C"],
            "sex": ["F", "M"] * 3,
            "count": ["12", "3", "20", "25", "17", "40"],
        },
        dtype=object,
    )
    t = recognise_table(frame, "t")
    assert t is not None
    res = suppress_table(t)
    out, changed = write_back(frame, t, res.suppressed, marker="[c]")
    assert out.loc[1, "count"] == "[c]"
    assert changed == int(sum(bool(res.suppressed[c]) for c in t.cell_map))
    m = table_metrics(t, res)
    assert m["table_primary_suppressed"] == 1 and m["table_small_cells"] == 1
    assert (
        m["table_secondary_suppressed"]
        and m["table_min_protection"]
        and m["table_min_protection"] >= 2
    )
    f = table_findings("ds", t, res)
    assert f[0].kind == "small_cells" and f[0].count == 1
    assert all(v not in f[0].message for v in ("17", "25", "40"))
