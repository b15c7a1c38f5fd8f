"""The scripted phone: every way a test's person confirms a pairing on the relay's page.

The relay's page asks the person to confirm that the code on it is the one their
terminal shows, and, when the terminal shows a number too (number matching, a host of
protocol revision 2 or later), to choose that number among the three the page offers
(docs/protocol.md); only then does it send the browser on to the provider. Tests
confirm over plain HTTP (httpx, sync or async) or in Chromium; both ways live here, so
that a change to what the person must do on that page is made in one place.

The person knows the number from the terminal, never from the page: a test that speaks
the protocol itself passes the 201's `match_number`; a test that runs the real CLI reads
it from the host's output (`number_in`). `None` stands for a pairing that shows no
number (a host of revision 1): the page then has the single "continue" button.

The person may also type the terminal's code at the relay's /link instead of scanning
(`type_code`, `type_code_async`): a code typed before any page showed it binds that
browser, whose page then has the one button and no numbers (docs/security.md).

A console handover's page (docs/protocol.md, "Console handover") does in WebCrypto what
`ConsolePageKey` does here in Python, for the tests that speak HTTP: make a P-256 key,
post its public half, open the URL the host sealed to it.

A person away from the host takes the link, and the number, from what a notification
destination received (tests/support/destinations.py): `phone_from_message`.

A person who did not start the sign-in ends it on the page instead: the "not me" button
that the browser which confirmed finds on the paste page and on its confirmation page
(`cancel_url`, `cancel_async`, `cancel_from_message`, and `press_not_me` in Chromium).
"""

from __future__ import annotations

import html
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from awslogin_protocol.base64url import b64url_encode
from awslogin_protocol.sealing import BROWSER_INFO, b64url_decode
from tests.fakes.signin.person import answer_sign_in, read_verification_code
from tests.fakes.sso.browser import decide_device
from tests.peers.oidc import OidcProvider
from tests.support.destinations import Received, link_in, number_in_message
from tests.support.oidc_profile import finish_at_idp

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CONTINUE_BUTTON = "This is my terminal — continue"
NOT_ME_BUTTON = "Not me — cancel this sign-in"
CODE_FIELD = "Code (like BDKM-TRWX)"
CODE_BUTTON = "Continue"
NUMBER_LEGEND = "Your terminal shows a number beside the code"
# How the host's terminal shows the number (adapters.terminal.Terminal.show_link).
_NUMBER_LINE = re.compile(r"choose this number on the page:\s+([0-9]{2})\b")

# A phone that signs in at the IdP comes back to the relay after a while: a connection
# kept alive across that may be closed by the relay (its keep-alive timeout) just as the
# next request goes out, which httpx reports as a disconnection. A browser retries such
# a request; this phone opens a new connection for each instead.
FRESH_CONNECTIONS = httpx.Limits(max_keepalive_connections=0)


def number_in(terminal_output: str) -> int:
    """The number the host's terminal shows, from what it printed."""
    found = _NUMBER_LINE.search(terminal_output)
    assert found is not None, f"the terminal shows no number: {terminal_output[-2000:]!r}"
    return int(found.group(1))


NUMBER_PATTERN = r"(?<=choose this number on the page:  )[0-9]{2}\b"
"""A regular expression whose whole match is the terminal's number, for tests that
read the host's output line by line."""


def choices_on(html: str) -> list[int]:
    """The numbers a confirmation page offers, in its order (all an onlooker sees)."""
    return [int(value) for value in re.findall(r'name="number" value="([0-9]+)"', html)]


def confirm_url(link: str) -> str:
    """Where the page's buttons post: the pairing page's path plus /confirm (`link` may
    be relative, and may carry a query or fragment the form does not)."""
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + "/confirm", "", ""))


def cancel_url(link: str) -> str:
    """Where the "not me" button posts: the pairing page's path plus /cancel."""
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + "/cancel", "", ""))


async def cancel_async(
    phone: httpx.AsyncClient, link: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Press "not me" for the pairing of `link` (the relay's answer: a 303 to the done
    page for the browser that confirmed it, a refusal for any other)."""
    return await phone.post(cancel_url(link), headers=headers)


def _form(number: int | None) -> dict[str, str] | None:
    return None if number is None else {"number": str(number)}


def _check_page(page: httpx.Response, number: int | None) -> None:
    assert page.status_code == 200, page.text
    offered = choices_on(page.text)
    if number is None:
        assert not offered, "the page offers numbers: pass the terminal's"
    else:
        assert len(offered) == 3, page.text


def choose(
    phone: httpx.Client, link: str, number: int | None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Post the page's form without opening it first (a page loaded earlier, a back
    button): choose `number`, or press the one button of a page without numbers."""
    return phone.post(confirm_url(link), data=_form(number), headers=headers)


async def choose_async(
    phone: httpx.AsyncClient,
    link: str,
    number: int | None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """`choose`, for a test that speaks to the relay asynchronously."""
    return await phone.post(confirm_url(link), data=_form(number), headers=headers)


def confirm(phone: httpx.Client, link: str, number: int | None) -> httpx.Response:
    """Open the pairing page (it must show) and choose `number` (or press the one
    button of a page without numbers); the relay's answer."""
    page = phone.get(link)
    _check_page(page, number)
    return choose(phone, link, number)


async def confirm_async(phone: httpx.AsyncClient, link: str, number: int | None) -> httpx.Response:
    """`confirm`, for a test that speaks to the relay asynchronously."""
    page = await phone.get(link)
    _check_page(page, number)
    return await choose_async(phone, link, number)


async def type_code_async(
    phone: httpx.AsyncClient, user_code: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Type `user_code` in the relay's /link form (`phone` has the relay as its base
    URL); the relay's answer, a 303 to the pairing's page when the code is known."""
    return await phone.post("/link", data={"user_code": user_code}, headers=headers)


def phone_through_relay(
    oidc_provider: OidcProvider, verification_url: str, number: int | None, *, deny: bool = False
) -> httpx.Response:
    """What the person does on the phone: open the relay page, confirm with the
    terminal's number, sign in (or cancel) at the IdP, come back to the relay."""
    with httpx.Client(follow_redirects=False, timeout=15.0, limits=FRESH_CONNECTIONS) as phone:
        confirmed = confirm(phone, verification_url, number)
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
    received (a webhook, an email), chooses the number it gives, and signs in through
    the relay (or cancels)."""
    body = destination.wait_for_message(count, timeout)
    return phone_through_relay(oidc_provider, link_in(body), number_in_message(body), deny=deny)


def paste_from_message(
    destination: Received, count: int, *, username: str = "alice", timeout: float = 60.0
) -> None:
    """aws-signin through the relay's paste page: the person taps the link of the
    `count`-th message, chooses its number, signs in at AWS Sign-In (the fake) as
    `username`, and pastes the verification code it shows on the relay's page."""
    body = destination.wait_for_message(count, timeout)
    link = link_in(body)
    with httpx.Client(
        follow_redirects=False, timeout=15.0, trust_env=False, limits=FRESH_CONNECTIONS
    ) as phone:
        confirmed = confirm(phone, link, number_in_message(body))
        assert confirmed.status_code == 303, confirmed.text
        page = phone.get(urljoin(link, confirmed.headers["location"])).text
        found = re.search(r'href="([^"]+/v1/authorize\?[^"]+)"', page)
        assert found is not None, page
        shown = read_verification_code(answer_sign_in(html.unescape(found[1]), username=username))
        pasted = phone.post(urljoin(link, urlsplit(link).path + "/code"), data={"code": shown})
        assert pasted.is_redirect, pasted.text


def cancel_from_message(destination: Received, count: int, *, timeout: float = 60.0) -> None:
    """A link the person did not expect: they tap the `count`-th message's link, choose
    its number, and on the page that follows (the paste page of aws-signin) press
    "not me" instead of signing in."""
    body = destination.wait_for_message(count, timeout)
    link = link_in(body)
    with httpx.Client(follow_redirects=False, timeout=15.0, trust_env=False) as phone:
        confirmed = confirm(phone, link, number_in_message(body))
        assert confirmed.status_code == 303, confirmed.text
        page = phone.get(urljoin(link, confirmed.headers["location"]))
        assert f'action="{urlsplit(cancel_url(link)).path}"' in page.text, page.text
        cancelled = phone.post(cancel_url(link), headers={"sec-fetch-site": "same-origin"})
        assert cancelled.status_code == 303, cancelled.text


def approve_device_from_message(
    destination: Received,
    count: int,
    *,
    approve: bool = True,
    user: str = "alice",
    timeout: float = 60.0,
) -> None:
    """The person (`user` of IAM Identity Center) taps the device-code link of the
    `count`-th message (the fake's verification page) and allows (or denies) the sign-in."""
    link = link_in(destination.wait_for_message(count, timeout))
    decide_device(link, approve=approve, user=user)


def continue_button(page: Page, number: int | None) -> Locator:
    """In Chromium, the button that confirms: the one showing `number`, or the
    "continue" button of a page without numbers."""
    if number is None:
        return page.get_by_role("button", name=CONTINUE_BUTTON)
    group = page.get_by_role("group", name=re.compile(NUMBER_LEGEND))
    return group.get_by_role("button", name=str(number), exact=True)


def type_code(page: Page, relay_url: str, user_code: str, *, timeout_ms: float = 15_000) -> None:
    """In Chromium, open the relay's /link, type the terminal's `user_code` and submit;
    returns on the pairing's page that the form leads to."""
    page.goto(f"{relay_url}/link", timeout=timeout_ms)
    page.get_by_label(CODE_FIELD).fill(user_code, timeout=timeout_ms)
    page.get_by_role("button", name=CODE_BUTTON).click(timeout=timeout_ms)
    page.wait_for_url(re.compile(re.escape(relay_url) + r"/p/[^/?#]+$"), timeout=timeout_ms)


def number_buttons(page: Page) -> Locator:
    """In Chromium, the three number buttons, in the page's order."""
    return page.get_by_role("group", name=re.compile(NUMBER_LEGEND)).get_by_role("button")


def offered_numbers(page: Page) -> list[int]:
    """In Chromium, the numbers the confirmation page offers, in its order (all that an
    onlooker holding only the link can see)."""
    return [int(text.strip()) for text in number_buttons(page).all_inner_texts()]


def press_continue(page: Page, number: int | None, *, timeout_ms: float | None = None) -> None:
    """Confirm on the relay page shown in Chromium: choose `number` (None: press the
    button of a page without numbers)."""
    continue_button(page, number).click(timeout=timeout_ms)


def press_not_me(page: Page, *, timeout_ms: float | None = None) -> None:
    """In Chromium, press "not me" on the page shown (the paste page, or the
    confirmation page of the browser that confirmed)."""
    page.get_by_role("button", name=NOT_ME_BUTTON).click(timeout=timeout_ms)


def take_console_handover(page: Page, link: str, number: int | None) -> None:
    """What the person does for `awslogin console --remote`, in Chromium: open the link,
    choose the terminal's number; the console page's script does the rest."""
    page.goto(link)
    press_continue(page, number)


class ConsolePageKey:
    """What the console page's script holds: a P-256 key pair, the public half to post,
    and the opening of a URL sealed to it (sealing version 2), as console.js opens it."""

    def __init__(self) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        self.raw_public = self._private.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )

    @property
    def public_key(self) -> str:
        return b64url_encode(self.raw_public)

    def open(self, sealed: str, pairing_id: str) -> str:
        blob = b64url_decode(sealed)
        assert blob[0] == 2
        host_key, nonce, ciphertext = blob[1:66], blob[66:78], blob[78:]
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), host_key)
        shared = self._private.exchange(ec.ECDH(), peer)
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=host_key + self.raw_public, info=BROWSER_INFO
        ).derive(shared)
        return AESGCM(key).decrypt(nonce, ciphertext, pairing_id.encode()).decode()


def give_console_key(phone: httpx.Client, link: str, number: int | None) -> ConsolePageKey:
    """Over HTTP, what the person and the console page do: confirm with the terminal's
    number, then post the page's key (as console.js does, same-origin); the key, to open
    what comes back."""
    confirmed = confirm(phone, link, number)
    assert confirmed.status_code == 303, confirmed.text
    assert confirmed.headers["location"].endswith("/console")
    key = ConsolePageKey()
    posted = phone.post(
        console_key_url(link),
        json={"public_key": key.public_key},
        headers={"sec-fetch-site": "same-origin"},
    )
    assert posted.status_code == 204, posted.text
    return key


def console_handover(phone: httpx.Client, link: str, timeout: float = 30.0) -> dict[str, str]:
    """What the console page's script asks until the handover is ready or ended."""
    deadline = time.monotonic() + timeout
    while True:
        answer = phone.get(console_url_url(link))
        assert answer.status_code == 200, answer.text
        body: dict[str, str] = answer.json()
        if body["status"] != "waiting":
            return body
        assert time.monotonic() < deadline, "the terminal sent nothing in time"
        time.sleep(0.2)


def console_key_url(link: str) -> str:
    """Where the console page posts its key: the pairing page's path plus /console/key."""
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + "/console/key", "", ""))


def console_url_url(link: str) -> str:
    """Where the console page asks for the sealed URL."""
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + "/console/url", "", ""))
