"""A reviewer's approval of a ``refer`` releases data: the proposed changes or the submission
as submitted (formula-escaped), written before the audited decision commits."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_harness import Service

from triage.api.audit import entries, verify_audit
from triage.api.services import review as review_service

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def referrals() -> bytes:
    """council_referrals.csv (refer, with changes proposed) with formula-like referral ids."""
    rows = list(csv.reader((EXAMPLES / "council_referrals.csv").open(encoding="utf-8")))
    for row in rows[1:6]:
        row[0] = "=HYPERLINK(1)"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def referred(svc: Service, name: str, data: bytes, destination: str = "open-data") -> str:
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", (name, data, "application/octet-stream"))],
        data={"destination": destination},
    )
    assert res.status_code == 202, res.text
    sid = str(res.json()["id"])
    svc.worker.drain()
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["decision"], status["review_state"]) == ("refer", "pending")
    return sid


def decide(svc: Service, sid: str, action: str) -> tuple[int, dict]:
    res = svc.client.post(
        f"/v1/submissions/{sid}/review",
        headers=svc.h("rita"),
        json={"action": action, "justification": f"{action} after reading the report"},
    )
    return res.status_code, res.json()


def download(svc: Service, sid: str, name: str, who: str = "alice") -> tuple[int, str]:
    res = svc.client.get(f"/v1/submissions/{sid}/released/{name}", headers=svc.h(who))
    return res.status_code, res.text


@pytest.mark.parametrize(
    ("action", "final", "dropped"),
    [
        ("approve_with_changes", "release_with_changes", True),
        ("approve_release", "release", False),
    ],
)
def test_an_approval_releases_and_the_submitter_downloads(
    svc: Service, action: str, final: str, dropped: bool
) -> None:
    sid = referred(svc, "referrals.csv", referrals())
    report = svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("rita")).json()
    assert report["datasets"][0]["proposed"] == "proposed/referrals.csv"
    assert download(svc, sid, "referrals.csv")[0] == 409  # nothing before the review
    code, status = decide(svc, sid, action)
    assert code == 200, status
    assert (status["final_decision"], status["released"]) == (final, ["referrals.csv"])
    code, text = download(svc, sid, "referrals.csv")
    assert code == 200
    header = text.splitlines()[0].split(",")
    assert ("full_name" not in header and "nhs_number" not in header) is dropped
    assert text.count("'=HYPERLINK(1)") == 5 and "\n=HYPERLINK" not in text
    review = [e for e in entries(svc.worker.engine, sid) if e["action"] == "review"]
    assert review[0]["details"]["released"] == ["referrals.csv"]
    assert review[0]["details"]["final_decision"] == final
    assert [e["action"] for e in entries(svc.worker.engine, sid)][-1] == "download"
    assert verify_audit(svc.worker.engine) == []


def test_approve_with_changes_needs_a_proposal(svc: Service) -> None:
    # third-party sharing needs the triage answers: without them, refer with nothing to change
    air = (EXAMPLES / "air_quality.csv").read_bytes()
    sid = referred(svc, "air.csv", air, "third-party")
    code, body = decide(svc, sid, "approve_with_changes")
    assert code == 409 and "proposed no changes" in body["detail"]
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["final_decision"], status["review_state"]) == (None, "pending")
    assert [e["action"] for e in entries(svc.worker.engine, sid)] == ["submission", "decision"]
    code, status = decide(svc, sid, "approve_release")  # as submitted
    assert code == 200 and status["released"] == ["air.csv"]
    code, text = download(svc, sid, "air.csv")
    assert code == 200 and text.splitlines()[:3] == air.decode().splitlines()[:3]
    assert verify_audit(svc.worker.engine) == []


def test_withhold_releases_nothing(svc: Service) -> None:
    sid = referred(svc, "referrals.csv", referrals())
    code, status = decide(svc, sid, "withhold")
    assert code == 200 and (status["final_decision"], status["released"]) == ("withhold", [])
    assert download(svc, sid, "referrals.csv")[0] == 409
    review = [e for e in entries(svc.worker.engine, sid) if e["action"] == "review"]
    assert review[0]["details"]["released"] == []


def test_a_failed_copy_decides_nothing(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = referred(svc, "referrals.csv", referrals())

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(review_service, "_fsync_file", broken)
    quiet = TestClient(svc.client.app, raise_server_exceptions=False)
    res = quiet.post(
        f"/v1/submissions/{sid}/review",
        headers=svc.h("rita"),
        json={"action": "approve_with_changes", "justification": "agreed"},
    )
    assert res.status_code == 500
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["final_decision"], status["review_state"], status["released"]) == (
        None,
        "pending",
        [],
    )
    assert [e["action"] for e in entries(svc.worker.engine, sid)] == ["submission", "decision"]
    (result,) = (svc.settings.data_dir / "submissions" / sid).rglob("result")
    assert sorted(p.name for p in result.iterdir() if p.is_dir()) == ["proposed"]
    monkeypatch.undo()
    assert decide(svc, sid, "approve_with_changes")[0] == 200  # the reviewer can try again
    assert download(svc, sid, "referrals.csv")[0] == 200
    assert verify_audit(svc.worker.engine) == []
