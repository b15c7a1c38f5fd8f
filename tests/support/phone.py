"""The scripted phone: every way a test's person confirms a pairing on the relay's page.

The relay's page asks the person to confirm that the code on it is the one their
terminal shows ("This is my terminal — continue", docs/protocol.md); only then does it
send the browser on to the provider. Tests confirm over plain HTTP (httpx, sync or
async) or in Chromium; both ways live here, so that a change to what the person must do
on that page is made in one place. `phone_from_message` takes the link from what a
notification destination received (tests/support/destinations.py), as a person does
who is away from the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.fakes.sso.browser import decide_device
from tests.peers.oidc import OidcProvider
from tests.support.destinations import Received, link_in
from tests.support.oidc_profile import finish_at_idp

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CONTINUE_BUTTON = "This is my terminal — continue"


def confirm_url(link: str) -> str:
    """Where the page's button posts: the pairing page's path plus /confirm (`link` may
    be relative, and may carry a query or fragment the form does not)."""
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + "/confirm", "", ""))


def confirm(phone: httpx.Client, link: str) -> httpx.Response:
    """Open the pairing page (it must show) and press the button; the relay's answer."""
    page = phone.get(link)
    assert page.status_code == 200, page.text
    return phone.post(confirm_url(link))


async def confirm_async(phone: httpx.AsyncClient, link: str) -> httpx.Response:
    """`confirm`, for a test that speaks to the relay asynchronously."""
    page = await phone.get(link)
    assert page.status_code == 200, page.text
    return await phone.post(confirm_url(link))


def phone_through_relay(
    oidc_provider: OidcProvider, verification_url: str, *, deny: bool = False
) -> httpx.Response:
    """What the person does on the phone: open the relay page, confirm, sign in (or
    cancel) at the IdP, come back to the relay."""
    with httpx.Client(follow_redirects=False, timeout=15.0) as phone:
        confirmed = confirm(phone, verification_url)
        assert confirmed.status_code == 303, confirmed.text
        back = finish_at_idp(oidc_provider, confirmed.headers["location"], deny=deny)
        return phone.get(back)


def phone_from_message(
    oidc_provider: OidcProvider,
    destination: Received,
    count: int,
    *,
    deny: bool = False,
    timeout: float = 60.0,
) -> httpx.Response:
    """The person taps the link of the `count`-th message a notification destination
    received (a webhook, an email) and signs in through the relay (or cancels)."""
    link = link_in(destination.wait_for_message(count, timeout))
    return phone_through_relay(oidc_provider, link, deny=deny)


def approve_device_from_message(
    destination: Received, count: int, *, approve: bool = True, timeout: float = 60.0
) -> None:
    """The person taps the device-code link of the `count`-th message (IAM Identity
    Center's verification page, the fake's) and allows (or denies) the sign-in."""
    link = link_in(destination.wait_for_message(count, timeout))
    decide_device(link, approve=approve)


def continue_button(page: Page) -> Locator:
    """The page's confirmation button, in Chromium."""
    return page.get_by_role("button", name=CONTINUE_BUTTON)


def press_continue(page: Page, *, timeout_ms: float | None = None) -> None:
    """Press the confirmation button on the relay page shown in Chromium."""
    continue_button(page).click(timeout=timeout_ms)
