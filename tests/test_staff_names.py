"""Names of staff beside their posts (organisation charts, senior salaries) are referred."""

from __future__ import annotations

import pandas as pd
import pytest

from triage.context import RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.rules import builtin_rulebook
from triage.vocab import Destination

NAMES = ["Olivia Harvey", "Callum Watts", "Teresa Briggs", "George Black", "Leanne Rees"] * 4
POSTS = ["Director of Place", "Head of Highways", "Chief Executive", "Finance Manager"] * 5


def _fired(frame: pd.DataFrame, destination: Destination, analyzer) -> set[str]:
    dataset = Dataset(name="staff.csv", sha256="0" * 64, format="csv", frame=frame)
    engine = Engine(builtin_rulebook(destination), RunContext(), analyzer)
    return {r.rule for r in engine.check([dataset]).report.rules_fired}


@pytest.mark.parametrize("destination", [Destination.OPEN_DATA, Destination.FOI])
@pytest.mark.parametrize(
    ("columns", "refers"),
    [
        ({"Name": NAMES, "JobTitle": POSTS}, True),
        ({"full_name": NAMES, "Grade": ["SCS1", "SCS2", "Band 9", "Band 8"] * 5}, True),
        # names without posts: an ordinary direct identifier, dropped
        ({"Name": NAMES, "Ward": ["Sale", "Hale", "Urmston", "Timperley"] * 5}, False),
        # posts without names: no one is named
        ({"JobTitle": POSTS, "Salary": [str(50_000 + 1_000 * i) for i in range(20)]}, False),
    ],
)
def test_staff_names_in_public_roles(
    analyzer, destination: Destination, columns: dict[str, list[str]], refers: bool
) -> None:
    fired = _fired(pd.DataFrame(columns, dtype="str"), destination, analyzer)
    assert ("staff-names-in-public-roles" in fired) is refers, fired
