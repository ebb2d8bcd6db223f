"""Cells a spreadsheet would run as formulas (OWASP CSV injection), found and escaped.

Values starting with ``= + - @`` TAB or CR are formulas to Excel and LibreOffice unless they are
a plain number (``-5``, ``+3.2``, ``-1e3``). Escaping prefixes ``'``, which spreadsheets show as
text. Pure functions: the readers, writers, the ``escape_formulas`` transform and the engine's
finding share them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NUMBER_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(NUMBER_RE)
FORMULA_START = "=+-@\t\r"
_FORMULA_PATTERN = r"^[=+\-@\t\r]"


def escape_formula(value: str) -> str:
    """Prefix ``'`` to a value a spreadsheet could run as a formula.

    A phone number like ``+44 20 7946 0958`` is not a plain number and is escaped: safe, at the
    cost of a visible quote.

    >>> escape_formula("=SUM(A1)"), escape_formula("-5.2")
    ("'=SUM(A1)", '-5.2')
    """
    if value and value[0] in FORMULA_START and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def formula_cells(series: pd.Series) -> np.ndarray:
    """Boolean mask of the cells of ``series`` a spreadsheet would run as formulas.

    The number test runs only on the cells that start like a formula (few, on a hot path)."""
    text = series.astype("str") if series.dtype != "str" else series
    risky = text.str.contains(_FORMULA_PATTERN, regex=True, na=False).to_numpy(dtype=bool)
    risky = risky & series.notna().to_numpy(dtype=bool)
    if risky.any():
        idx = np.flatnonzero(risky)
        numbers = text.iloc[idx].str.fullmatch(NUMBER_RE, na=False).to_numpy(dtype=bool)
        risky[idx[numbers]] = False
    return risky


def escape_series(series: pd.Series) -> tuple[pd.Series, int]:
    """``series`` as strings with its formula cells escaped, and how many were."""
    text = series.astype("str") if series.dtype != "str" else series
    risky = formula_cells(text)
    n = int(risky.sum())
    return (text.where(~risky, "'" + text) if n else text), n


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (as strings) with :func:`escape_formula` applied to every cell."""
    out = frame.astype("str") if any(frame.dtypes != "str") else frame.copy()
    for col in out.columns:
        escaped, n = escape_series(out[col])
        if n:
            out[col] = escaped
    return out
