"""The relay's pages in headless Chromium: CSP-clean, escaped, the done page's script, and
the binding of a pairing to the browser that confirmed it (cookies as Chromium keeps them)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from tests.peers.relay import RelayFactory
from tests.unit.relay.conftest import authorize_url, state_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.integration

XSS_HOST = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def _start(relay_server: RelayFactory) -> tuple[str, str]:
    """The relay under test, and a second relay that plays the provider (its /healthz)."""
    provider = relay_server().url
    relay = relay_server(RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0").url
    return relay, provider


def _create(
    client: httpx.Client, base: str, provider: str, hostname: str
) -> tuple[dict[str, Any], str]:
    url = authorize_url(f"{provider}/healthz", redirect_uri=f"{base}/callback")
    response = client.post(
        "/v1/pairings",
        json={
            "authorize_url": url,
            "public_key": HostKey().public_key,
            "host": {"hostname": hostname, "user": "alice", "client": "awslogin/0.1"},
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), url


def _confirm(page: Page, created: dict[str, Any]) -> None:
    """Open the pairing's page and press the button; the provider (a /healthz) answers."""
    page.goto(created["verification_uri_complete"])
    page.get_by_role("button", name="This is my terminal — continue").click()
    page.wait_for_url(re.compile(r"/healthz\?"))


def _collect(client: httpx.Client, created: dict[str, Any]) -> dict[str, Any]:
    answer = client.get(
        f"/v1/pairings/{created['pairing_id']}/result",
        headers={"Authorization": f"Bearer {created['poll_token']}"},
    )
    body: dict[str, Any] = answer.json()
    return body


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_confirm_then_continue_to_the_provider(relay_server: RelayFactory, page: Page) -> None:
    base, provider = _start(relay_server)
    problems = _watch(page)
    with httpx.Client(base_url=base, trust_env=False) as client:
        created, url = _create(client, base, provider, XSS_HOST)
    page.goto(created["verification_uri_complete"])
    assert page.locator(".code").inner_text() == created["user_code"]
    assert XSS_HOST in page.locator("dl.host").inner_text()  # shown as text, not run
    page.get_by_role("button", name="This is my terminal — continue").click()
    page.wait_for_url(re.compile(r"/healthz\?"))
    assert page.url == url
    assert problems == []


def test_a_double_tap_on_the_button_still_goes_to_the_provider(
    relay_server: RelayFactory, page: Page
) -> None:
    base, provider = _start(relay_server)
    problems = _watch(page)
    with httpx.Client(base_url=base, trust_env=False) as client:
        created, url = _create(client, base, provider, "gpu-box-3")
    page.goto(created["verification_uri_complete"])
    page.get_by_role("button", name="This is my terminal — continue").dblclick()
    page.wait_for_url(re.compile(r"/healthz\?"))
    assert page.url == url  # not "already confirmed on another device"
    assert problems == []


def test_done_page_turns_into_signed_in_once_collected(
    relay_server: RelayFactory, page: Page
) -> None:
    base, provider = _start(relay_server)
    problems = _watch(page)
    with httpx.Client(base_url=base, trust_env=False) as client:
        created, url = _create(client, base, provider, "gpu-box-3")
        _confirm(page, created)
        page.goto(f"{base}/callback?code=browser-code&state={state_of(url)}")
        assert page.url == f"{base}/p/{created['pairing_id']}/done"  # no code in the URL
        assert "Go back to your terminal on gpu-box-3." in page.inner_text("main")
        collected = client.get(
            f"/v1/pairings/{created['pairing_id']}/result",
            headers={"Authorization": f"Bearer {created['poll_token']}"},
        )
        assert collected.json()["status"] == "complete"
    page.get_by_text("gpu-box-3 is signed in").wait_for(timeout=5000)
    assert problems == []  # no CSP violation, no script error


def test_a_forwarded_sign_in_link_cannot_deliver_another_browsers_sign_in(
    relay_server: RelayFactory, page: Page, browser: Browser
) -> None:
    """Device-code phishing: the attacker starts a pairing, confirms it in their own
    browser, and sends the provider link to a victim, whose browser comes back to
    /callback with a valid code and state. The relay must refuse it and keep waiting
    for the browser that confirmed."""
    base, provider = _start(relay_server)
    with httpx.Client(base_url=base, trust_env=False) as host:
        created, url = _create(host, base, provider, "attacker-box")
        pid = created["pairing_id"]
        _confirm(page, created)  # browser A: the one that pressed the button
        cookies = {c["name"]: c for c in page.context.cookies()}
        binding = cookies[f"awl_{pid}"]
        assert binding["httpOnly"] is True
        assert binding["sameSite"] == "Lax"
        assert binding["secure"] is False  # an http relay (loopback)
        assert binding["path"] == "/"
        assert 590 <= binding["expires"] - time.time() <= 600

        victim_context = browser.new_context()
        try:
            victim = victim_context.new_page()
            problems = _watch(victim)
            answer = victim.goto(f"{base}/callback?code=victim-code&state={state_of(url)}")
            assert answer is not None
            assert answer.status == 403
            text = victim.inner_text("main")
            assert "This sign-in did not start here" in text
            assert "nothing was sent to the terminal" in text
            assert "victim-code" not in victim.content()
            # nor can the victim's browser bind itself now that A has confirmed
            victim.goto(created["verification_uri_complete"])
            victim.get_by_role("button", name="This is my terminal — continue").click()
            assert "already confirmed on another device" in victim.inner_text("main")
            assert victim_context.cookies() == []
            # Chromium logs the 403 and 409 answers themselves; nothing else went wrong
            assert [p for p in problems if not p.startswith("Failed to load resource")] == []
        finally:
            victim_context.close()

        assert _collect(host, created) == {"status": "pending"}  # nothing sealed
        page.goto(f"{base}/callback?code=browser-a-code&state={state_of(url)}")
        assert page.url == f"{base}/p/{pid}/done"
        assert _collect(host, created)["status"] == "complete"


def test_an_unconfirmed_pairing_cannot_be_completed_by_any_browser(
    relay_server: RelayFactory, page: Page
) -> None:
    base, provider = _start(relay_server)
    with httpx.Client(base_url=base, trust_env=False) as host:
        created, url = _create(host, base, provider, "attacker-box")
        answer = page.goto(f"{base}/callback?error=access_denied&state={state_of(url)}")
        assert answer is not None
        assert answer.status == 403
        assert _collect(host, created) == {"status": "pending"}
        metrics = host.get("/metrics").text
        assert 'awslogin_relay_rejected_requests_total{reason="unconfirmed_browser"} 1.0' in metrics
