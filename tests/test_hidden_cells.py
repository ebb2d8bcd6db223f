"""Count tables that arrive with the publisher's own suppression marks ("< 10", "*", "[c]")."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.rules import builtin_rulebook
from triage.tables.hidden import exact_value, hidden_intervals, recovered_cells
from triage.tables.model import parse_cells, recognise_table, suppression_bound, write_back
from triage.tables.suppression import suppress_table
from triage.vocab import Decision, Destination

_AREAS = [f"E0100{3000 + i}" for i in range(8)]


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("< 10", 10.0),
        ("<5", 5.0),
        ("<=5", 5.0),
        ("≤ 5", 5.0),
        ("fewer than 5", 5.0),
        ("Less than 10", 10.0),
        ("*", math.inf),
        ("**", math.inf),
        ("c", math.inf),
        ("[c]", math.inf),
        ("[C]", math.inf),
        ("x", math.inf),
        ("[x]", math.inf),
        ("..", math.inf),
        ("~", math.inf),
        ("low", math.inf),
        ("[low]", math.inf),
        ("suppressed", math.inf),
        (" Suppressed ", math.inf),
        ("12", None),
        ("-", None),  # GSS nil: read as 0, not hidden
        ("", None),
        ("n/a", None),
        ("ten", None),
        ("< ten", None),
        ("Brixton", None),
        ("cc", None),
        ("> 10", None),
    ],
)
def test_suppression_marks_vocabulary(text: str, bound: float | None) -> None:
    got = suppression_bound(text)
    if bound is None:
        assert got is None
    elif math.isinf(bound):
        assert got is not None and math.isinf(got)
    else:
        assert got is not None and got <= bound and got > bound - 1e-6


@pytest.mark.parametrize(
    ("values", "hidden"),
    [
        (["12", "< 10", "30"], 1),
        (["12", "*", "*", "40"], 2),
        (["5", "[c]", "19", "[x]"], 2),
        (["44", "..", "~", "low"], 3),
        (["1,204", "suppressed", "c"], 2),
        (["7", "<5", "-"], 1),
    ],
)
def test_count_column_with_marks(values: list[str], hidden: int) -> None:
    parsed = parse_cells(pd.Series(values))
    assert parsed is not None
    assert int(parsed.hidden.sum()) == hidden
    assert np.isnan(parsed.values[parsed.hidden]).all()


@pytest.mark.parametrize(
    "values",
    [
        ["Brixton", "Clapham", "Streatham"],  # free words
        ["12", "see note", "30"],  # a word that is no mark
        ["*", "[c]", "< 10"],  # marks alone: no count column
        ["12", "c", "closed"],
        ["ten", "< 10", "30"],
    ],
)
def test_not_a_count_column_with_marks(values: list[str]) -> None:
    assert parse_cells(pd.Series(values)) is None


def test_text_column_of_free_words_is_not_a_count_column() -> None:
    frame = pd.DataFrame(
        {
            "ward": _AREAS[:4],
            "note": ["low", "Quiet street", "busy", "*"],
            "people": ["30", "41", "55", "62"],
        }
    )
    table = recognise_table(frame, "t")
    assert table is None or "note" not in {col for _, col in table.cell_map.values()}


def _line(cells: list[str], total: str | None) -> pd.DataFrame:
    wards = [f"Ward {i}" for i in range(len(cells))]
    rows = {"ward": wards, "residents": cells}
    frame = pd.DataFrame(rows)
    if total is not None:
        frame = pd.concat(
            [frame, pd.DataFrame({"ward": ["Total"], "residents": [total]})], ignore_index=True
        )
    return frame


@pytest.mark.parametrize(
    ("cells", "total", "recovered"),
    [
        # one hidden cell and a total: recovered
        (["12", "< 10", "15", "20"], "50", {(1,): 3.0}),
        (["12", "[c]", "15", "20"], "50", {(1,): 3.0}),
        (["12", "*", "15", "20"], "50", {(1,): 3.0}),
        # no total: nothing recovered
        (["12", "< 10", "15", "20"], None, {}),
        # two hidden cells, their sum 7 (each < 10): not pinned down
        (["12", "< 10", "< 10", "20"], "39", {}),
        # two hidden cells "< 10" summing to 18: both 9, the bounds pin them
        (["12", "< 10", "< 10", "20"], "50", {(1,): 9.0, (2,): 9.0}),
        # one hidden cell recovered at or above the threshold: no small cell
        (["12", "[c]", "15", "20"], "70", {}),
    ],
)
def test_recovery_by_differencing(
    cells: list[str], total: str | None, recovered: dict[tuple[int, ...], float]
) -> None:
    table = recognise_table(_line(cells, total), "t")
    assert table is not None and table.hidden is not None
    assert table.kind == "count"
    assert recovered_cells(table) == recovered


def test_interval_of_hidden_cells_uses_the_bounds() -> None:
    table = recognise_table(_line(["12", "< 10", "< 10", "20"], "48"), "t")
    assert table is not None
    intervals = hidden_intervals(table)
    assert intervals[(1,)] == pytest.approx((7.0, 9.0))
    assert exact_value(intervals[(1,)], integral=True) is None


def _engine_check(frame: pd.DataFrame):
    rb = builtin_rulebook(Destination.OPEN_DATA)
    dataset = Dataset(name="t.csv", sha256="0" * 64, format="csv", frame=frame)
    return Engine(rb, RunContext(nlp=NlpSettings(model=None)), None).check([dataset])


_SAFE = pd.DataFrame(
    {
        "ward": [*_AREAS[:6], "Total"],
        "0-15": ["120", "< 10", "85", "< 10", "140", "96", "460"],
        "16-64": ["410", "380", "< 10", "290", "< 10", "330", "1420"],
    }
)
_LEAKY = pd.DataFrame(
    {
        "ward": [*_AREAS[:6], "Total"],
        "0-15": ["120", "< 10", "85", "44", "140", "96", "488"],
        "16-64": ["410", "380", "315", "290", "305", "330", "2030"],
    }
)


def test_safe_marks_release_with_no_changes() -> None:
    result = _engine_check(_SAFE)
    report = result.report
    assert report.decision is Decision.RELEASE, [r.rule for r in report.rules_fired]
    kinds = {f.kind: f for f in report.findings}
    assert kinds["publisher_suppressed_cells"].count == 4
    assert "'< 10' x 4" in kinds["publisher_suppressed_cells"].message
    assert "small_cells" not in kinds


def test_recoverable_hidden_cell_is_a_finding_and_is_treated() -> None:
    table = recognise_table(_LEAKY, "t")
    assert table is not None and table.kind == "count"
    assert recovered_cells(table) == {(1, 0): 3.0}
    res = suppress_table(table)
    assert res.recovered_count() == 1 and not res.unprotected
    # protected: the hidden cell's interval is no longer one value
    assert exact_value(res.intervals[(1, 0)], integral=True) is None
    out, changed = write_back(_LEAKY, table, res.suppressed)
    assert changed == int(res.secondary.sum()) >= 1
    assert out.at[1, "0-15"] == "< 10"  # the publisher's mark stays
    assert set(out.to_numpy().ravel()) - set(_LEAKY.to_numpy().ravel()) == {"[c]"}

    result = _engine_check(_LEAKY)
    report = result.report
    assert report.decision is Decision.RELEASE_WITH_CHANGES, [r.rule for r in report.rules_fired]
    assert "small-cells" in {r.rule for r in report.rules_fired}
    found = {f.kind: f for f in report.findings}
    assert "publisher_suppressed_cells" in found
    assert "recovered exactly" in found["small_cells"].message
    released = result.released["t.csv"]
    assert released.at[1, "0-15"] == "< 10"
    assert (released == "[c]").to_numpy().sum() == int(res.secondary.sum())
    # the treated table no longer gives the hidden cell away
    again = recognise_table(released, "t")
    assert again is not None and recovered_cells(again) == {}


@pytest.mark.parametrize(
    ("cells", "total", "recovered"),
    [
        (["12", "< 10", "15", "20"], "50", {(1,): 3.0}),
        (["12", "< 10", "< 10", "20"], "50", {(1,): 9.0, (2,): 9.0}),
        (["12", "< 10", "< 10", "20"], "39", {}),
        (["12", "[c]", "15", "20"], "70", {}),
    ],
)
def test_line_audit_of_large_tables_agrees(
    monkeypatch: pytest.MonkeyPatch,
    cells: list[str],
    total: str,
    recovered: dict[tuple[int, ...], float],
) -> None:
    import triage.tables.hidden as hidden

    monkeypatch.setattr(hidden, "MAX_LP_HIDDEN", 0)
    table = recognise_table(_line(cells, total), "t")
    assert table is not None
    assert recovered_cells(table) == recovered


@pytest.mark.parametrize(
    "mark", ["< 10", "<5", "*", "c", "[c]", "[x]", "x", "..", "~", "low", "suppressed"]
)
def test_each_convention_makes_an_aggregate_table(mark: str) -> None:
    frame = pd.DataFrame(
        {
            "lsoa": _AREAS[:5],
            "Claimants": ["120", mark, "85", "64", mark],
            "Households": ["410", "380", mark, "290", "305"],
        }
    )
    table = recognise_table(frame, "t")
    assert table is not None and table.kind == "count"
    assert table.hidden_count() == 3
    assert set(table.marks.values()) == {mark}
    assert recovered_cells(table) == {}  # no published total: nothing to subtract from


@pytest.mark.parametrize(
    ("values", "marked"),
    [
        (["120", "< 10", "85", "64", "33"], True),
        (["120", "*", "85", "[c]", "33"], True),
        (["120", "..", "85", "64", "suppressed"], True),
        (["120", "85", "64", "33", "41"], False),
        (["Brixton", "low", "Clapham", "*", "Streatham"], False),
    ],
)
def test_column_evidence_names_the_marks(values: list[str], marked: bool) -> None:
    from triage.classifiers.columns import classify_column
    from triage.vocab import ColumnRole

    col = classify_column("Households", pd.Series(values * 4, dtype="str"), RunContext(), None)
    said = " ".join(col.evidence)
    assert ("suppression marks" in said) is marked, said
    if marked:
        assert col.role is ColumnRole.NONE
