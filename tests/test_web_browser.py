"""The web page end to end in headless Chromium (Debian's, driven by Playwright's Python
package): a submitter uploads, reads the report, a reviewer decides the referred submission.
Screenshots are kept in tests/artefacts/."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from triage.api.cli_hooks import create_key

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "tests" / "artefacts"
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup installs it)"
)


def test_upload_report_and_review_in_the_browser(live_service) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = live_service.base
    keys = {
        "alice": create_key(live_service.db_url, "submitter", "alice"),
        "rita": create_key(live_service.db_url, "reviewer", "rita"),
    }
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base)
        page.fill("#key", keys["alice"])
        page.locator("#signin-form button, #signin-form [type=submit]").first.click()
        expect(page.locator("#app")).to_be_visible()
        page.set_input_files("#files", str(ROOT / "examples" / "council_referrals.csv"))
        page.select_option("#destination", "open-data")
        page.locator("#upload-form button, #upload-form [type=submit]").first.click()
        row = page.locator("#list tbody tr").first
        expect(row).to_contain_text("(awaiting review)", timeout=180_000)
        row.get_by_role("button", name="Open").click()
        expect(page.locator("#detail")).to_be_visible()
        page.screenshot(path=str(ARTEFACTS / "web-submitter-report.png"), full_page=True)
        # a second referral, through the API, for the reviewer to withhold
        data = (ROOT / "examples" / "council_referrals.csv").read_bytes()
        alice = {"X-API-Key": keys["alice"]}
        second = httpx.post(
            f"{base}/v1/submissions",
            headers=alice,
            files=[("files", ("referrals.csv", data))],
            data={"destination": "open-data"},
        )
        assert second.status_code == 202, second.text
        deadline = time.monotonic() + 180
        url = f"{base}/v1/submissions/{second.json()['id']}"
        while httpx.get(url, headers=alice).json()["status"] != "done":
            assert time.monotonic() < deadline, live_service.log.read_text()
            time.sleep(0.2)

        page.evaluate("sessionStorage.clear()")
        page.goto(base)
        page.fill("#key", keys["rita"])
        page.locator("#signin-form button, #signin-form [type=submit]").first.click()
        expect(page.locator("#queue tbody tr")).to_have_count(2, timeout=30_000)
        queued = page.locator("#queue tbody tr", has_text="council_referrals.csv")
        # the check proposed changes, so the reviewer may approve them
        expect(queued.locator(".proposal")).to_contain_text("yes: council_referrals.csv")
        page.screenshot(path=str(ARTEFACTS / "web-reviewer-queue.png"), full_page=True)
        queued.locator("input").fill("Treated release agreed with the data owner")
        queued.get_by_role("button", name="Approve with changes").click()
        expect(page.locator("#queue tbody tr")).to_have_count(1, timeout=30_000)
        other = page.locator("#queue tbody tr").first
        other.locator("input").fill("Duplicate submission")
        other.get_by_role("button", name="Withhold").click()
        expect(page.locator("#queue tbody tr")).to_have_count(0, timeout=30_000)
        approved = page.locator("#list tbody tr", has_text="council_referrals.csv")
        expect(approved).to_contain_text("release_with_changes", timeout=30_000)
        approved.get_by_role("button", name="Open").click()
        expect(page.locator("#downloads")).to_contain_text(
            "Download council_referrals.csv", timeout=30_000
        )
        page.screenshot(path=str(ARTEFACTS / "web-reviewer-approved.png"), full_page=True)
        browser.close()
    status = httpx.get(f"{base}/v1/submissions", headers={"X-API-Key": keys["rita"]}).json()
    decided = {s["files"][0]["name"]: s["final_decision"] for s in status}
    assert decided == {"council_referrals.csv": "release_with_changes", "referrals.csv": "withhold"}
