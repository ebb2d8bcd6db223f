"""Microdata disclosure-risk metrics for rule conditions (``metrics.<name>``) and risk drivers.

The building blocks live in :mod:`triage.risk.core` (k, l, t, beta, missing-value conventions),
:mod:`triage.risk.reid` (sdcMicro individual risk, ARX prosecutor/journalist/marketer risk) and
:mod:`triage.risk.suda` (minimal sample uniques). This module gathers them into one flat dict
of facts and names the QIs and records that drive the risk (row positions, never values).

>>> import pandas as pd
>>> f = pd.DataFrame({"age": ["30", "30", "40", "40"], "sex": ["F", "F", "M", "F"],
...                   "dx": ["flu", "cold", "flu", "flu"]})
>>> m = microdata_metrics(f, ["age", "sex"], ["dx"], k=2)
>>> m["k_anonymity"], m["records_below_k"], m["sample_uniques"], m["l_diversity_distinct"]
(1, 2, 2, 1)
>>> set(m) == set(MICRODATA_METRICS)
True
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.risk.core import (
    MISSING_MODES,
    basic_beta_likeness,
    cached_codes,
    check_recursive_cl,
    class_sizes_any,
    compatible_sums,
    k_summary,
    l_diversity_distinct,
    l_diversity_entropy,
    population_sizes,
    recursive_cl_max_l,
    recursive_cl_pycanon,
    t_closeness,
    weights_array,
)
from triage.risk.reid import (
    arx_risks,
    individual_risk,
    individual_risk_from_freqs,
    population_counts,
)
from triage.risk.suda import SudaResult, msu_score, suda

logger = logging.getLogger(__name__)

__all__ = [
    "MICRODATA_METRICS",
    "MISSING_MODES",
    "QiContribution",
    "RiskDrivers",
    "SudaResult",
    "basic_beta_likeness",
    "cached_codes",
    "check_recursive_cl",
    "class_sizes_any",
    "compatible_sums",
    "individual_risk",
    "individual_risk_from_freqs",
    "k_summary",
    "l_diversity_distinct",
    "l_diversity_entropy",
    "microdata_metrics",
    "msu_score",
    "population_counts",
    "population_sizes",
    "recursive_cl_max_l",
    "recursive_cl_pycanon",
    "risk_drivers",
    "suda",
    "t_closeness",
]

MICRODATA_METRICS: dict[str, str] = {
    "records": "Number of records examined.",
    "quasi_identifiers": "Number of quasi-identifiers.",
    "sensitive_attributes": "Number of sensitive attributes.",
    "k_anonymity": "Smallest equivalence-class size over the QIs (k of k-anonymity).",
    "equivalence_classes": "Number of equivalence classes over the QIs.",
    "records_below_k": "Records in classes smaller than the rulebook's k.",
    "share_below_k": "records_below_k / records.",
    "sample_uniques": "Records unique on the QIs (class size 1).",
    "share_sample_uniques": "sample_uniques / records.",
    "l_diversity_distinct": "Fewest distinct sensitive values in any class (distinct l-diversity).",
    "l_diversity_entropy": "exp(minimum class entropy of a sensitive attribute), a float.",
    "l_diversity_entropy_pycanon": "pycanon's entropy l: floor of l_diversity_entropy.",
    "recursive_cl_l": "Largest l for which the data is recursive (c,l)-diverse at the given c.",
    "recursive_cl_c_pycanon": "pycanon's c of recursive (c,l)-diversity (None when l_distinct=1).",
    "recursive_cl_ok": "1 if recursive (c,l)-diverse at the given c and l, else 0.",
    "t_closeness": "Largest EMD between a class's sensitive distribution and the overall one.",
    "beta_likeness": "Basic beta-likeness: max relative gain (q-p)/p of a sensitive value.",
    "individual_risk_max": "Highest per-record re-identification risk (sdcMicro individual risk).",
    "individual_risk_mean": "Global risk: mean individual risk.",
    "expected_reidentifications": "Sum of individual risks (expected re-identified records).",
    "records_high_individual_risk": "Records whose individual risk exceeds 1/k.",
    "prosecutor_risk_highest": "ARX prosecutor risk, highest: 1 / smallest class size.",
    "prosecutor_risk_average": "ARX prosecutor risk, average: classes / records.",
    "prosecutor_records_at_risk": "Records whose prosecutor risk exceeds the threshold (1/k).",
    "prosecutor_share_at_risk": "prosecutor_records_at_risk / records.",
    "journalist_risk_highest": "ARX journalist risk, highest: 1 / smallest population class.",
    "journalist_risk_average": "ARX journalist risk, mean of 1 / population class size.",
    "marketer_risk": "ARX marketer risk: expected share of records correctly matched.",
    "suda_msus": "Minimal sample uniques found (up to suda_max_size QIs).",
    "suda_records_with_msu": "Records with at least one minimal sample unique.",
    "suda_max_score": "Highest per-record SUDA score.",
    "suda_max_size": "Largest MSU size searched.",
}

_INT_KEYS = {
    "records", "quasi_identifiers", "sensitive_attributes", "k_anonymity", "equivalence_classes",
    "records_below_k", "sample_uniques", "l_diversity_distinct", "l_diversity_entropy_pycanon",
    "recursive_cl_l", "recursive_cl_ok", "records_high_individual_risk",
    "prosecutor_records_at_risk", "suda_msus", "suda_records_with_msu", "suda_max_score",
    "suda_max_size",
}  # fmt: skip


def microdata_metrics(
    frame: pd.DataFrame,
    qis: Sequence[str],
    sensitive: Sequence[str],
    *,
    k: int,
    l: int | None = None,  # noqa: E741
    c: float | None = None,
    t_ordered: Mapping[str, str | Sequence[str]] | None = None,
    weights: str | None = None,
    missing: str = "own_value",
    suda_max_size: int | None = None,
    population: pd.DataFrame | None = None,
) -> dict[str, int | float | None]:
    """All microdata metrics as a flat dict keyed like :data:`MICRODATA_METRICS`.

    Parameters
    ----------
    frame : the microdata (strings as read; never mutated).
    qis, sensitive : quasi-identifier and sensitive-attribute column names.
    k : the rulebook's k (records_below_k, risk thresholds 1/k).
    l, c : recursive (c,l)-diversity parameters; ``recursive_cl_l`` needs c,
        ``recursive_cl_ok`` needs both (else None).
    t_ordered : sensitive columns to treat as ordered for t-closeness (``"numeric"`` or a
        category order list).
    weights : name of a sampling-weight column (population frequencies F_k = sum of weights).
    missing : ``"own_value"`` (default) or ``"matches_any"``; see :mod:`triage.risk.core`.
    suda_max_size : largest MSU size (default 3, or all QIs when fewer).
    population : optional population table with the QI columns, for journalist/marketer risk
        (else weights estimate population class sizes, else sample = population).

    Metrics that cannot be computed (no QIs, no sensitive attributes, no rows) are None.
    """
    with cached_codes():
        return _microdata_metrics(
            frame, list(qis), list(sensitive), k=k, l=l, c=c, t_ordered=t_ordered,
            w=weights_array(frame, weights), missing=missing, suda_max_size=suda_max_size,
            population=population,
        )  # fmt: skip


def _microdata_metrics(
    frame: pd.DataFrame,
    qis: list[str],
    sensitive: list[str],
    *,
    k: int,
    l: int | None,  # noqa: E741
    c: float | None,
    t_ordered: Mapping[str, str | Sequence[str]] | None,
    w: np.ndarray | None,
    missing: str,
    suda_max_size: int | None,
    population: pd.DataFrame | None,
) -> dict[str, int | float | None]:
    n = len(frame)
    out: dict[str, int | float | None] = dict.fromkeys(MICRODATA_METRICS)
    out.update(records=n, quasi_identifiers=len(qis), sensitive_attributes=len(sensitive))
    if qis and n:
        ks = k_summary(frame, qis, k, missing)
        out.update(
            k_anonymity=ks.k_anonymity,
            equivalence_classes=ks.classes,
            records_below_k=ks.records_below_k,
            share_below_k=ks.share_below_k,
            sample_uniques=ks.sample_uniques,
            share_sample_uniques=None if ks.sample_uniques is None else ks.sample_uniques / n,
        )
        risk = individual_risk(frame, qis, w, missing)
        out.update(
            individual_risk_max=float(risk.max()),
            individual_risk_mean=float(risk.mean()),
            expected_reidentifications=float(risk.sum()),
            records_high_individual_risk=int((risk > 1.0 / k).sum()),
        )
        arx = arx_risks(frame, qis, 1.0 / k, w, missing, population)
        if arx is not None:
            out.update(
                prosecutor_risk_highest=arx.prosecutor_highest,
                prosecutor_risk_average=arx.prosecutor_average,
                prosecutor_records_at_risk=arx.prosecutor_records_at_risk,
                prosecutor_share_at_risk=arx.prosecutor_share_at_risk,
                journalist_risk_highest=arx.journalist_highest,
                journalist_risk_average=arx.journalist_average,
                marketer_risk=arx.marketer,
            )
        sr = suda(frame, qis, suda_max_size)
        out.update(
            suda_msus=sr.msus_total,
            suda_records_with_msu=int((sr.msu_count > 0).sum()),
            suda_max_score=int(sr.score.max()),
            suda_max_size=sr.max_size,
        )
    if sensitive and n:
        out["l_diversity_distinct"] = l_diversity_distinct(frame, qis, sensitive)
        ent = l_diversity_entropy(frame, qis, sensitive)
        if ent is not None:
            out["l_diversity_entropy"] = ent.l
            out["l_diversity_entropy_pycanon"] = ent.l_pycanon
        if c is not None:
            out["recursive_cl_l"] = recursive_cl_max_l(frame, qis, sensitive, c)
            if l is not None:
                ok = check_recursive_cl(frame, qis, sensitive, c, l)
                out["recursive_cl_ok"] = None if ok is None else int(ok)
        cl = recursive_cl_pycanon(frame, qis, sensitive)
        if cl is not None and not math.isnan(cl[0]):
            out["recursive_cl_c_pycanon"] = cl[0]
        out["t_closeness"] = t_closeness(frame, qis, sensitive, t_ordered)
        out["beta_likeness"] = basic_beta_likeness(frame, qis, sensitive)
    for key in _INT_KEYS:
        if out[key] is not None:
            out[key] = int(out[key])  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class QiContribution:
    """How much one QI drives the risk (leave-one-out and MSU share)."""

    qi: str
    uniques_without: int
    uniques_reduction: int
    below_k_without: int
    below_k_reduction: int
    msu_share: float  # share of MSUs that contain this QI


@dataclass(frozen=True)
class RiskDrivers:
    """QI contributions (sorted, biggest driver first) and the riskiest records' row positions."""

    contributions: list[QiContribution]
    top_rows: list[int]  # positional row indices, never values
    top_risks: list[float]


def risk_drivers(
    frame: pd.DataFrame,
    qis: Sequence[str],
    *,
    k: int,
    weights: str | None = None,
    missing: str = "own_value",
    top_n: int = 20,
    suda_max_size: int | None = None,
) -> RiskDrivers:
    """Each QI's contribution to the risk and the ``top_n`` riskiest records (row positions).

    Records are ranked by individual risk, then SUDA score, then row position.
    """
    with cached_codes():
        return _risk_drivers(frame, list(qis), k, weights, missing, top_n, suda_max_size)


def _risk_drivers(
    frame: pd.DataFrame,
    qis: list[str],
    k: int,
    weights: str | None,
    missing: str,
    top_n: int,
    suda_max_size: int | None,
) -> RiskDrivers:
    qis = list(qis)
    n = len(frame)
    if not qis or n == 0:
        return RiskDrivers([], [], [])
    w = weights_array(frame, weights)
    sizes = class_sizes_any(frame, qis, missing)
    base_u, base_b = int((sizes == 1).sum()), int((sizes < k).sum())
    sr = suda(frame, qis, suda_max_size)
    contribs = []
    for q in qis:
        rest = [x for x in qis if x != q]
        s2 = class_sizes_any(frame, rest, missing) if rest else np.full(n, n, dtype=np.int64)
        u, b = int((s2 == 1).sum()), int((s2 < k).sum())
        share = sr.msus_by_qi[q] / sr.msus_total if sr.msus_total else 0.0
        contribs.append(QiContribution(q, u, base_u - u, b, base_b - b, share))
    contribs.sort(key=lambda x: (-x.below_k_reduction, -x.uniques_reduction, -x.msu_share, x.qi))
    risk = individual_risk(frame, qis, w, missing)
    order = np.lexsort((np.arange(n), -sr.score, -risk))[: max(top_n, 0)]
    return RiskDrivers(contribs, [int(i) for i in order], [float(risk[i]) for i in order])


#: Measures that are real numbers (rule conditions compare them with doubles, e.g. ``0.05``);
#: every other measure is a whole number.
FLOAT_METRICS: frozenset[str] = frozenset(
    {
        "share_below_k",
        "share_sample_uniques",
        "l_diversity_entropy",
        "recursive_cl_c_pycanon",
        "t_closeness",
        "beta_likeness",
        "individual_risk_max",
        "individual_risk_mean",
        "expected_reidentifications",
        "prosecutor_risk_highest",
        "prosecutor_risk_average",
        "prosecutor_share_at_risk",
        "journalist_risk_highest",
        "journalist_risk_average",
        "marketer_risk",
    }
)
