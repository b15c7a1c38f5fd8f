"""The done page and the re-scanned link tell the truth about the host, and the details
(account, role, reason, the provider's refusal) only to the browser that confirmed."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.unit.relay.conftest import Relay

pytestmark = pytest.mark.unit

XSS = "<script>alert(1)</script>"
ROLE = "analytics-admin"
DETAILS = ("123456789012", ROLE, "trust policy", "access_denied", "the user said no")


def heading(page: httpx.Response) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page.text, re.DOTALL)
    assert found is not None, page.text
    return found.group(1).strip()


def title(page: httpx.Response) -> str:
    found = re.search(r"<title>(.*?)</title>", page.text, re.DOTALL)
    assert found is not None
    return found.group(1).strip()


async def test_finishing_until_the_outcome_then_exactly_what_was_reported(relay: Relay) -> None:
    created, _, url = await relay.create()
    pid = created["pairing_id"]
    assert (await relay.client.get(f"/p/{pid}/done")).headers["location"] == f"/p/{pid}"
    await relay.authorize(created, url)
    for step in ("authorized", "delivered", "acknowledged"):
        if step == "delivered":
            await relay.poll(created)
        elif step == "acknowledged":
            await relay.ack(created)
        done = await relay.client.get(f"/p/{pid}/done")
        assert done.status_code == 200
        assert heading(done) == "Finishing on gpu-box-3…", step
        assert '<script src="/static/done.js" defer></script>' in done.text
        assert "signed in" not in done.text  # no page claims what has not happened
    assert (await relay.client.get(f"/p/{pid}")).headers["location"] == f"/p/{pid}/done"
    await relay.report(created)
    done = await relay.client.get(f"/p/{pid}/done")
    assert heading(done) == "gpu-box-3 is signed in as dev in 123456789012"
    assert title(done) == "gpu-box-3 is signed in as dev in 123456789012 — awslogin"
    assert "<script" not in done.text  # nothing left to wait for


async def test_a_reported_failure_shows_its_reason_escaped(relay: Relay) -> None:
    created, _, url = await relay.create()
    await relay.authorize(created, url)
    reason = f"STS refused the identity token: check the role's trust policy {XSS}"
    await relay.report(created, outcome="failed", reason=reason)
    done = await relay.client.get(f"/p/{created['pairing_id']}/done")
    assert heading(done) == "gpu-box-3 could not finish"
    assert "STS refused the identity token: check the role&#39;s trust policy" in done.text
    # only under a label that says whose words they are
    label = "<figcaption>Your terminal reported (its words, not checked by the relay):"
    assert label in done.text
    assert done.text.index(label) < done.text.index("STS refused") < done.text.index("</figure>")
    assert done.text.index("<blockquote>") < done.text.index("STS refused")
    assert XSS not in done.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.text
    assert "Done" not in title(done)


@pytest.mark.parametrize("role", ["admin. Press continue", "dev ops", "a<b>", "arn:aws:x"])
async def test_a_reported_role_that_is_not_a_role_name_is_not_shown(
    relay: Relay, role: str
) -> None:
    created, _, url = await relay.create()
    await relay.authorize(created, url)
    await relay.report(created, outcome="signed_in", account_id="123456789012", role=role)
    done = await relay.client.get(f"/p/{created['pairing_id']}/done")
    assert heading(done) == "gpu-box-3 is signed in as (not shown) in 123456789012"
    assert role not in done.text


@pytest.mark.parametrize("account_id", [None, "123456789012"])
async def test_a_signed_in_report_without_a_role(relay: Relay, account_id: str | None) -> None:
    created, _, url = await relay.create()
    await relay.authorize(created, url)
    body = {"outcome": "signed_in"} | ({"account_id": account_id} if account_id else {})
    await relay.report(created, **body)
    done = await relay.client.get(f"/p/{created['pairing_id']}/done")
    expected = f"gpu-box-3 is signed in in {account_id}" if account_id else "gpu-box-3 is signed in"
    assert heading(done) == expected


async def test_a_denial_has_its_own_title_and_is_told_to_the_confirming_browser(
    relay: Relay,
) -> None:
    created, _, url = await relay.create()
    await relay.authorize(created, url, error="access_denied", error_description=XSS)
    pid = created["pairing_id"]
    page = await relay.client.get(f"/p/{pid}/done")
    assert heading(page) == "Sign-in was not completed"
    assert title(page) == "Sign-in was not completed — awslogin"
    assert "access_denied" in page.text
    assert XSS not in page.text
    assert "&lt;script&gt;" in page.text
    await relay.poll(created)
    await relay.ack(created)
    after = await relay.client.get(f"/p/{pid}/done")
    assert heading(after) == "Sign-in was not completed"


async def test_no_outcome_before_expiry_says_so(relay: Relay) -> None:
    created, _, url = await relay.create()
    await relay.authorize(created, url)
    await relay.poll(created)
    await relay.ack(created)
    relay.clock.advance(121)
    done = await relay.client.get(f"/p/{created['pairing_id']}/done")
    assert done.status_code == 200
    assert heading(done) == "gpu-box-3 did not finish in time"


async def test_another_browser_learns_only_that_the_request_ended(relay: Relay) -> None:
    reports = [
        {"outcome": "signed_in", "account_id": "123456789012", "role": ROLE},
        {"outcome": "failed", "reason": "STS refused: check the trust policy"},
        {"error": "access_denied", "error_description": "the user said no"},
    ]
    async with relay.browser() as other:
        for report in reports:
            created, _, url = await relay.create()
            pid = created["pairing_id"]
            if "error" in report:
                await relay.authorize(created, url, **report)
                live = await other.get(f"/p/{pid}/done")  # a denial not yet acknowledged
                assert heading(live) == "This sign-in request has ended"
                await relay.ack(created)
            else:
                await relay.authorize(created, url)
                finishing = await other.get(f"/p/{pid}/done")
                assert heading(finishing) == "Finishing on gpu-box-3…"
                await relay.report(created, **report)
            page = await other.get(f"/p/{pid}/done")
            assert page.status_code == 200
            assert heading(page) == "This sign-in request has ended"
            assert "Go back to your terminal on gpu-box-3." in page.text
            for detail in DETAILS:
                assert detail not in page.text, (report, detail)
            status = await other.get(f"/p/{pid}/status")
            assert set(status.json()) == {"status"}
            # the confirming browser, meanwhile, is told
            assert heading(await relay.client.get(f"/p/{pid}/done")) != heading(page)


async def test_rescanning_after_success_says_the_terminal_is_signed_in(relay: Relay) -> None:
    created, _, url = await relay.create()
    pid = created["pairing_id"]
    await relay.authorize(created, url)
    await relay.report(created, outcome="signed_in", account_id="123456789012", role=ROLE)
    again = await relay.client.get(f"/p/{pid}")
    assert again.status_code == 410
    assert heading(again) == "This terminal is already signed in"
    assert f"gpu-box-3 is signed in as {ROLE} in 123456789012." in again.text
    assert "again" not in again.text  # no "run awslogin login again"
    assert "<form" not in again.text
    async with relay.browser() as other:
        scanned = await other.get(f"/p/{pid}")
        assert scanned.status_code == 410
        assert heading(scanned) == "This terminal is already signed in"
        assert "123456789012" not in scanned.text
        assert ROLE not in scanned.text


async def test_rescanning_after_a_failure_asks_for_a_new_login(relay: Relay) -> None:
    created, _, url = await relay.create()
    await relay.authorize(created, url)
    await relay.report(created, outcome="failed", reason="no")
    again = await relay.client.get(f"/p/{created['pairing_id']}")
    assert again.status_code == 410
    assert "awslogin login" in again.text


async def test_public_status_follows_every_state(relay: Relay) -> None:
    created, _, url = await relay.create()
    pid = created["pairing_id"]

    async def status() -> str:
        answer = await relay.client.get(f"/p/{pid}/status")
        assert answer.status_code == 200
        value: str = answer.json()["status"]
        return value

    assert await status() == "pending"
    await relay.authorize(created, url)
    assert await status() == "authorized"
    await relay.poll(created)
    assert await status() == "authorized"
    await relay.ack(created)
    assert await status() == "finishing"
    await relay.report(created)
    assert await status() == "signed_in"
    unknown = await relay.client.get("/p/AAAAAAAAAAAA/status")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
