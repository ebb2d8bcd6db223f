"""Tests of microaggregation (triage.redaction.microaggregate)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import triage.redaction.microaggregate as mmod
from triage.context import RunContext
from triage.errors import PluginExecutionError
from triage.redaction.base import TransformContext
from triage.redaction.microaggregate import (
    MDAV_MAX_ROWS,
    mdav_groups,
    microaggregate_array,
    univariate_groups,
)
from triage.redaction.registry import get_transform

TCTX = TransformContext(RunContext(), {})


def test_doctests() -> None:
    assert doctest.testmod(mmod).failed == 0


def _check_groups(data: np.ndarray, k: int) -> None:
    means, groups = microaggregate_array(data, k)
    n = len(data)
    sizes = np.bincount(groups)
    if n >= k:
        assert sizes.min() >= k
    else:
        assert len(sizes) == 1
    # group means preserved, so column sums preserved
    np.testing.assert_allclose(means.sum(axis=0), data.sum(axis=0), rtol=1e-9, atol=1e-6)
    for g in range(len(sizes)):
        np.testing.assert_allclose(
            means[groups == g],
            data[groups == g].mean(axis=0)[None, :].repeat(sizes[g], axis=0),
            rtol=1e-9,
            atol=1e-9,
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=80),
    st.integers(1, 7),
)
def test_univariate_property(values: list[float], k: int) -> None:
    data = np.array(values)[:, None]
    before = data.copy()
    _check_groups(data, k)
    np.testing.assert_array_equal(data, before)
    a = microaggregate_array(data, k)
    b = microaggregate_array(data, k)
    np.testing.assert_array_equal(a[0], b[0])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1e3, 1e3, allow_nan=False), st.floats(0, 100, allow_nan=False)),
        min_size=1,
        max_size=60,
    ),
    st.integers(2, 6),
)
def test_mdav_property(rows: list[tuple[float, float]], k: int) -> None:
    data = np.array(rows, dtype=float)
    before = data.copy()
    _check_groups(data, k)
    np.testing.assert_array_equal(data, before)
    np.testing.assert_array_equal(
        microaggregate_array(data, k)[1], microaggregate_array(data, k)[1]
    )


@pytest.mark.parametrize(
    ("values", "k", "groups"),
    [
        ([5.0, 1.0, 9.0, 2.0, 8.0], 2, [1, 0, 1, 0, 1]),
        ([1.0, 2.0, 3.0], 3, [0, 0, 0]),
        ([1.0, 2.0], 3, [0, 0]),
        ([4.0, 3.0, 2.0, 1.0], 1, [3, 2, 1, 0]),
    ],
)
def test_univariate_groups(values: list[float], k: int, groups: list[int]) -> None:
    assert univariate_groups(np.array(values), k).tolist() == groups


def test_mdav_separates_clusters() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, (30, 2))
    b = rng.normal(100, 1, (30, 2))
    groups = mdav_groups(np.vstack([a, b]), 5)
    assert not set(groups[:30]) & set(groups[30:])


def test_transform_frame() -> None:
    frame = pd.DataFrame(
        {
            "age": ["30", "31", "50", "52", None, "x"],
            "income": ["10", "20", "30", "40", "5", "6"],
            "name": list("abcdef"),
        },
        index=[3, 4, 5, 6, 7, 8],
    ).astype("str")
    before = frame.copy()
    r = get_transform("microaggregate").run(frame, ["age"], {"k": 2}, TCTX)
    pd.testing.assert_frame_equal(frame, before)
    assert r.frame["age"].tolist()[:4] == ["30.5", "30.5", "51", "51"]
    assert pd.isna(r.frame["age"].iloc[4]) and r.frame["age"].iloc[5] == "x"
    assert r.cells_changed == 4
    assert "left unchanged" in r.column_notes["age"]
    r2 = get_transform("microaggregate").run(frame, ["income"], {"k": 3, "decimals": 1}, TCTX)
    assert r2.frame["income"].tolist() == ["7.0", "30.0", "30.0", "30.0", "7.0", "7.0"]
    r3 = get_transform("microaggregate").run(frame, ["age", "income"], {"k": 2}, TCTX)
    assert (r3.frame["name"] == frame["name"]).all()


def test_mdav_row_limit() -> None:
    data = np.zeros((MDAV_MAX_ROWS + 1, 2))
    with pytest.raises(PluginExecutionError):
        microaggregate_array(data, 3)
    # univariate has no limit
    assert microaggregate_array(np.zeros((MDAV_MAX_ROWS + 1, 1)), 3)[1].max() >= 0
