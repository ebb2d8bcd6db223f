"""Re-identification risk: sdcMicro's individual risk and ARX's prosecutor/journalist/marketer risk.

Individual risk (Benedetti & Franconi 1998; Franconi & Polettini 2004, "Individual risk
estimation in mu-Argus: a review", PSD 2004, LNCS 3050, 262-272), as implemented in sdcMicro
``indivRisk(method="approx")`` (R/indivRisk.R, sdcTools/sdcMicro) and ``measure_risk``: with
sample frequency f_k of the record's key and estimated population frequency F_k = sum of the
sampling weights in the key, p_k = f_k / F_k and the population frequency is modelled as
F_k - f_k ~ NegBin(f_k, p_k); the risk is r_k = E[1 / F_k | f_k]:

* f_k = 1: r = p/(1-p) * log(1/p)                       (exact)
* f_k = 2: r = p/(1-p) - (p/(1-p))^2 * log(1/p)          (exact)
* f_k > 2: r = p / (f_k - (1-p))                         (sdcMicro's approximation)
* f_k = F_k (p = 1): r = 1/f_k.

Without weights the sample is the population and r_k = 1/f_k (sdcMicro ``survey=FALSE``).
Global risk = mean r_k; expected re-identifications = sum r_k.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from triage.risk.core import class_ids, class_sizes_any, population_sizes

logger = logging.getLogger(__name__)


def individual_risk_from_freqs(fk: np.ndarray, big_fk: np.ndarray) -> np.ndarray:
    """sdcMicro's approximate individual risk from sample (fk) and population (Fk) frequencies.

    >>> individual_risk_from_freqs(np.array([1, 3]), np.array([1.0, 3.0])).tolist()
    [1.0, 0.3333333333333333]
    """
    fk = np.asarray(fk, dtype=np.float64)
    big = np.maximum(np.asarray(big_fk, dtype=np.float64), fk)
    pk = fk / big
    out = np.empty_like(pk)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = pk / (1.0 - pk)
        log_inv = np.log(1.0 / pk)
        out = np.where(fk > 2, pk / (fk - (1.0 - pk)), out)
        out = np.where(fk == 2, odds - odds**2 * log_inv, out)
        out = np.where(fk == 1, odds * log_inv, out)
    same = fk == big
    out[same] = 1.0 / fk[same]
    return out


def individual_risk(
    frame: pd.DataFrame,
    qis: Sequence[str],
    weights: np.ndarray | None = None,
    missing: str = "own_value",
) -> np.ndarray:
    """Per-record individual risk (see module docstring); 1/f_k when ``weights`` is None."""
    if len(frame) == 0:
        return np.zeros(0)
    fk = class_sizes_any(frame, qis, missing)
    if weights is None:
        return 1.0 / fk
    big = population_sizes(frame, qis, weights, missing)
    return individual_risk_from_freqs(fk, big)


@dataclass(frozen=True)
class ArxRisk:
    """ARX-style risk summary (attacker models of Prasser et al., ARX risk analysis)."""

    prosecutor_highest: float
    prosecutor_average: float
    prosecutor_records_at_risk: int
    prosecutor_share_at_risk: float
    journalist_highest: float
    journalist_average: float
    marketer: float


def population_counts(
    frame: pd.DataFrame, qis: Sequence[str], population: pd.DataFrame
) -> np.ndarray:
    """Per sample record, the number of ``population`` records with the same key (own_value)."""
    both = pd.concat([frame[list(qis)], population[list(qis)]], ignore_index=True)
    ids, n_cls = class_ids(both, qis)
    n = len(frame)
    return np.bincount(ids[n:], minlength=n_cls)[ids[:n]].astype(np.float64)


def arx_risks(
    frame: pd.DataFrame,
    qis: Sequence[str],
    threshold: float,
    weights: np.ndarray | None = None,
    missing: str = "own_value",
    population: pd.DataFrame | None = None,
) -> ArxRisk | None:
    """Prosecutor, journalist and marketer risk as ARX reports them.

    Prosecutor (the attacker knows the target is in the sample): record risk 1/f_k;
    highest = 1/min class size; average = mean record risk = classes/records; records at risk =
    records with risk > ``threshold``.
    Journalist (the target is in a population): record risk 1/F_k, F_k the population class
    size, from a ``population`` table (records with the same QI columns; classes matched on equal
    values) or estimated as the sum of sampling ``weights``; without either F_k = f_k and the
    journalist risk equals the prosecutor risk. F_k is never taken below f_k.
    Marketer (re-identify as many as possible): expected share of correct matches,
    (1/n) sum_classes f_k/F_k = mean record journalist risk; = classes/records when F_k = f_k.
    """
    n = len(frame)
    if not qis or n == 0:
        return None
    fk = class_sizes_any(frame, qis, missing).astype(np.float64)
    pros = 1.0 / fk
    if population is not None:
        big = population_counts(frame, qis, population)
    elif weights is not None:
        big = population_sizes(frame, qis, weights, missing)
    else:
        big = fk
    big = np.maximum(big, fk)
    jour = 1.0 / big
    at_risk = int((pros > threshold).sum())
    return ArxRisk(
        prosecutor_highest=float(pros.max()),
        prosecutor_average=float(pros.mean()),
        prosecutor_records_at_risk=at_risk,
        prosecutor_share_at_risk=at_risk / n,
        journalist_highest=float(jour.max()),
        journalist_average=float(jour.mean()),
        marketer=float(jour.mean()),
    )
