"""Rounding alternatives to suppression for count tables.

Conventional rounding rounds every cell, margins included, independently to the nearest multiple
of the base (halves up): the rounded margins then need not equal the sum of the rounded cells,
and publications should say so. Random (unbiased) rounding rounds ``x`` up to the next multiple
with probability ``(x mod base) / base`` (seeded, deterministic), again cell by cell.
Controlled rounding (additive margins) is not implemented.
"""

from __future__ import annotations

import numpy as np

from triage.tables.model import margin_mismatches


def round_conventional(values: np.ndarray, base: int = 5) -> np.ndarray:
    """Round every cell to the nearest multiple of ``base`` (halves up); margins independently."""
    if base < 1:
        raise ValueError("base must be at least 1")
    return np.floor(values / base + 0.5) * base


def round_random(values: np.ndarray, base: int = 5, seed: int = 0) -> np.ndarray:
    """Unbiased random rounding to ``base`` with a seeded generator (cell by cell)."""
    if base < 1:
        raise ValueError("base must be at least 1")
    rng = np.random.default_rng(seed)
    low = np.floor(values / base) * base
    rem = values - low
    up = rng.random(values.shape) < rem / base
    return low + np.where(up, base, 0)


def non_additive_margins(rounded: np.ndarray) -> int:
    """Number of marginal relations that no longer add up after rounding."""
    return margin_mismatches(rounded)
