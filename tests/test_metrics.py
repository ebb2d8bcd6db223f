"""Tests of triage.risk.classes: k-anonymity, uniques, records below k, l-diversity."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import triage.risk.classes as metrics
from triage.risk.classes import (
    class_sizes,
    k_anonymity,
    l_diversity,
    records_below_k,
    risk_metrics,
    unique_records,
)

_NA = "<NA>"

values = st.one_of(st.sampled_from(["a", "b", "c", "", "*"]), st.none())


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], list[str]]:
    n_cols = draw(st.integers(1, 4))
    n_rows = draw(st.integers(0, 30))
    data = {
        f"c{i}": draw(st.lists(values, min_size=n_rows, max_size=n_rows)) for i in range(n_cols)
    }
    frame = pd.DataFrame(data, dtype=object)
    cols = list(frame.columns)
    qis = draw(st.lists(st.sampled_from(cols), min_size=1, max_size=n_cols, unique=True))
    sensitive = draw(st.lists(st.sampled_from(cols), max_size=2, unique=True))
    return frame, qis, sensitive


def brute_sizes(frame: pd.DataFrame, qis: list[str]) -> np.ndarray:
    filled = frame[qis].astype(object).where(frame[qis].notna(), _NA)
    return filled.groupby(qis, dropna=False)[qis[0]].transform("size").to_numpy()


def brute_l(frame: pd.DataFrame, qis: list[str], sensitive: list[str]) -> int | None:
    if not sensitive or len(frame) == 0:
        return None
    filled = frame.astype(object).where(frame.notna(), _NA)
    if qis:
        return int(min(filled.groupby(qis)[s].nunique().min() for s in sensitive))
    return int(min(filled[s].nunique() for s in sensitive))


def test_doctests() -> None:
    assert doctest.testmod(metrics).failed == 0


@settings(max_examples=200, deadline=None)
@given(frames())
def test_against_brute_force(case: tuple[pd.DataFrame, list[str], list[str]]) -> None:
    frame, qis, sensitive = case
    before = frame.copy()
    if len(frame) == 0:
        assert k_anonymity(frame, qis) is None
        assert l_diversity(frame, qis, sensitive) is None
        return
    sizes = brute_sizes(frame, qis)
    assert class_sizes(frame, qis).tolist() == sizes.tolist()
    assert k_anonymity(frame, qis) == int(sizes.min())
    assert unique_records(frame, qis) == int((sizes == 1).sum())
    assert records_below_k(frame, qis, 3) == int((sizes < 3).sum())
    assert l_diversity(frame, qis, sensitive) == brute_l(frame, qis, sensitive)
    assert l_diversity(frame, [], sensitive) == brute_l(frame, [], sensitive)
    pd.testing.assert_frame_equal(frame, before)


def test_missing_is_own_value() -> None:
    f = pd.DataFrame({"a": [None, float("nan"), "x", "x"], "s": ["1", "2", None, "1"]})
    assert class_sizes(f, ["a"]).tolist() == [2, 2, 2, 2]
    assert l_diversity(f, ["a"], ["s"]) == 2


@pytest.mark.parametrize(
    ("qis", "sensitive", "expected"),
    [
        ([], ["s"], (None, None, None, 2)),
        (["a"], [], (2, 0, 0, None)),
        (["a", "s"], [], (1, 4, 4, None)),
    ],
)
def test_risk_metrics(qis, sensitive, expected) -> None:
    f = pd.DataFrame({"a": ["x", "x", "y", "y"], "s": ["1", "2", "1", "2"]}, dtype="str")
    m = risk_metrics(f, qis, sensitive, k=2)
    assert (m.k_anonymity, m.unique_records, m.records_below_k, m.l_diversity) == expected
    assert m.quasi_identifiers == qis and m.sensitive_attributes == sensitive


def test_string_dtype_and_many_columns() -> None:
    rng = np.random.default_rng(1)
    f = pd.DataFrame({f"c{i}": rng.integers(0, 3000, 5000).astype(str) for i in range(12)})
    f = f.astype("str")
    sizes = class_sizes(f, list(f.columns))  # radix product overflows int64: re-densified
    assert sizes.tolist() == brute_sizes(f, list(f.columns)).tolist()
