"""What the person does on the phone, in headless Chromium: the relay's pages and the IdP.

Each step waits for what the person would wait for (a page, a button, a text) with
Playwright's auto-waiting, never with a fixed pause. The IdP is node-oidc-provider's
development login form: any login name, any password; "[ Cancel ]" denies.
"""

from __future__ import annotations

import contextlib
import re

from playwright.sync_api import Page, expect

from tests.support.phone import press_continue

# The user code on the confirmation page (a paragraph of its own: no label to find it by).
USER_CODE = "#user-code"
STEP_TIMEOUT_MS = 15_000


def open_pairing_page(page: Page, url: str) -> str:
    """Open the scanned link; the user code the relay page shows."""
    response = page.goto(url, timeout=STEP_TIMEOUT_MS)
    assert response is not None
    assert response.status == 200, f"the relay page answered {response.status}"
    code = page.locator(USER_CODE)
    expect(code).to_be_visible(timeout=STEP_TIMEOUT_MS)
    return code.inner_text().strip()


def continue_to_provider(page: Page, issuer: str, number: int | None) -> None:
    """Choose the terminal's `number` (None: press "This is my terminal — continue")
    and arrive at the IdP's login form."""
    press_continue(page, number, timeout_ms=STEP_TIMEOUT_MS)
    page.wait_for_url(f"{issuer}/interaction/**", timeout=STEP_TIMEOUT_MS)
    expect(page.locator("input[name=login]")).to_be_visible(timeout=STEP_TIMEOUT_MS)


def sign_in_at_provider(page: Page, login: str) -> None:
    """Fill in the IdP's login form and submit it."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click(timeout=STEP_TIMEOUT_MS)


def deny_at_provider(page: Page) -> None:
    """Press the IdP's "[ Cancel ]": it sends the browser back with error=access_denied."""
    page.get_by_role("link", name="[ Cancel ]").click(timeout=STEP_TIMEOUT_MS)


def wait_for_done_page(page: Page, relay_url: str, pairing_id: str) -> None:
    """The relay's "done" page for this pairing (no code in its URL)."""
    page.wait_for_url(f"{relay_url}/p/{pairing_id}/done", timeout=STEP_TIMEOUT_MS)


def heading(page: Page) -> str:
    return page.locator("h1").inner_text().strip()


def heading_once_changed(page: Page, before: str, *, timeout_ms: int) -> str:
    """The heading once it differs from `before`, or `before` if it has not within
    `timeout_ms` (the done page follows the host's report by itself)."""
    with contextlib.suppress(AssertionError):
        expect(page.locator("h1")).not_to_have_text(before, timeout=timeout_ms)
    return heading(page)


def expect_heading(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator("h1")).to_have_text(text, timeout=STEP_TIMEOUT_MS)
