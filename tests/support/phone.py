"""The scripted phone: every way a test's person confirms a pairing on the relay's page.

The relay's page asks the person to confirm that the code on it is the one their
terminal shows ("This is my terminal — continue", docs/protocol.md); only then does it
send the browser on to the provider. Tests confirm over plain HTTP (httpx, sync or
async) or in Chromium; both ways live here, so that a change to what the person must do
on that page is made in one place.

A console handover's page (docs/protocol.md, "Console handover") does in WebCrypto what
`ConsolePageKey` does here in Python, for the tests that speak HTTP: make a P-256 key,
post its public half, open the URL the host sealed to it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from awslogin_protocol.base64url import b64url_encode
from awslogin_protocol.sealing import BROWSER_INFO, b64url_decode
from tests.peers.oidc import OidcProvider
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


def continue_button(page: Page) -> Locator:
    """The page's confirmation button, in Chromium."""
    return page.get_by_role("button", name=CONTINUE_BUTTON)


def press_continue(page: Page, *, timeout_ms: float | None = None) -> None:
    """Press the confirmation button on the relay page shown in Chromium."""
    continue_button(page).click(timeout=timeout_ms)


def take_console_handover(page: Page, link: str) -> None:
    """What the person does for `awslogin console --remote`, in Chromium: open the link,
    check nothing, press the button; the console page's script does the rest."""
    page.goto(link)
    press_continue(page)


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


def give_console_key(phone: httpx.Client, link: str) -> ConsolePageKey:
    """Over HTTP, what the person and the console page do: confirm, then post the page's
    key (as console.js does, same-origin); the key, to open what comes back."""
    confirmed = confirm(phone, link)
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
