"""The done page in headless Chromium, against a real relay process, with the host's side
spoken over HTTP: "Finishing on …" until the host reports, then exactly what it reported;
live with JavaScript, on reload without; details only for the browser that confirmed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.relay.browser_steps import (
    acknowledge,
    collect,
    confirm,
    create,
    report,
    start,
    watch,
)
from tests.peers.relay import RelayFactory
from tests.support.relay_app import state_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.integration

ACCOUNT, ROLE = "123456789012", "analytics-admin"
REASON = "STS refused the identity token: check the role's trust policy"
FINISHING = "Finishing on gpu-box-3…"


class Phone:
    """A relay, its stand-in provider, and a host that speaks to it over HTTP."""

    def __init__(self, relay_process: RelayFactory) -> None:
        self.base, self.provider = start(relay_process)
        self.host = httpx.Client(base_url=self.base, trust_env=False)

    def sign_in(self, page: Page) -> dict[str, Any]:
        """A pairing confirmed on `page`, back from the provider with a code: the done page."""
        created, url = create(self.host, self.base, self.provider, "gpu-box-3")
        confirm(page, created)
        page.goto(f"{self.base}/callback?code=browser-code&state={state_of(url)}")
        assert page.url == f"{self.base}/p/{created['pairing_id']}/done"
        return created


@pytest.fixture
def phone(relay_process: RelayFactory) -> Iterator[Phone]:
    built = Phone(relay_process)
    with built.host:
        yield built


@pytest.fixture
def no_script(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    try:
        yield context
    finally:
        context.close()


def heading(page: Page) -> str:
    return page.locator("h1").inner_text().strip()


def test_with_javascript_the_page_follows_the_host_live(phone: Phone, page: Page) -> None:
    problems = watch(page)
    created = phone.sign_in(page)
    assert heading(page) == FINISHING
    assert collect(phone.host, created)["status"] == "complete"
    assert collect(phone.host, created)["status"] == "complete"  # delivered again
    acknowledge(phone.host, created)
    page.wait_for_timeout(1500)  # the script has polled: finishing is no news
    assert heading(page) == FINISHING
    report(phone.host, created, outcome="signed_in", account_id=ACCOUNT, role=ROLE)
    page.get_by_role("heading", name=f"gpu-box-3 is signed in as {ROLE} in {ACCOUNT}").wait_for(
        timeout=5000
    )
    assert page.title() == f"gpu-box-3 is signed in as {ROLE} in {ACCOUNT} — awslogin"
    assert problems == []  # no CSP violation, no script error


def test_a_reported_failure_reaches_the_page_live(phone: Phone, page: Page) -> None:
    problems = watch(page)
    created = phone.sign_in(page)
    collect(phone.host, created)
    report(phone.host, created, outcome="failed", reason=REASON)
    page.get_by_role("heading", name="gpu-box-3 could not finish").wait_for(timeout=5000)
    assert REASON in page.inner_text("main")
    assert problems == []


def test_without_javascript_a_reload_shows_the_latest(
    phone: Phone, no_script: BrowserContext
) -> None:
    page = no_script.new_page()
    created = phone.sign_in(page)
    assert heading(page) == FINISHING
    collect(phone.host, created)
    acknowledge(phone.host, created)
    page.reload()
    assert heading(page) == FINISHING
    report(phone.host, created, outcome="failed", reason=REASON)
    assert heading(page) == FINISHING  # nothing runs by itself...
    page.reload()  # ...and a reload tells
    assert heading(page) == "gpu-box-3 could not finish"
    assert REASON in page.inner_text("main")


def test_another_browser_learns_no_account_role_or_reason(
    phone: Phone, page: Page, browser: Browser
) -> None:
    created = phone.sign_in(page)
    pid = created["pairing_id"]
    report(phone.host, created, outcome="signed_in", account_id=ACCOUNT, role=ROLE)
    page.reload()
    assert heading(page) == f"gpu-box-3 is signed in as {ROLE} in {ACCOUNT}"
    other_context = browser.new_context(locale="en-US")
    try:
        other = other_context.new_page()
        for path in (f"/p/{pid}/done", f"/p/{pid}", f"/p/{pid}/status"):
            other.goto(f"{phone.base}{path}")
            content = other.content()
            for detail in (ACCOUNT, ROLE):
                assert detail not in content, (path, detail)
        other.goto(f"{phone.base}/p/{pid}/done")
        assert heading(other) == "This sign-in request has ended"
        assert other_context.cookies() == []
    finally:
        other_context.close()


def test_rescanning_after_success_says_the_terminal_is_already_signed_in(
    phone: Phone, page: Page, browser: Browser
) -> None:
    created = phone.sign_in(page)
    report(phone.host, created, outcome="signed_in", account_id=ACCOUNT, role=ROLE)
    for context in (page.context, browser.new_context(locale="en-US")):
        tab = context.new_page()
        answer = tab.goto(created["verification_uri_complete"])  # the QR code's link
        assert answer is not None
        assert answer.status == 410
        assert heading(tab) == "This terminal is already signed in"
        text = tab.inner_text("main")
        assert "login again" not in text
        assert "already used" not in text
        if context is not page.context:
            assert ACCOUNT not in text
            context.close()
        else:
            assert f"gpu-box-3 is signed in as {ROLE} in {ACCOUNT}." in text
