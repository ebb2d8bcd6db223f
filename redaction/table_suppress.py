"""``table_suppress`` and ``table_round``: protect an aggregate table (counts or magnitudes).

Both recognise the table in the frame again (deterministic), so they need no state from the
check; the engine re-checks their output cell by cell.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from triage.errors import PluginExecutionError
from triage.redaction.base import Transform, TransformContext, TransformParams, TransformResult
from triage.tables.model import Table, recognise_table, write_back
from triage.tables.rounding import round_conventional, round_random
from triage.tables.suppression import PrimaryRules, Protection, suppress_table


class TableSuppressParams(TransformParams):
    """Primary rules (threshold, dominance, p%) and the marker written in suppressed cells."""

    threshold: int = Field(default=10, ge=1)
    zeros_sensitive: bool = False
    min_contributors: int | None = None
    dominance_n: int = 2
    dominance_k: float = 85.0
    p_percent: float | None = 10.0
    protect_to_threshold: bool = False
    marker: str = "[c]"


def primary_rules(params: TableSuppressParams) -> PrimaryRules:
    """The primary-suppression rules these params ask for."""
    return PrimaryRules(
        threshold=params.threshold,
        zeros_sensitive=params.zeros_sensitive,
        min_contributors=params.min_contributors,
        dominance_n=params.dominance_n,
        dominance_k=params.dominance_k,
        p_percent=params.p_percent,
    )


def _table(frame: pd.DataFrame, transform: str) -> Table:
    table = recognise_table(frame, "")
    if table is None:
        raise PluginExecutionError(f"{transform}: the data is not a recognisable table")
    return table


class TableSuppress(Transform[TableSuppressParams]):
    """Primary and secondary cell suppression, so no suppressed cell can be recovered from
    the published margins (hypercube method checked by linear programming)."""

    id = "table_suppress"
    Params = TableSuppressParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: TableSuppressParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the sensitive and complementary cells marked."""
        table = _table(frame, self.id)
        result = suppress_table(
            table, primary_rules(params), Protection(to_threshold=params.protect_to_threshold)
        )
        if result.unprotected:
            raise PluginExecutionError(
                f"table_suppress: {len(result.unprotected)} sensitive cells could not be protected"
            )
        out, changed = write_back(frame, table, result.suppressed, marker=params.marker)
        value_columns = sorted({col for _, col in table.cell_map.values()})
        primary, secondary = int(result.primary.sum()), int(result.secondary.sum())
        note = (
            f"{primary} cells suppressed under the primary rules and {secondary} complementary "
            f"cells, marked {params.marker}"
        )
        if table.hidden is not None:
            recovered = result.recovered_count()
            note += f"; {table.hidden_count()} cells the publisher suppressed keep their marks"
            if recovered:
                note += f" ({recovered} of them could be recovered from the totals)"
        return TransformResult(
            frame=out,
            description=note,
            cells_changed=changed,
            column_notes=dict.fromkeys(value_columns, note),
        )


class TableRoundParams(TransformParams):
    """Rounding base and method (``conventional`` or seeded ``random``)."""

    base: int = Field(default=5, ge=2)
    method: str = Field(default="conventional", pattern="^(conventional|random)$")


class TableRound(Transform[TableRoundParams]):
    """Round every cell and total to a base; totals are rounded on their own, so they may not
    add up exactly (said in the column note)."""

    id = "table_round"
    Params = TableRoundParams

    def apply(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        params: TableRoundParams,
        tctx: TransformContext,
    ) -> TransformResult:
        """A copy of ``frame`` with the table's values rounded."""
        table = _table(frame, self.id)
        values = (
            round_conventional(table.values, params.base)
            if params.method == "conventional"
            else round_random(table.values, params.base, tctx.run.seed)
        )
        out, changed = write_back(frame, table, None, new_values=values)
        note = f"rounded to base {params.base} ({params.method}); totals rounded independently"
        value_columns = sorted({col for _, col in table.cell_map.values()})
        return TransformResult(
            frame=out,
            description=note,
            cells_changed=changed,
            column_notes=dict.fromkeys(value_columns, note),
        )
