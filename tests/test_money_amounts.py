"""Exact money amounts of people (income, tax, savings) are continuous quasi-identifiers where
each row is a person or household, and are microaggregated before release (class of the
CASC tax microdata, released unchanged before)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pytest

from triage.classifiers.columns import classify_dataset
from triage.classifiers.text import TextAnalyzer
from triage.context import NlpSettings, RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.planning import Step, _microaggregated_out_of_k
from triage.rules import builtin_rulebook
from triage.vocab import ColumnRole, Decision, Destination

N = 300


def _money(seed: int, n: int = N) -> np.ndarray:
    return np.random.default_rng(seed).integers(8_000, 90_000, n)


def _frame(**columns: Iterable[object]) -> pd.DataFrame:
    return pd.DataFrame({k: [str(v) for v in vals] for k, vals in columns.items()})


@pytest.mark.parametrize(
    ("frame", "column", "role"),
    [
        # a survey weight says the rows are people: income and tax are keys
        (_frame(FNLWGT=_money(1), AGI=_money(2), FEDTAX=_money(3)), "AGI", "amount"),
        (_frame(FNLWGT=_money(1), AGI=_money(2), FEDTAX=_money(3)), "FEDTAX", "amount"),
        (_frame(sampling_weight=_money(1), taxable_income=_money(4)), "taxable_income", "amount"),
        # ages and sexes say the same
        (
            _frame(
                age=[20 + i % 60 for i in range(N)],
                sex=["M", "F"] * (N // 2),
                annual_salary=_money(5),
            ),
            "annual_salary",
            "amount",
        ),
        # no sign that rows are people: a measurement
        (_frame(site=[f"S{i}" for i in range(N)], income=_money(6)), "income", None),
        # an aggregate header is a statistic of many people, not one person's amount
        (_frame(FNLWGT=_money(1), median_income=_money(7)), "median_income", None),
        # a money word the header lacks, a band of few values, a taxi fare
        (_frame(FNLWGT=_money(1), amount=_money(8)), "amount", None),
        (_frame(FNLWGT=_money(1), income=[i % 5 for i in range(N)]), "income", None),
        (_frame(FNLWGT=_money(1), taxi_fare=_money(9)), "taxi_fare", None),
    ],
)
def test_amounts_are_keys_only_where_rows_are_people(
    pattern_only: TextAnalyzer, frame: pd.DataFrame, column: str, role: str | None
) -> None:
    col = classify_dataset(frame, RunContext(), pattern_only).columns[column]
    if role is None:
        assert col.role is not ColumnRole.QUASI_IDENTIFIER, col.evidence
    else:
        assert (col.role, col.qi_kind) == (ColumnRole.QUASI_IDENTIFIER, role), col.evidence


def test_a_survey_weight_makes_the_dataset_about_people(pattern_only: TextAnalyzer) -> None:
    frame = _frame(AFNLWGT=_money(1), TAXINC=_money(2))
    classification = classify_dataset(frame, RunContext(), pattern_only)
    assert classification.person_related
    assert "sampling weight" in " ".join(classification.columns["AFNLWGT"].evidence)


def test_microaggregated_columns_leave_the_k_search() -> None:
    steps = [
        Step("microaggregate", ("income", "tax"), {"k": 10}, ("exact-amounts-of-people",)),
        Step("anonymise_k", ("age", "income", "tax"), {"k": 10}, ("small-groups",)),
    ]
    assert [s.columns for s in _microaggregated_out_of_k(steps)] == [
        ("income", "tax"),
        ("age",),
    ]
    only = [steps[0], Step("anonymise_k", ("income",), {"k": 10}, ("small-groups",))]
    assert [s.transform for s in _microaggregated_out_of_k(only)] == ["microaggregate"]


def test_tax_microdata_is_released_with_amounts_in_groups_of_k() -> None:
    frame = _frame(AFNLWGT=_money(1), AGI=_money(2), FEDTAX=_money(3), WSALVAL=_money(4))
    dataset = Dataset(name="tax.csv", sha256="0" * 64, format="csv", frame=frame)
    rb = builtin_rulebook(Destination.OPEN_DATA)
    result = Engine(rb, RunContext(nlp=NlpSettings(model=None)), None).check([dataset])
    report = result.report
    fired = {r.rule for r in report.rules_fired}
    assert report.decision is Decision.RELEASE_WITH_CHANGES, fired
    assert "exact-amounts-of-people" in fired
    (released,) = result.released.values()
    amounts = released[["AGI", "FEDTAX", "WSALVAL"]]
    assert amounts.value_counts().min() >= rb.params["k"]  # every amount vector shared by k
    assert (released["AFNLWGT"] == frame["AFNLWGT"]).all()  # the weight is kept
    totals = amounts.astype(float).sum()
    assert np.allclose(totals, frame[["AGI", "FEDTAX", "WSALVAL"]].astype(float).sum(), rtol=1e-3)
