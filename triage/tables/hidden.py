"""Cells a publisher already suppressed: which the published totals still give away.

Real count tables arrive with the publisher's own marks in place of small counts ("< 10", "*",
"[c]", "..": ``triage.vocab.SUPPRESSION_MARKS``). Such a hidden cell is no small-cell exposure
in itself: it is already protected, unless the rest of the table recovers it. The attacker of
secondary suppression (GSS / ONS guidance on disclosure control of tables, "secondary
suppression"; Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, ch. 5
"Frequency tables", and ch. 4.2 on the audit of a suppression pattern) subtracts the published
cells of a line from its published total: a line with one hidden cell gives it exactly, and
several hidden cells whose bounds ("< 10" means at most 9) leave their sum one way to be made
(three cells "< 10" summing to 27) give them all. :func:`recovered_cells` runs that audit as
linear programmes over every additivity relation at once (the attacker of
:func:`triage.tables.suppression.feasible_intervals`, with the marks' bounds as upper bounds):
a hidden cell whose feasible interval holds a single whole count is recovered. A recovered
cell below the threshold is a finding (the publisher's secondary suppression is incomplete);
the treatment then protects it like a primary cell by complementary suppression, and it keeps
the publisher's mark. A hidden cell that no relation pins down is fine as it stands.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np

from triage.models import Finding
from triage.tables.model import Cell, Table
from triage.tables.suppression import PrimaryRules, SuppressionResult, feasible_intervals
from triage.vocab import Severity

#: interval widths below this are one value (LP round-off)
_EPS = 1e-6


#: above this many hidden cells the audit reads each line alone (no linear programmes)
MAX_LP_HIDDEN = 2000


def hidden_intervals(table: Table) -> dict[Cell, tuple[float, float]]:
    """Every hidden cell's feasible interval from the published cells, totals and bounds.

    Over :data:`MAX_LP_HIDDEN` hidden cells, each line is read alone (:func:`_line_intervals`):
    weaker than the joint programmes, but it finds every line whose total and bounds give its
    hidden cells away.
    """
    if table.hidden is None:
        return {}
    cells = [tuple(int(x) for x in c) for c in np.argwhere(table.hidden)]
    if len(cells) > MAX_LP_HIDDEN:
        return _line_intervals(table)
    return feasible_intervals(table.values, table.unknown, cells, table.upper)


def _line_intervals(table: Table) -> dict[Cell, tuple[float, float]]:
    """Hidden cells' intervals from each line with a known total on its own."""
    values, unknown = table.values, table.unknown
    upper = table.upper if table.upper is not None else np.full(values.shape, math.inf)
    assert table.hidden is not None
    out: dict[Cell, tuple[float, float]] = {
        tuple(int(x) for x in c): (0.0, float(upper[tuple(c)])) for c in np.argwhere(table.hidden)
    }
    for axis in range(values.ndim):
        n = values.shape[axis] - 1
        for rest in itertools.product(*(range(s) for i, s in enumerate(values.shape) if i != axis)):
            line = [(*rest[:axis], j, *rest[axis:]) for j in range(n)]
            total_cell = (*rest[:axis], n, *rest[axis:])
            if unknown[total_cell]:
                continue
            hidden = [c for c in line if unknown[c]]
            if not hidden or not all(bool(table.hidden[c]) for c in hidden):
                continue
            rest_sum = float(values[total_cell]) - sum(
                float(values[c]) for c in line if c not in hidden
            )
            caps = sum(float(upper[c]) for c in hidden)
            for c in hidden:
                others = caps - float(upper[c])
                lo, hi = out[c]
                out[c] = (max(lo, rest_sum - others), min(hi, rest_sum))
    return out


def exact_value(interval: tuple[float, float], integral: bool) -> float | None:
    """The one value an interval allows (a whole count for count tables), else None."""
    lo, hi = interval
    if math.isinf(hi):
        return None
    if integral:
        first, last = math.ceil(lo - _EPS), math.floor(hi + _EPS)
        return float(first) if first == last else None
    return (lo + hi) / 2 if hi - lo <= _EPS * max(1.0, abs(hi)) else None


def recovered_cells(table: Table, rules: PrimaryRules | None = None) -> dict[Cell, float]:
    """Hidden cells the published table gives away and which the primary rules protect.

    For a count table, a recovered count ``1 <= n < threshold`` (``0 <= n`` with
    ``zeros_sensitive``); for a magnitude table, any recovered non-zero value (the publisher
    hid it as sensitive). Returns cell -> recovered value.
    """
    rules = rules or PrimaryRules()
    integral = table.kind == "count"
    low = 0 if rules.zeros_sensitive else 1
    out: dict[Cell, float] = {}
    for cell, interval in hidden_intervals(table).items():
        value = exact_value(interval, integral)
        if value is None:
            continue
        small = low <= value < rules.threshold if integral else value > 0
        if small:
            out[cell] = value
    return out


def marks_seen(table: Table) -> str:
    """The publisher's marks with their counts, most frequent first ("'< 10' x 12")."""
    counts = Counter(table.marks.values())
    return ", ".join(f"'{m}' x {n}" for m, n in sorted(counts.items(), key=lambda i: -i[1]))


def hidden_findings(dataset: str, table: Table, result: SuppressionResult) -> list[Finding]:
    """What the publisher already suppressed (info), and the hidden cells the totals recover."""
    dims = [d.name for d in table.dimensions]
    hidden = table.hidden_count()
    per_column = Counter(table.cell_map[c][1] for c in table.marks if c in table.cell_map)
    columns = sorted(per_column)
    where = "; ".join(f"{col}: {per_column[col]}" for col in columns)
    recovered = result.recovered_count()
    out = [
        Finding(
            kind="publisher_suppressed_cells",
            severity=Severity.INFO,
            dataset=dataset,
            columns=columns,
            count=hidden,
            message=f"{hidden} cell(s) of the table were already suppressed by the publisher "
            f"(marks: {marks_seen(table)}; by column: {where}); they keep their marks. "
            + (
                f"{recovered} of them can be recovered from the published totals."
                if recovered
                else "None of them can be recovered from the published totals."
            ),
        )
    ]
    if recovered:
        out.append(
            Finding(
                kind="small_cells",  # treated as small cells are, by the small-cells rule
                severity=Severity.HIGH,
                dataset=dataset,
                columns=dims,
                count=recovered,
                message=f"{recovered} cell(s) the publisher suppressed can be recovered exactly "
                "by subtracting the published cells from their totals, and are below "
                f"{_threshold_text(table)}: the publisher's secondary suppression is "
                f"incomplete; {int(result.secondary.sum())} complementary suppression(s) "
                "protect them.",
            )
        )
    return out


def _threshold_text(table: Table) -> str:
    return "the threshold" if table.kind == "count" else "what dominance allows"
