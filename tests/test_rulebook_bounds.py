"""Bounds on rulebook conditions: size and macro nesting at load, validation in its own process."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from triage.api.cli_hooks import create_key as hook_create_key
from triage.errors import RulebookError
from triage.rules.loader import (
    LIMIT_MARK,
    MAX_CONDITION_CHARS,
    condition_bounds_problem,
    macro_depth,
    parse_rulebook,
)


def _nested(depth: int) -> str:
    expr = "true"
    for i in range(depth):
        expr = f"columns.all(c{i}, {expr})"
    return expr


def _rulebook(when: str) -> bytes:
    return (
        "name: bounds\nversion: '1'\ndestination: open-data\nrules:\n"
        f"  - id: r1\n    when: {when!r}\n    outcome: refer\n    rationale: test\n"
    ).encode()


@pytest.mark.parametrize(
    ("expression", "depth"),
    [
        ("size(problems) > 0", 0),
        ("columns.exists(c, c.role == 'free_text')", 1),
        (_nested(2), 2),
        (_nested(3), 3),
        ("columns.exists(c, c.entities.exists(e, e in ['A']))", 2),
        # macro names inside string literals do not count
        ("'x.all(y, z.all(w, v.all(u, true)))' == 'a'", 0),
        ("columns.map(c, c.name).exists(n, n == 'a')", 1),
    ],
)
def test_macro_depth(expression: str, depth: int) -> None:
    assert macro_depth(expression) == depth


@pytest.mark.parametrize(
    ("expression", "refused"),
    [
        (_nested(2), False),
        (_nested(3), True),
        (_nested(12), True),
        ("true || " * ((MAX_CONDITION_CHARS // 8) + 1) + "true", True),
        ("size(problems) > 0", False),
    ],
)
def test_condition_bounds(expression: str, refused: bool) -> None:
    problem = condition_bounds_problem(expression)
    assert (problem is not None) == refused
    if refused:
        with pytest.raises(RulebookError, match=LIMIT_MARK):
            parse_rulebook(_rulebook(expression), "hostile.yaml")


def test_service_refuses_hostile_rulebook_with_4xx(svc) -> None:
    hostile = svc.client.post(
        "/v1/rulebooks/validate",
        headers={**svc.h("alice"), "Content-Type": "text/plain"},
        content=_rulebook(_nested(8)),
    )
    assert hostile.status_code == 422
    assert "bounds" in hostile.json()["detail"]


def test_healthz_answers_while_hostile_validations_run(live_service) -> None:
    key = hook_create_key(live_service.db_url, "submitter", "mallory")
    body = _rulebook(_nested(2).replace("true", "[" + ",".join(["1"] * 400) + "].all(x, x > 0)"))
    statuses: list[int] = []
    spans: list[float] = []

    def attack() -> None:
        for _ in range(3):
            began = time.monotonic()
            r = httpx.post(
                f"{live_service.base}/v1/rulebooks/validate",
                headers={"X-API-Key": key, "Content-Type": "text/plain"},
                content=body,
                timeout=60,
            )
            statuses.append(r.status_code)
            spans.append(time.monotonic() - began)

    threads = [threading.Thread(target=attack) for _ in range(4)]
    for t in threads:
        t.start()
    worst = 0.0
    while any(t.is_alive() for t in threads):
        start = time.monotonic()
        assert httpx.get(f"{live_service.base}/healthz", timeout=5).status_code == 200
        took = time.monotonic() - start
        worst = max(worst, took)
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert statuses and all(s < 500 for s in statuses), statuses
    # a blocked server keeps /healthz waiting for a whole validation; the bound scales with the
    # validations' own time in this run (a loaded machine slows both)
    assert worst < max(0.5, 0.5 * max(spans)), (worst, sorted(spans))
