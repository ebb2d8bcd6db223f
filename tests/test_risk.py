"""Tests of triage.risk: brute-force references, sdcMicro published values, summary facts."""

from __future__ import annotations

import doctest
import itertools
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln

import triage.risk.core as core_mod
import triage.risk.measures as risk_mod
import triage.risk.reid as reid_mod
import triage.risk.suda as suda_mod
from triage.errors import DataInputError
from triage.risk import measures as risk

# --------------------------------------------------------------------------------------------
# brute-force references (per-row Python loops: small frames only)


def _compatible(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def _rows(frame: pd.DataFrame, cols: list[str]) -> list[tuple[object, ...]]:
    return [
        tuple(None if pd.isna(v) else v for v in row)
        for row in frame[cols].itertuples(index=False, name=None)
    ]


def brute_sizes(frame: pd.DataFrame, qis: list[str], missing: str) -> list[int]:
    rows = _rows(frame, qis)
    if missing == "own_value":
        keys = [tuple("<NA>" if v is None else v for v in r) for r in rows]
        counts = Counter(keys)
        return [counts[key] for key in keys]
    return [sum(_compatible(r, s) for s in rows) for r in rows]


def brute_msus(frame: pd.DataFrame, qis: list[str], max_size: int) -> list[list[tuple[int, ...]]]:
    rows = [tuple("<NA>" if v is None else v for v in r) for r in _rows(frame, qis)]
    out: list[list[tuple[int, ...]]] = [[] for _ in rows]
    for size in range(1, max_size + 1):
        for combo in itertools.combinations(range(len(qis)), size):
            keys = [tuple(r[i] for i in combo) for r in rows]
            counts = Counter(keys)
            for j, key in enumerate(keys):
                if counts[key] != 1:
                    continue
                if any(set(m) < set(combo) for m in out[j]):
                    continue
                out[j].append(combo)
    return out


def brute_recursive_max_l(frame: pd.DataFrame, qis: list[str], sens: list[str], c: float) -> int:
    best = None
    keys = [tuple("<NA>" if v is None else v for v in r) for r in _rows(frame, qis)]
    for s in sens:
        vals = ["<NA>" if v is None else v for v in (r[0] for r in _rows(frame, [s]))]
        groups: dict[tuple[object, ...], list[object]] = {}
        for key, v in zip(keys, vals, strict=True):
            groups.setdefault(key, []).append(v)
        for members in groups.values():
            r = sorted(Counter(members).values(), reverse=True)
            ok = [ell for ell in range(1, len(r) + 1) if r[0] < c * sum(r[ell - 1 :])]
            v = max(ok) if ok else 0
            best = v if best is None else min(best, v)
    assert best is not None
    return best


values = st.one_of(st.sampled_from(["a", "b", "c"]), st.none())


@st.composite
def frames_with_na(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(1, 25))
    n_cols = draw(st.integers(1, 4))
    data = {
        f"c{i}": draw(st.lists(values, min_size=n_rows, max_size=n_rows)) for i in range(n_cols)
    }
    return pd.DataFrame(data, dtype=object)


# --------------------------------------------------------------------------------------------
# missing-value conventions


@settings(max_examples=150, deadline=None)
@given(frames_with_na(), st.sampled_from(["own_value", "matches_any"]))
def test_class_sizes_match_brute_force(frame: pd.DataFrame, missing: str) -> None:
    qis = list(frame.columns)
    assert risk.class_sizes_any(frame, qis, missing).tolist() == brute_sizes(frame, qis, missing)


@settings(max_examples=80, deadline=None)
@given(frames_with_na())
def test_compatible_weight_sums_match_brute_force(frame: pd.DataFrame) -> None:
    qis = list(frame.columns)
    w = np.arange(1, len(frame) + 1, dtype=np.float64)
    rows = _rows(frame, qis)
    expected = [sum(w[j] for j, s in enumerate(rows) if _compatible(r, s)) for r in rows]
    assert risk.population_sizes(frame, qis, w, "matches_any").tolist() == pytest.approx(expected)


def test_invalid_missing_mode_rejected() -> None:
    frame = pd.DataFrame({"a": ["1"]})
    with pytest.raises(DataInputError):
        risk.class_sizes_any(frame, ["a"], "drop")


# --------------------------------------------------------------------------------------------
# individual risk: sdcMicro published values and the negative-binomial expectation

# sdcMicro tests/testthat/test_indivRisk.R (sdcTools/sdcMicro on GitHub): keys A, B, C and
# weights; expected rk of indivRisk(freqCalc(..., w=4), method="approx"). The "with missing"
# case uses sdcMicro's convention that NA matches any value (our missing="matches_any").
SDC_A = ["2", "3", "2", "2", "3", "3", "1", "2"]
SDC_A_NA = ["2", "3", "2", "2", "3", "3", "1", None]
SDC_B = ["3", "3", "3", "3", "3", "3", "4", "3"]
SDC_C = ["1", "3", "1", "2", "1", "1", "1", "1"]
SDC_C_NA = ["1", "3", None, "2", "1", "1", None, "1"]
SDC_W = ["18.0", "45.5", "39.0", "17.0", "92.0", "8.0", "123.5", "51"]


@pytest.mark.parametrize(
    ("a", "c", "missing", "expected_rk", "expected_fk_inverse"),
    [
        (
            SDC_A, SDC_C, "own_value",
            [0.01369863, 0.08579129, 0.01369863, 0.17707583,
             0.01877883, 0.01877883, 0.03931625, 0.01369863],
            [0.33333, 1.0, 0.33333, 1.0, 0.5, 0.5, 1.0, 0.33333],
        ),
        (
            SDC_A_NA, SDC_C_NA, "matches_any",
            [0.013698630, 0.085791288, 0.010554090, 0.032466112,
             0.009836066, 0.009836066, 0.039316254, 0.005973716],
            [0.33333, 1.0, 0.25, 0.5, 0.33333, 0.33333, 1.0, 0.2],
        ),
    ],
)  # fmt: skip
def test_individual_risk_matches_sdcmicro_published_values(
    a: list[str], c: list[str], missing: str, expected_rk: list[float],
    expected_fk_inverse: list[float],
) -> None:  # fmt: skip
    frame = pd.DataFrame({"A": a, "B": SDC_B, "C": c, "w": SDC_W})
    w = core_mod.weights_array(frame, "w")
    rk = risk.individual_risk(frame, ["A", "B", "C"], w, missing)
    assert rk.tolist() == pytest.approx(expected_rk, abs=5e-9)
    unweighted = risk.individual_risk(frame, ["A", "B", "C"], None, missing)
    assert np.round(unweighted, 5).tolist() == pytest.approx(expected_fk_inverse)


def _nb_expectation(f: int, p: float) -> float:
    """E[1/F | f] with F - f ~ NegBin(f, p), summed numerically (brute-force reference)."""
    j = np.arange(0, 400_000, dtype=np.float64)
    logp = gammaln(f + j) - gammaln(f) - gammaln(j + 1) + f * np.log(p) + j * np.log1p(-p)
    return float((np.exp(logp) / (f + j)).sum())


@pytest.mark.parametrize("f", [1, 2, 3, 4, 7, 20])
@pytest.mark.parametrize("p", [0.005, 0.05, 0.3, 0.7, 0.95])
def test_individual_risk_vs_negative_binomial_expectation(f: int, p: float) -> None:
    ours = float(risk.individual_risk_from_freqs(np.array([f]), np.array([f / p]))[0])
    exact = _nb_expectation(f, p)
    if f <= 2:  # sdcMicro's closed forms are exact
        assert ours == pytest.approx(exact, rel=1e-9)
    else:  # sdcMicro's approximation p / (f - (1 - p)): conservative and within 5%
        assert exact <= ours <= exact * 1.05


def test_individual_risk_population_equals_sample() -> None:
    # f_k == F_k -> 1/f_k (sdcMicro: rk[fk == Fk] <- 1/fk)
    out = risk.individual_risk_from_freqs(np.array([1, 2, 4]), np.array([1.0, 2.0, 4.0]))
    assert out.tolist() == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("bad", [["1", "x"], ["1", None], ["1", "0"], ["1", "-2"]])
def test_bad_weights_rejected(bad: list[str]) -> None:
    frame = pd.DataFrame({"a": ["1", "2"], "w": bad})
    with pytest.raises(DataInputError):
        risk.microdata_metrics(frame, ["a"], [], k=2, weights="w")


# --------------------------------------------------------------------------------------------
# ARX risks


def test_arx_risks_small_example() -> None:
    frame = pd.DataFrame({"a": ["1", "1", "1", "2", "2", "3"], "w": ["10"] * 6})
    w = core_mod.weights_array(frame, "w")
    r = reid_mod.arx_risks(frame, ["a"], threshold=0.4, weights=w)
    assert r is not None
    assert r.prosecutor_highest == 1.0
    assert r.prosecutor_average == pytest.approx(3 / 6)  # classes / records
    assert r.prosecutor_records_at_risk == 3  # 1/2, 1/2, 1/1 > 0.4
    assert r.journalist_highest == pytest.approx(1 / 10)
    assert r.marketer == pytest.approx((3 / 30 + 2 / 20 + 1 / 10) / 6)  # sum_k f_k/F_k / n
    r0 = reid_mod.arx_risks(frame, ["a"], threshold=0.4)
    assert r0 is not None and r0.marketer == pytest.approx(3 / 6)
    assert r0.journalist_highest == r0.prosecutor_highest
    population = pd.DataFrame({"a": ["1"] * 30 + ["2"] * 4 + ["3"] * 2 + ["4"] * 9})
    rp = reid_mod.arx_risks(frame, ["a"], threshold=0.4, population=population)
    assert rp is not None
    assert rp.journalist_highest == pytest.approx(1 / 2)  # key "3": 2 in the population
    assert rp.marketer == pytest.approx((3 / 30 + 2 / 4 + 1 / 2) / 6)


# --------------------------------------------------------------------------------------------
# SUDA

# sdcMicro tests/testthat/test_suda2.R ("suda2 book example", "suda2 sdc guideline"):
# SUDA scores with original_scores=TRUE and all key variables.
BOOK = pd.DataFrame(
    {
        "age": ["20s"] * 7 + ["60s"],
        "gender": ["male"] * 4 + ["female"] * 3 + ["male"],
        "income": ["50k+", "50k+"] + ["50k-"] * 6,
        "education": ["highschool"] * 4
        + ["university", "highschool", "middleschool", "university"],
    }
)
GUIDE = pd.DataFrame(
    {
        "Residence": ["Urban"] * 4 + ["Rural"] + ["Urban"] * 5,
        "Gender": ["Female", "Female", "Female", "Male", "Female", "Male", "Female", "Male",
                   "Female", "Female"],
        "Education": ["Secondary incomplete", "Secondary incomplete", "Primary incomplete",
                      "Secondary complete", "Secondary complete", "Secondary complete",
                      "Primary complete", "Post-secondary", "Secondary incomplete",
                      "Secondary incomplete"],
        "Labor": ["Employed", "Employed", "Non-LF", "Employed", "Unemployed", "Employed",
                  "Non-LF", "Unemployed", "Non-LF", "Non-LF"],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    ("frame", "expected"),
    [(BOOK, [0, 0, 0, 0, 4, 2, 6, 8]), (GUIDE, [0, 0, 6, 0, 12, 0, 6, 10, 0, 0])],
)
def test_suda_scores_match_sdcmicro(frame: pd.DataFrame, expected: list[int]) -> None:
    assert risk.suda(frame, list(frame.columns), 4).score.tolist() == expected
    assert risk.suda(frame, list(frame.columns), 3).score.tolist() == expected  # M >= ATT-1


@settings(max_examples=120, deadline=None)
@given(frames_with_na(), st.integers(1, 4))
def test_suda_matches_brute_force_msus(frame: pd.DataFrame, max_size: int) -> None:
    qis = list(frame.columns)
    result = risk.suda(frame, qis, max_size)
    ms = min(max_size, len(qis))
    msus = brute_msus(frame, qis, ms)
    assert result.msu_count.tolist() == [len(m) for m in msus]
    assert result.min_msu_size.tolist() == [min((len(x) for x in m), default=0) for m in msus]
    expected_score = [sum(risk.msu_score(len(x), len(qis), ms) for x in m) for m in msus]
    assert result.score.tolist() == expected_score
    for i, q in enumerate(qis):
        assert result.msus_by_qi[q] == sum(i in x for m in msus for x in m)


def test_suda_default_max_size() -> None:
    frame = pd.DataFrame({f"q{i}": ["a", "b"] for i in range(5)})
    assert risk.suda(frame, list(frame.columns)).max_size == 3
    assert risk.suda(frame, ["q0", "q1"]).max_size == 2


# --------------------------------------------------------------------------------------------
# recursive (c, l) standard definition, t-closeness with a category order


@st.composite
def complete_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    return pd.DataFrame(
        {
            "q": draw(st.lists(st.sampled_from("ab"), min_size=n, max_size=n)),
            "s": draw(st.lists(st.sampled_from("uvwxyz"), min_size=n, max_size=n)),
            "s2": draw(st.lists(st.sampled_from("uv"), min_size=n, max_size=n)),
        },
        dtype=object,
    )


@settings(max_examples=100, deadline=None)
@given(complete_frames(), st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 10.0]))
def test_recursive_cl_max_l_brute_force(frame: pd.DataFrame, c: float) -> None:
    for sens in (["s"], ["s", "s2"]):
        expected = brute_recursive_max_l(frame, ["q"], sens, c)
        assert risk.recursive_cl_max_l(frame, ["q"], sens, c) == expected
        for ell in range(1, 5):
            ok = risk.check_recursive_cl(frame, ["q"], sens, c, ell)
            assert ok == (ell <= expected), (ell, expected)


def test_t_closeness_category_order_equals_numeric() -> None:
    frame = pd.DataFrame(
        {"q": list("aabbbc"), "grade": ["low", "high", "mid", "mid", "low", "high"]}
    )
    codes = frame.assign(grade=frame["grade"].map({"low": "1", "mid": "2", "high": "3"}))
    ordered = risk.t_closeness(frame, ["q"], ["grade"], {"grade": ["low", "mid", "high"]})
    numeric = risk.t_closeness(codes, ["q"], ["grade"], {"grade": "numeric"})
    assert ordered == pytest.approx(numeric)
    with pytest.raises(DataInputError):
        risk.t_closeness(frame, ["q"], ["grade"], {"grade": ["low", "mid"]})


# --------------------------------------------------------------------------------------------
# summary and drivers

FRAME = pd.DataFrame(
    {
        "age": ["30", "30", "40", "40", "50", None],
        "sex": ["F", "F", "M", "F", "M", "M"],
        "dx": ["flu", "cold", "flu", "flu", "cold", "flu"],
        "w": ["10", "20", "5", "5", "50", "3"],
    }
)


@pytest.mark.parametrize("missing", ["own_value", "matches_any"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_microdata_metrics_keys_and_types(missing: str, weights: str | None) -> None:
    before = FRAME.copy()
    out = risk.microdata_metrics(
        FRAME, ["age", "sex"], ["dx"], k=2, l=2, c=2.0, weights=weights, missing=missing
    )
    pd.testing.assert_frame_equal(FRAME, before)  # input not mutated
    assert list(out) == list(risk.MICRODATA_METRICS)
    for key, value in out.items():
        assert value is None or type(value) in (int, float), key
        assert key.isidentifier() and key == key.lower()
    assert out["records"] == 6
    sizes = brute_sizes(FRAME, ["age", "sex"], missing)
    assert out["k_anonymity"] == min(sizes)
    assert out["records_below_k"] == sum(s < 2 for s in sizes)
    assert out["sample_uniques"] == sum(s == 1 for s in sizes)
    assert out["expected_reidentifications"] == pytest.approx(
        float(out["individual_risk_mean"] or 0) * 6
    )
    assert out == risk.microdata_metrics(
        FRAME, ["age", "sex"], ["dx"], k=2, l=2, c=2.0, weights=weights, missing=missing
    )


def test_microdata_metrics_empty_inputs() -> None:
    out = risk.microdata_metrics(FRAME, [], [], k=5)
    assert out["k_anonymity"] is None and out["l_diversity_distinct"] is None
    assert out["quasi_identifiers"] == 0
    empty = risk.microdata_metrics(FRAME.iloc[:0], ["age"], ["dx"], k=5)
    assert empty["records"] == 0 and empty["k_anonymity"] is None and empty["t_closeness"] is None


def test_risk_drivers_leave_one_out_and_top_rows() -> None:
    qis = ["age", "sex"]
    drivers = risk.risk_drivers(FRAME, qis, k=2, top_n=3)
    base = brute_sizes(FRAME, qis, "own_value")
    by_qi = {c.qi: c for c in drivers.contributions}
    for q in qis:
        rest = [x for x in qis if x != q]
        sizes = brute_sizes(FRAME, rest, "own_value")
        assert by_qi[q].uniques_without == sum(s == 1 for s in sizes)
        assert by_qi[q].uniques_reduction == sum(s == 1 for s in base) - sum(s == 1 for s in sizes)
        assert by_qi[q].below_k_reduction == sum(s < 2 for s in base) - sum(s < 2 for s in sizes)
        assert 0.0 <= by_qi[q].msu_share <= 1.0
    assert len(drivers.top_rows) == 3
    assert all(isinstance(i, int) and 0 <= i < len(FRAME) for i in drivers.top_rows)
    assert drivers.top_risks == sorted(drivers.top_risks, reverse=True)
    assert set(drivers.top_rows) <= {i for i, s in enumerate(base) if s == 1}


def test_no_cell_values_in_outputs() -> None:
    out = risk.microdata_metrics(FRAME, ["age", "sex"], ["dx"], k=2)
    drivers = risk.risk_drivers(FRAME, ["age", "sex"], k=2)
    text = repr(out) + repr(drivers)
    for value in ("flu", "cold", "'F'", "'M'"):
        assert value not in text


@pytest.mark.parametrize("module", [risk_mod, core_mod, reid_mod, suda_mod])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0


def test_entropy_value_is_exp_of_min_entropy() -> None:
    frame = pd.DataFrame({"q": ["a"] * 4 + ["b"] * 2, "s": ["x", "y", "z", "w", "x", "x"]})
    ent = risk.l_diversity_entropy(frame, ["q"], ["s"])
    assert ent is not None and ent.min_entropy == 0.0 and ent.l == 1.0
    frame2 = pd.DataFrame({"q": ["a"] * 4, "s": ["x", "y", "z", "w"]})
    ent2 = risk.l_diversity_entropy(frame2, ["q"], ["s"])
    assert (
        ent2 is not None
        and ent2.l == pytest.approx(4.0)
        and math.isclose(ent2.min_entropy, math.log(4))
    )


def test_cached_codes_gives_same_results_and_keeps_frames_apart() -> None:
    other = FRAME.assign(sex=["M", "M", "M", "M", "M", "M"])
    plain = (risk.k_summary(FRAME, ["age", "sex"], 2), risk.k_summary(other, ["age", "sex"], 2))
    with risk.cached_codes():
        cached = (
            risk.k_summary(FRAME, ["age", "sex"], 2),
            risk.k_summary(other, ["age", "sex"], 2),
        )
        again = risk.k_summary(FRAME, ["age", "sex"], 2)
    assert cached == plain and again == plain[0]
    assert plain[0] != plain[1]
