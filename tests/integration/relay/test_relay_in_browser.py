"""The relay's pages in headless Chromium: CSP-clean, escaped, and the done page's script."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from awslogin.crypto.sealing import HostKey
from tests.peers.relay import RelayFactory
from tests.unit.relay.conftest import authorize_url, state_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

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


def test_done_page_turns_into_signed_in_once_collected(
    relay_server: RelayFactory, page: Page
) -> None:
    base, provider = _start(relay_server)
    problems = _watch(page)
    with httpx.Client(base_url=base, trust_env=False) as client:
        created, url = _create(client, base, provider, "gpu-box-3")
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
