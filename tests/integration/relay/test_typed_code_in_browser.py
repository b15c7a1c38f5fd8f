"""Typing the code on /link in Chromium, on both stores (docs/security.md#typing-the-code):
the typist's page asks for no number and goes on to the provider; a second browser gets
what a second browser gets; and an onlooker who holds only the link, and reads the code
off its page, still faces the three numbers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.integration.relay.browser_steps import collect, create, watch
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayFactory
from tests.support.phone import (
    CONTINUE_BUTTON,
    offered_numbers,
    press_continue,
    type_code,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(params=["memory", "redis"])
def relays(request: pytest.FixtureRequest, relay_process: RelayFactory) -> tuple[str, str]:
    """The relay under test on the parametrized store, and a second relay that plays the
    provider (its /healthz)."""
    store = "memory"
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        store = redis.url
    provider = relay_process().url
    relay = relay_process(
        RELAY_STORE=store, RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0"
    ).url
    return relay, provider


def test_the_typed_code_needs_no_number_and_a_second_browser_is_refused(
    relays: tuple[str, str], page: Page, browser: Browser
) -> None:
    base, provider = relays
    problems = watch(page)
    with httpx.Client(base_url=base, trust_env=False) as host:
        created, url = create(host, base, provider, "gpu-box-3")
        pid = created["pairing_id"]
        type_code(page, base, created["user_code"])
        assert page.url == f"{base}/p/{pid}"
        assert page.locator("#user-code").inner_text() == created["user_code"]
        assert offered_numbers(page) == []
        assert page.get_by_role("button", name=CONTINUE_BUTTON).is_visible()
        assert f"awl_{pid}" in {cookie["name"] for cookie in page.context.cookies()}
        # the terminal hears who confirmed: typing the code was the confirmation
        noticed = collect(host, created)
        assert noticed["confirmation"]["browser"] == "HeadlessChrome on Linux"

        second = browser.new_context()
        try:
            other = second.new_page()
            other.goto(created["verification_uri_complete"])
            assert len(offered_numbers(other)) == 3
            press_continue(other, created["match_number"])
            assert "already confirmed on another device" in other.inner_text("main")
            assert second.cookies() == []
        finally:
            second.close()

        press_continue(page, None)  # "This is my terminal — continue"
        page.wait_for_url(re.compile(r"/healthz\?"))
        assert page.url == url
    assert problems == []


def test_an_onlooker_who_reads_the_code_off_the_page_still_faces_three_numbers(
    relays: tuple[str, str], page: Page, browser: Browser
) -> None:
    base, provider = relays
    with httpx.Client(base_url=base, trust_env=False) as host:
        created, url = create(host, base, provider, "gpu-box-3")
        pid = created["pairing_id"]
        watching = browser.new_context()
        try:
            onlooker = watching.new_page()
            onlooker.goto(created["verification_uri_complete"])  # only the link
            assert len(offered_numbers(onlooker)) == 3
            code = onlooker.locator("#user-code").inner_text().strip()
            type_code(onlooker, base, code)
            assert onlooker.url == f"{base}/p/{pid}"
            assert len(offered_numbers(onlooker)) == 3
            assert onlooker.get_by_role("button", name=CONTINUE_BUTTON).count() == 0
            assert watching.cookies() == []
        finally:
            watching.close()
        # the real person typing the code afterwards chooses the number too
        type_code(page, base, created["user_code"])
        assert len(offered_numbers(page)) == 3
        press_continue(page, created["match_number"])
        page.wait_for_url(re.compile(r"/healthz\?"))
        assert page.url == url
        assert collect(host, created)["status"] == "pending"  # confirmed, not completed
