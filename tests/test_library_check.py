"""``triage.check`` as a library call: the report, and ReleaseBlocked only when asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

import triage
from triage.errors import ReleaseBlocked, TriageError
from triage.vocab import Decision

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KEY = b"library-check-key-0123456789"


@pytest.mark.parametrize(
    ("file", "destination", "blocked"),
    [
        ("air_quality.csv", "open-data", False),
        ("council_referrals.csv", "third-party", True),  # no triage answers: refer
    ],
)
def test_raise_if_blocked(file: str, destination: str, blocked: bool) -> None:
    paths = [EXAMPLES / file]
    report = triage.check(paths, destination, key=KEY, nlp_model=None)
    assert (report.decision in (Decision.REFER, Decision.WITHHOLD)) is blocked
    if not blocked:
        again = triage.check(paths, destination, key=KEY, nlp_model=None, raise_if_blocked=True)
        assert again.decision is report.decision
        return
    with pytest.raises(ReleaseBlocked) as caught:
        triage.check(paths, destination, key=KEY, nlp_model=None, raise_if_blocked=True)
    assert isinstance(caught.value, TriageError)
    assert caught.value.report.decision is report.decision
    assert str(caught.value).startswith(f"{report.decision.value}: ")
