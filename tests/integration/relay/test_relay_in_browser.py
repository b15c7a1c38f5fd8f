"""The relay's pages in headless Chromium: CSP-clean, escaped, and the binding of a
pairing to the browser that confirmed it (cookies as Chromium keeps them). The done page
has its own module (test_done_page_in_browser)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.integration.relay.browser_steps import collect, confirm, create, start, watch
from tests.peers.relay import RelayFactory
from tests.support.phone import continue_button, press_continue
from tests.support.relay_app import state_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.integration, pytest.mark.slow]

XSS_HOST = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def test_confirm_then_continue_to_the_provider(relay_process: RelayFactory, page: Page) -> None:
    base, provider = start(relay_process)
    problems = watch(page)
    with httpx.Client(base_url=base, trust_env=False) as client:
        created, url = create(client, base, provider, XSS_HOST)
    page.goto(created["verification_uri_complete"])
    assert page.locator(".code").inner_text() == created["user_code"]
    facts = page.locator("dl.host").inner_text()
    assert "alice@(not shown)" in facts  # markup is no host name: neither run nor shown
    assert "alert" not in facts
    press_continue(page, created["match_number"])
    page.wait_for_url(re.compile(r"/healthz\?"))
    assert page.url == url
    assert problems == []


def test_a_double_tap_on_the_button_still_goes_to_the_provider(
    relay_process: RelayFactory, page: Page
) -> None:
    base, provider = start(relay_process)
    problems = watch(page)
    with httpx.Client(base_url=base, trust_env=False) as client:
        created, url = create(client, base, provider, "gpu-box-3")
    page.goto(created["verification_uri_complete"])
    continue_button(page, created["match_number"]).dblclick()
    page.wait_for_url(re.compile(r"/healthz\?"))
    assert page.url == url  # not "already confirmed on another device"
    assert problems == []


def test_a_forwarded_sign_in_link_cannot_deliver_another_browsers_sign_in(
    relay_process: RelayFactory, page: Page, browser: Browser
) -> None:
    """Device-code phishing: the attacker starts a pairing, confirms it in their own
    browser, and sends the provider link to a victim, whose browser comes back to
    /callback with a valid code and state. The relay must refuse it and keep waiting
    for the browser that confirmed."""
    base, provider = start(relay_process)
    with httpx.Client(base_url=base, trust_env=False) as host:
        created, url = create(host, base, provider, "attacker-box")
        pid = created["pairing_id"]
        confirm(page, created)  # browser A: the one that pressed the button
        cookies = {c["name"]: c for c in page.context.cookies()}
        binding = cookies[f"awl_{pid}"]
        assert binding["httpOnly"] is True
        assert binding["sameSite"] == "Lax"
        assert binding["secure"] is False  # an http relay (loopback)
        assert binding["path"] == "/"
        # the pairing's life, and RELAY_RESULT_TTL for the host's outcome to reach it
        assert 710 <= binding["expires"] - time.time() <= 720

        victim_context = browser.new_context()
        try:
            victim = victim_context.new_page()
            problems = watch(victim)
            answer = victim.goto(f"{base}/callback?code=victim-code&state={state_of(url)}")
            assert answer is not None
            assert answer.status == 403
            text = victim.inner_text("main")
            assert "This sign-in did not start here" in text
            assert "nothing was sent to the terminal" in text
            assert "victim-code" not in victim.content()
            # nor can the victim's browser bind itself now that A has confirmed
            victim.goto(created["verification_uri_complete"])
            press_continue(victim, created["match_number"])
            assert "already confirmed on another device" in victim.inner_text("main")
            assert victim_context.cookies() == []
            # Chromium logs the 403 and 409 answers themselves; nothing else went wrong
            assert [p for p in problems if not p.startswith("Failed to load resource")] == []
        finally:
            victim_context.close()

        waiting = collect(host, created)
        assert waiting["status"] == "pending"  # nothing sealed
        assert "sealed" not in waiting
        assert waiting["confirmation"]["browser"] == "HeadlessChrome on Linux"  # browser A
        page.goto(f"{base}/callback?code=browser-a-code&state={state_of(url)}")
        assert page.url == f"{base}/p/{pid}/done"
        assert collect(host, created)["status"] == "complete"


def test_an_unconfirmed_pairing_cannot_be_completed_by_any_browser(
    relay_process: RelayFactory, page: Page
) -> None:
    base, provider = start(relay_process)
    with httpx.Client(base_url=base, trust_env=False) as host:
        created, url = create(host, base, provider, "attacker-box")
        answer = page.goto(f"{base}/callback?error=access_denied&state={state_of(url)}")
        assert answer is not None
        assert answer.status == 403
        assert collect(host, created) == {"status": "pending"}
        metrics = host.get("/metrics").text
        assert 'awslogin_relay_rejected_requests_total{reason="unconfirmed_browser"} 1.0' in metrics
