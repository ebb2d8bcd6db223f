"""Individuals among the organisations a council pays or funds (issue 12, class 2): a sole
trader among suppliers, an artist among grant recipients. Only their cells are replaced."""

from __future__ import annotations

import pandas as pd
import pytest

from triage.classifiers.names import is_individual
from triage.context import RunContext
from triage.dataset import Dataset
from triage.pipeline.engine import Engine
from triage.redaction.base import TransformContext
from triage.redaction.registry import get_transform
from triage.rules import builtin_rulebook
from triage.vocab import Decision, Destination


@pytest.mark.parametrize(
    ("value", "individual"),
    [
        ("Margaret Okonjo", True),
        ("Tomasz Wiśniewski", True),
        ("ACME UK", False),
        ("Harriet Vane-Smythe", True),
        ("Priya Raman Nair", True),
        ("Oakfield Youth Theatre", False),
        ("Riverside Community Trust", False),
        ("Hope Foundation", False),
        ("Margaret", False),  # one word
        ("Bath Mind", False),
        ("Apex Plumbing Ltd", False),
        ("Squadron 2282", False),
        ("An application from an individual", False),
        # spend exports in capitals, with honorifics and initials
        ("MRS HELEN OKAFOR", True),
        ("MR T W BRIGGS", True),
        ("DR K ASANTE", True),
        ("Mr. Briggs", True),
        ("GRAHAM FOSTER", True),
        ("NORTHGATE PUBLIC SERVICES (UK) LTD", False),
        ("MR BRIGGS & SONS LTD", False),
        ("HMRC", False),
        ("OAKFIELD PARISH COUNCIL", False),
    ],
)
def test_is_individual(value: str, individual: bool) -> None:
    assert is_individual(value) is individual


def test_the_transform_replaces_only_individuals() -> None:
    frame = pd.DataFrame(
        {"Recipient": ["Margaret Okonjo", "Oakfield Youth Theatre", None, "Hope Foundation"]},
        dtype="string",
    )
    transform = get_transform("redact_individuals")
    result = transform.apply(
        frame, ["Recipient"], transform.parse_params({}), TransformContext(run=RunContext())
    )
    assert result.frame["Recipient"].tolist()[:2] == ["[individual]", "Oakfield Youth Theatre"]
    assert pd.isna(result.frame["Recipient"][2]) and result.cells_changed == 1
    assert frame["Recipient"][0] == "Margaret Okonjo"  # the input is not changed


ORGANISATIONS = [
    "Oakfield Youth Theatre",
    "Riverside Community Trust",
    "Northgate Food Bank",
    "St Anne's Parish Council",
    "Greenway Allotment Society",
    "Lark Lane Arts Centre",
]


def _grants(header: str) -> pd.DataFrame:
    recipients = [*ORGANISATIONS * 5, "Margaret Okonjo", "Daniel Whitfield"]
    return pd.DataFrame(
        {
            header: recipients,
            "Amount": [str(500 + 10 * i) for i in range(len(recipients))],
            "Programme": ["Community grants"] * len(recipients),
        },
        dtype="str",
    )


@pytest.mark.parametrize(
    ("header", "decision", "replaced"),
    [
        ("Recipient Name", Decision.RELEASE_WITH_CHANGES, 2),
        ("Supplier", Decision.RELEASE_WITH_CHANGES, 2),
        # 360Giving's "Recipient Org" columns hold organisations by definition
        ("Recipient Org:Name", Decision.RELEASE, 0),
    ],
)
def test_individuals_among_recipients_are_replaced_for_open_data(
    analyzer, header: str, decision: Decision, replaced: int
) -> None:
    rb = builtin_rulebook(Destination.OPEN_DATA)
    dataset = Dataset(name="grants.csv", sha256="0" * 64, format="csv", frame=_grants(header))
    result = Engine(rb, RunContext(), analyzer).check([dataset])
    assert result.report.decision is decision, [r.rule for r in result.report.rules_fired]
    (released,) = result.released.values() if replaced else [dataset.frame]
    column = released[header].tolist()
    assert column.count("[individual]") == replaced
    assert set(ORGANISATIONS) <= set(column)
