"""Table recognition, rounding and differencing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from triage.tables.differencing import differencing_risks, submission_differencing
from triage.tables.model import (
    margins_from_interior,
    recognise_table,
    table_from_microdata,
    write_back,
)
from triage.tables.rounding import non_additive_margins, round_conventional, round_random


def _long(with_totals: bool, bad_total: bool = False) -> pd.DataFrame:
    rows = []
    vals = {
        ("A", "F"): 12,
        ("A", "M"): 3,
        ("B", "F"): 20,
        ("B", "M"): 25,
        ("C", "F"): 7,
        ("C", "M"): 40,
    }
    for (w, s), v in vals.items():
        rows.append({"ward": w, "sex": s, "count": str(v)})
    if with_totals:
        for w in "ABC":
            rows.append({"ward": w, "sex": "All", "count": str(vals[(w, "F")] + vals[(w, "M")])})
        for s in "FM":
            tot = sum(v for (_, s2), v in vals.items() if s2 == s)
            rows.append({"ward": "Total", "sex": s, "count": str(tot + (5 if bad_total else 0))})
        rows.append({"ward": "Total", "sex": "All", "count": str(sum(vals.values()))})
    return pd.DataFrame(rows, dtype=object)


def _wide(total_col: bool = True) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "Ward": ["North", "South", "East", "Total"],
            "0-15": ["4", "10", "22", "36"],
            "16-64": ["50", "61", "70", "181"],
            "65+": ["12", "3", "9", "24"],
        },
        dtype=object,
    )
    if total_col:
        df["All ages"] = ["66", "74", "101", "241"]
    return df


@pytest.mark.parametrize(
    ("frame", "layout", "kind", "shape", "totals", "consistent"),
    [
        (_long(False), "long", "count", (4, 3), False, True),
        (_long(True), "long", "count", (4, 3), True, True),
        (_long(True, bad_total=True), "long", "count", (4, 3), True, False),
        (_wide(), "wide", "count", (4, 4), True, True),
        (_wide(total_col=False), "wide", "count", (4, 4), True, True),
        (
            pd.DataFrame({"dept": ["HR", "IT", "Ops"], "spend £": ["£1,200.50", "£300", "£4,000"]}),
            "long",
            "magnitude",
            (4,),
            False,
            True,
        ),
    ],
)
def test_recognise(frame, layout, kind, shape, totals, consistent):
    t = recognise_table(frame, "t")
    assert t is not None
    assert (t.layout, t.kind, t.shape) == (layout, kind, shape)
    assert t.totals_present is totals
    assert t.totals_consistent is consistent
    # margins always add up in the model
    inner = t.values[tuple(slice(0, s - 1) for s in t.shape)]
    assert np.allclose(margins_from_interior(inner), t.values)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"name": ["Ann", "Bob", "Ann"], "age": ["30", "40", "50"]}),  # duplicates
        pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"]}),  # no numbers
        pd.DataFrame({"n": ["1"]}),  # too small
    ],
)
def test_not_a_table(frame):
    assert recognise_table(frame) is None


@pytest.mark.parametrize(
    ("descriptive", "kept"),
    [
        ("area_km2", "residents"),
        ("Area", "residents"),
        ("rate per 1000", "residents"),
        ("mean age", "residents"),
        ("latitude", "residents"),
        ("females", None),  # a second count: the table is wide
    ],
)
def test_descriptive_measures_are_not_cells(descriptive: str, kept: str | None) -> None:
    """Beside a count by area, an area in km² or a rate is no cell: City of London's 3 km²
    is not a small count of people."""
    frame = pd.DataFrame(
        {
            "council": ["COL", "DUR", "HPL", "MDB"],
            descriptive: ["3", "2226", "94", "54"],
            "residents": ["8600", "533149", "93836", "141285"],
        },
        dtype=object,
    )
    t = recognise_table(frame, "t")
    assert t is not None
    if kept is None:
        assert t.layout == "wide"
    else:
        assert (t.layout, t.measure, t.shape) == ("long", kept, (5,))


def test_wide_mapping_and_write_back():
    frame = _wide()
    t = recognise_table(frame, "t")
    assert t is not None
    sup = np.zeros(t.shape, dtype=bool)
    sup[0, 0] = True  # North, 0-15
    sup[3, 3] = True  # grand total
    out, changed = write_back(frame, t, sup, marker="[c]")
    assert changed == 2
    assert out.loc[0, "0-15"] == "[c]" and out.loc[3, "All ages"] == "[c]"
    assert frame.loc[0, "0-15"] == "4"  # input untouched


def test_microdata_magnitude_contributions():
    micro = pd.DataFrame(
        {
            "region": ["N", "N", "N", "S", "S"],
            "sector": ["a", "a", "b", "a", "b"],
            "firm": ["f1", "f1", "f2", "f3", "f4"],
            "turnover": ["100", "50", "10", "30", "20"],
        }
    )
    t = table_from_microdata(micro, ["region", "sector"], "turnover", contributor="firm")
    assert t.kind == "magnitude"
    assert t.values[0, 0] == 150 and t.contributors is not None and t.contributors[0, 0] == 1
    assert t.values[2, 2] == 210 and t.contributors[2, 2] == 4
    assert t.top_contributions is not None and t.top_contributions[2, 2, 0] == 150


@pytest.mark.parametrize(
    ("base", "cells", "expected"),
    [
        (5, [0, 1, 2, 3, 7, 12.5], [0, 0, 0, 5, 5, 15]),
        (10, [4, 5, 14, 15, 96], [0, 10, 10, 20, 100]),
    ],
)
def test_round_conventional(base, cells, expected):
    assert round_conventional(np.array(cells, dtype=float), base).tolist() == expected


def test_rounding_margins_may_not_add_up():
    full = margins_from_interior(np.array([[1.0, 1.0], [1.0, 1.0]]))
    rounded = round_conventional(full, 5)
    assert non_additive_margins(rounded) > 0


def test_round_random_seeded_and_unbiased():
    vals = np.full(20000, 3.0)
    r1, r2 = round_random(vals, 5, seed=7), round_random(vals, 5, seed=7)
    assert np.array_equal(r1, r2)
    assert set(np.unique(r1)) <= {0.0, 5.0}
    assert abs(r1.mean() - 3.0) < 0.1


def _age_table(name: str, labels: list[str], counts: list[int]):
    frame = pd.DataFrame({"age": labels, "people": [str(c) for c in counts]}, dtype=object)
    t = recognise_table(frame, name)
    assert t is not None
    return t


@pytest.mark.parametrize(
    ("a_labels", "a_counts", "b_labels", "b_counts", "n_risks"),
    [
        (["0-17", "18+"], [120, 300], ["0-15", "16+"], [117, 303], 2),  # 16-17 = 3
        (["0-17", "18+"], [120, 300], ["0-15", "16+"], [100, 320], 0),  # 16-17 = 20
        (["0-17", "18-19"], [120, 30], ["20-30", "31-40"], [50, 60], 0),  # disjoint
    ],
)
def test_differencing_ages(a_labels, a_counts, b_labels, b_counts, n_risks):
    a = _age_table("A", a_labels, a_counts)
    b = _age_table("B", b_labels, b_counts)
    risks = submission_differencing([a, b], threshold=10)
    assert len(risks) == n_risks
    for r in risks:
        assert 1 <= r.difference < 10 and "reveals a count" in r.message()


def test_differencing_wards_minus_one():
    wards = pd.DataFrame(
        {"ward": ["W1", "W2", "W3"], "sex": ["F"] * 3, "count": ["40", "30", "4"]}, dtype=object
    )
    minus = pd.DataFrame(
        {"ward": ["W1", "W2"], "sex": ["F"] * 2, "count": ["40", "30"]}, dtype=object
    )
    a, b = recognise_table(wards, "all"), recognise_table(minus, "minus_w3")
    assert a is not None and b is not None
    risks = differencing_risks(a, b, threshold=10)
    assert any(
        r.category_a == "Total" and r.category_b == "Total" and r.difference == 4 for r in risks
    )


def test_long_3d_with_blank_and_all_totals_end_to_end():
    from triage.tables.suppression import feasible_intervals, suppress_table

    rng = np.random.default_rng(4)
    inner = rng.integers(10, 50, size=(3, 2, 4))
    inner[1, 0, 2] = 4
    full = margins_from_interior(inner.astype(float))
    labels = [
        ["N", "S", "E", ""],
        ["F", "M", "All persons"],
        ["0-15", "16-29", "30-64", "65+", "All"],
    ]
    rows = [
        {
            "area": labels[0][i],
            "sex": labels[1][j],
            "age": labels[2][k],
            "people": str(int(full[i, j, k])),
        }
        for i in range(4)
        for j in range(3)
        for k in range(5)
    ]
    frame = pd.DataFrame(rows, dtype=object)
    t = recognise_table(frame, "t3")
    assert t is not None and t.shape == (4, 3, 5) and t.totals_present and t.totals_consistent
    res = suppress_table(t)
    assert res.primary[1, 0, 2]
    iv = feasible_intervals(t.values, res.suppressed)
    lo, hi = iv[(1, 0, 2)]
    assert hi - lo >= 2 - 1e-6
    out, changed = write_back(frame, t, res.suppressed)
    assert changed == int(res.suppressed.sum()) and (out["people"] == "[c]").sum() == changed


# class 3 of real-data failures: counts by area code are aggregate tables, not microdata
_AREAS = [f"E0100{5000 + i}" for i in range(12)]


@pytest.mark.parametrize(
    ("frame", "dims"),
    [
        # an area name beside its code is a label of one dimension (wide: two measures)
        (
            pd.DataFrame(
                {
                    "lsoa_code": _AREAS,
                    "lsoa_name": [f"Trafford {i:03d}A" for i in range(12)],
                    "Benefit claimants over 65": [str(3 + 7 * i) for i in range(12)],
                    "Households": [str(500 + i) for i in range(12)],
                }
            ),
            ["lsoa_code", "column"],
        ),
        # constants (period, unit) describe every cell without splitting them (long)
        (
            pd.DataFrame(
                {
                    "area_code": [a for a in _AREAS for _ in range(3)],
                    "period": ["2021"] * 36,
                    "unpaid_care": ["None", "1-19 hours", "20+ hours"] * 12,
                    "unit": ["Persons"] * 36,
                    "value": [str(i * 5 % 97) for i in range(36)],
                }
            ),
            ["area_code", "unpaid_care"],
        ),
        # a census download: each dimension as a numeric code beside its label, one count
        (
            pd.DataFrame(
                {
                    "Lower layer Super Output Areas Code": [a for a in _AREAS for _ in range(4)],
                    "Lower layer Super Output Areas": [
                        f"Trafford {i:03d}A" for i in range(12) for _ in range(4)
                    ],
                    "Disability (4 categories) Code": ["1", "2", "3", "4"] * 12,
                    "Disability (4 categories)": [
                        "Limited a lot",
                        "Limited a little",
                        "Not limited",
                        "Does not apply",
                    ]
                    * 12,
                    "Observation": [str(i * 7 % 83) for i in range(48)],
                }
            ),
            ["Lower layer Super Output Areas Code", "Disability (4 categories)"],
        ),
    ],
)
def test_counts_by_area_are_tables(frame: pd.DataFrame, dims: list[str]) -> None:
    table = recognise_table(frame, "t")
    assert table is not None
    assert [d.name for d in table.dimensions] == dims


def test_count_table_with_a_sensitive_header_is_checked_for_small_cells() -> None:
    from triage.context import NlpSettings, RunContext
    from triage.dataset import Dataset
    from triage.pipeline.engine import Engine
    from triage.rules import builtin_rulebook
    from triage.vocab import Decision, Destination

    frame = pd.DataFrame(
        {
            "lsoa_code": _AREAS,
            "lsoa_name": [f"Trafford {i:03d}A" for i in range(12)],
            "Benefit claimants over 65": [
                str(v) for v in [2, 30, 41, 55, 3, 60, 72, 18, 25, 90, 33, 47]
            ],
        }
    )
    rb = builtin_rulebook(Destination.OPEN_DATA)
    dataset = Dataset(name="c.csv", sha256="0" * 64, format="csv", frame=frame)
    report = Engine(rb, RunContext(nlp=NlpSettings(model=None)), None).check([dataset]).report
    fired = {r.rule for r in report.rules_fired}
    assert report.decision is Decision.RELEASE_WITH_CHANGES, fired
    assert "small-cells" in fired
    assert not [f for f in report.findings if f.kind == "special_category_data"]
