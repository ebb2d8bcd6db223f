"""The submission service end to end with TestClient and SQLite: submit, process, report,
review, download, catalog routes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from service_harness import Service

from triage.api.audit import entries, verify_audit

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RULEBOOKS = Path(__file__).resolve().parents[1] / "rules" / "rulebooks"


def formula_csv() -> bytes:
    """air_quality.csv with an e-mail column (dropped, so data is released with changes) and
    formula-like status cells."""
    rows = list(csv.reader((EXAMPLES / "air_quality.csv").open(encoding="utf-8")))
    rows[0].append("contact_email")
    officers = ["j.patel", "sarah.owen", "tom.hughes", "a.kowalski", "megan.price"]
    for i, row in enumerate(rows[1:]):
        row.append(f"{officers[i % len(officers)]}@example.org")
        if i < 50:
            row[6] = "=SUM(1,2)"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def submit(svc: Service, who: str, name: str, data: bytes, **fields: str) -> str:
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h(who),
        files=[("files", (name, data, "text/csv"))],
        data={"destination": "open-data", **fields},
    )
    assert res.status_code == 202, res.text
    return str(res.json()["id"])


def test_submit_process_report(svc: Service) -> None:
    sid = submit(svc, "alice", "air_quality.csv", (EXAMPLES / "air_quality.csv").read_bytes())
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert status["status"] == "queued" and status["files"][0]["name"] == "air_quality.csv"
    assert (
        svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice")).status_code == 409
    )
    assert svc.worker.drain() == 1
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["status"], status["decision"], status["final_decision"]) == (
        "done",
        "release",
        "release",
    )
    report = svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice")).json()
    assert report["decision"] == "release"
    html = svc.client.get(f"/v1/submissions/{sid}/report.html", headers=svc.h("alice"))
    assert html.status_code == 200 and "<html" in html.text.lower()
    assert "sandbox" in html.headers["content-security-policy"]
    listed = svc.client.get("/v1/submissions?status=done&decision=release", headers=svc.h("alice"))
    assert [s["id"] for s in listed.json()] == [sid]
    assert svc.client.get("/v1/submissions?status=queued", headers=svc.h("alice")).json() == []
    logged = entries(svc.worker.engine, sid)
    assert [e["action"] for e in logged] == ["submission", "decision"]
    record = logged[1]["details"]  # the triage record travels with the decision
    assert record["decision"] == "release" and len(record["report_sha256"]) == 64
    assert "no-personal-data" in record["rules"] and record["data_class"] in ("open", "closed")
    assert verify_audit(svc.worker.engine) == []


def test_context_answers_and_fields(svc: Service) -> None:
    answers = (EXAMPLES / "context" / "open-data.yaml").read_text(encoding="utf-8")
    sid = submit(
        svc,
        "alice",
        "air_quality.csv",
        (EXAMPLES / "air_quality.csv").read_bytes(),
        context=answers,
        recipient="the public",
        purpose="open data portal",
    )
    svc.worker.drain()
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert status["status"] == "done" and status["recipient"] == "the public"
    report = svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice")).json()
    assert report["context"] is not None


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"destination": "moon"}, 422),
        ({"destination": "open-data", "context": "a: [unclosed"}, 422),
        ({"destination": "open-data", "context": "- just\n- a list"}, 422),
    ],
)
def test_bad_submission_fields(svc: Service, fields: dict[str, str], status: int) -> None:
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", ("a.csv", b"x,y\n1,2\n", "text/csv"))],
        data=fields,
    )
    assert res.status_code == status
    assert res.headers["content-type"].startswith("application/problem+json")
    assert not list((svc.settings.data_dir / "submissions").glob("*/input/*"))


def test_no_files_is_bad_request(svc: Service) -> None:
    res = svc.client.post(
        "/v1/submissions", headers=svc.h("alice"), data={"destination": "open-data"}
    )
    assert res.status_code == 400


def test_release_with_changes_download_escapes_formulas(svc: Service) -> None:
    sid = submit(svc, "alice", "readings.csv", formula_csv())
    svc.worker.drain()
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert status["decision"] == "release_with_changes"
    assert status["released"] == ["readings.csv"]
    res = svc.client.get(f"/v1/submissions/{sid}/released/readings.csv", headers=svc.h("alice"))
    assert res.status_code == 200
    assert "attachment" in res.headers["content-disposition"]
    text = res.text
    assert "'=SUM(1,2)" in text and ",=SUM" not in text and "contact_email" not in text
    missing = svc.client.get(f"/v1/submissions/{sid}/released/other.csv", headers=svc.h("alice"))
    assert missing.status_code == 404
    assert [e["action"] for e in entries(svc.worker.engine, sid)][-1] == "download"


def test_refer_waits_for_review_and_reviewer_approves(svc: Service) -> None:
    sid = submit(
        svc, "alice", "council_referrals.csv", (EXAMPLES / "council_referrals.csv").read_bytes()
    )
    svc.worker.drain()
    status = svc.client.get(f"/v1/submissions/{sid}", headers=svc.h("alice")).json()
    assert (status["decision"], status["final_decision"], status["review_state"]) == (
        "refer",
        None,
        "pending",
    )
    queue = svc.client.get("/v1/submissions?review_state=pending", headers=svc.h("rita")).json()
    assert [s["id"] for s in queue] == [sid]
    url = f"/v1/submissions/{sid}/review"
    blank = svc.client.post(
        url, headers=svc.h("rita"), json={"action": "withhold", "justification": "  "}
    )
    assert blank.status_code == 422
    missing = svc.client.post(url, headers=svc.h("rita"), json={"action": "withhold"})
    assert missing.status_code == 422
    ok = svc.client.post(
        url,
        headers=svc.h("rita"),
        json={"action": "approve_with_changes", "justification": "Aggregated by ward first."},
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["final_decision"], ok.json()["review_state"]) == (
        "release_with_changes",
        "reviewed",
    )
    again = svc.client.post(
        url, headers=svc.h("rita"), json={"action": "withhold", "justification": "changed mind"}
    )
    assert again.status_code == 409
    review = [e for e in entries(svc.worker.engine, sid) if e["action"] == "review"]
    assert review[0]["details"]["justification"] == "Aggregated by ward first."
    assert review[0]["details"]["engine_decision"] == "refer"
    assert verify_audit(svc.worker.engine) == []


def test_self_review_is_forbidden(svc: Service) -> None:
    sid = submit(
        svc, "adam", "council_referrals.csv", (EXAMPLES / "council_referrals.csv").read_bytes()
    )
    svc.worker.drain()
    res = svc.client.post(
        f"/v1/submissions/{sid}/review",
        headers=svc.h("adam"),
        json={"action": "approve_release", "justification": "mine"},
    )
    assert res.status_code == 403


def test_catalog_and_health(svc: Service) -> None:
    rbs = svc.client.get("/v1/rulebooks", headers=svc.h("alice")).json()
    assert {r["destination"] for r in rbs} == {"open-data", "third-party", "foi", "internal"}
    good = svc.client.post(
        "/v1/rulebooks/validate",
        headers={**svc.h("alice"), "Content-Type": "text/plain"},
        content=(RULEBOOKS / "foi.yaml").read_bytes(),
    )
    assert good.status_code == 200 and good.json()["valid"] is True
    bad = svc.client.post(
        "/v1/rulebooks/validate",
        headers={**svc.h("alice"), "Content-Type": "text/plain"},
        content=b"name: x\nrules: [{id: r1, when: 'nonsense ++'}]\n",
    )
    assert bad.status_code == 200 and bad.json()["valid"] is False and bad.json()["error"]
    assert svc.client.get("/v1/registry", headers=svc.h("rita")).json() == []
    assert svc.client.get("/healthz").json() == {"status": "ok"}
    assert svc.client.get("/readyz").status_code == 200
    spec = svc.client.get("/openapi.json").json()
    assert {"/v1/submissions", "/v1/submissions/{sid}/review", "/v1/rulebooks"} <= set(
        spec["paths"]
    )
    assert (
        "multipart/form-data" in spec["paths"]["/v1/submissions"]["post"]["requestBody"]["content"]
    )


def test_web_page_is_served_without_cdn(svc: Service) -> None:
    page = svc.client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    js = svc.client.get("/static/app.js")
    assert js.status_code == 200 and "sessionStorage" in js.text
    assert "http" not in page.text.replace("http-equiv", "")


@pytest.mark.parametrize(
    "live_service", [[], ["--http-processes", "2"]], indirect=True, ids=["one", "two_http"]
)
def test_real_uvicorn_process_with_background_worker(live_service) -> None:
    """One process, or two HTTP processes with the worker in the supervisor: same answers."""
    import time

    import httpx

    from triage.api.cli_hooks import create_key as hook_create_key

    base = live_service.base
    key = hook_create_key(live_service.db_url, "submitter", "alice")
    deadline = time.monotonic() + 120
    try:
        headers = {"X-API-Key": key}
        res = httpx.post(
            f"{base}/v1/submissions",
            headers=headers,
            files=[("files", ("air.csv", (EXAMPLES / "air_quality.csv").read_bytes()))],
            data={"destination": "open-data"},
        )
        assert res.status_code == 202, res.text
        assert res.headers["x-frame-options"] == "DENY"
        sid = res.json()["id"]
        while True:
            status = httpx.get(f"{base}/v1/submissions/{sid}", headers=headers).json()
            if status["status"] in ("done", "failed"):
                break
            assert time.monotonic() < deadline, live_service.log.read_text()
            time.sleep(0.2)
        assert status["decision"] == "release", status
        report = httpx.get(f"{base}/v1/submissions/{sid}/report", headers=headers).json()
        assert report["decision"] == "release"
        big = httpx.post(
            f"{base}/v1/submissions",
            headers=headers,
            files=[("files", ("big.csv", b"1" * (101 * 1024**2)))],
            data={"destination": "open-data"},
        )
        assert big.status_code == 413
    finally:
        live_service.stop()
    log = live_service.log.read_text()
    assert key not in log and "Traceback" not in log
    data_dir = Path(live_service.db_url.removeprefix("sqlite:///")).parent / "data"
    assert not list(data_dir.glob(".serve-settings-*")), "the settings file outlived the service"


def test_foi_document_submission_is_redacted_and_released_after_review(
    svc: Service, tmp_path: Path
) -> None:
    """A DOCX goes through the document path: refer (low-confidence findings) with the
    redacted copy proposed; the reviewer approves the changes; the download is that copy."""
    from triage.documents import load_document

    source = EXAMPLES / "foi_response.docx"
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", (source.name, source.read_bytes(), "application/octet-stream"))],
        data={"destination": "foi"},
    )
    assert res.status_code == 202, res.text
    sid = res.json()["id"]
    assert svc.worker.drain() == 1
    report = svc.client.get(f"/v1/submissions/{sid}/report", headers=svc.h("alice")).json()
    assert report["decision"] == "refer"
    doc, table = report["datasets"]  # the letter, and its table as the tabular engine saw it
    assert doc["name"] == source.name and doc["proposed"] == f"proposed/{source.name}"
    assert table["name"] == "foi_response_table1"
    approve = svc.client.post(
        f"/v1/submissions/{sid}/review",
        headers=svc.h("rita"),
        json={"action": "approve_with_changes", "justification": "findings confirmed"},
    )
    assert approve.status_code == 200, approve.text
    got = svc.client.get(f"/v1/submissions/{sid}/released/{source.name}", headers=svc.h("alice"))
    assert got.status_code == 200
    (tmp_path / source.name).write_bytes(got.content)
    before = " ".join(b.text for b in load_document(source).blocks)
    after = " ".join(b.text for b in load_document(tmp_path / source.name).blocks)
    assert after != before and "[Person 1]" in after and "[Person 1]" not in before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("reply.pdf", b"not a pdf at all"),
        ("reply.docx", b"plain text, not a zip"),
        ("mail.eml", b"\x00\x01\x02 binary"),
    ],
)
def test_documents_must_match_their_type(svc: Service, name: str, content: bytes) -> None:
    res = svc.client.post(
        "/v1/submissions",
        headers=svc.h("alice"),
        files=[("files", (name, content, "application/octet-stream"))],
        data={"destination": "foi"},
    )
    assert res.status_code == 400 and "does not match" in res.json()["detail"]
