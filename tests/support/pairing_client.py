"""Protocol v1 as a host and a browser speak it, for the multi-process relay tests."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import httpx

from awslogin_protocol import REVISION
from awslogin_protocol.sealing import HostKey
from tests.support.phone import confirm_async

IDP = "https://idp.test"


def authorize_url(state: str, public_url: str) -> str:
    challenge = hashlib.sha256(secrets.token_bytes(32)).digest()
    params = {
        "response_type": "code",
        "client_id": "awslogin",
        "redirect_uri": f"{public_url}/callback",
        "scope": "openid",
        "state": state,
        "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return f"{IDP}/authorize?{urlencode(params)}"


class Host:
    """The host side of one pairing: its key, its poll token, its pairing id."""

    def __init__(self, created: dict[str, Any], key: HostKey, state: str) -> None:
        self.pairing_id: str = created["pairing_id"]
        self.headers = {"Authorization": f"Bearer {created['poll_token']}"}
        self.key = key
        self.state = state
        self.match_number: int | None = created.get("match_number")

    async def poll(self, client: httpx.AsyncClient, base: str, wait: float = 0) -> httpx.Response:
        return await client.get(
            f"{base}/v1/pairings/{self.pairing_id}/result",
            params={"wait": wait},
            headers=self.headers,
            timeout=wait + 10,
        )

    async def ack(self, client: httpx.AsyncClient, base: str) -> httpx.Response:
        return await client.post(f"{base}/v1/pairings/{self.pairing_id}/ack", headers=self.headers)

    async def report(
        self, client: httpx.AsyncClient, base: str, outcome: dict[str, str]
    ) -> httpx.Response:
        return await client.post(
            f"{base}/v1/pairings/{self.pairing_id}/outcome", json=outcome, headers=self.headers
        )

    def open(self, body: dict[str, Any]) -> dict[str, str]:
        opened: dict[str, str] = json.loads(self.key.open(body["sealed"], self.pairing_id))
        return opened


async def create(
    client: httpx.AsyncClient,
    base: str,
    public_url: str,
    headers: dict[str, str] | None = None,
) -> Host:
    """POST /v1/pairings at `base` for a relay whose RELAY_PUBLIC_URL is `public_url`."""
    key, state = HostKey(), secrets.token_urlsafe(32)
    response = await client.post(
        f"{base}/v1/pairings",
        headers=headers,
        json={
            "authorize_url": authorize_url(state, public_url),
            "mode": "redirect",
            "public_key": key.public_key,
            "host": {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/0.1.0"},
            "revision": REVISION,
        },
    )
    assert response.status_code == 201, response.text
    return Host(response.json(), key, state)


async def confirm(browser: httpx.AsyncClient, base: str, host: Host) -> str:
    """Open the relay page and choose the host's number; returns the binding cookie
    (``name=value``) the relay gave this browser."""
    confirmed = await confirm_async(browser, f"{base}/p/{host.pairing_id}", host.match_number)
    assert confirmed.status_code == 303, confirmed.text
    cookie = SimpleCookie()
    cookie.load(confirmed.headers["set-cookie"])
    ((name, morsel),) = cookie.items()
    return f"{name}={morsel.value}"


async def callback(
    browser: httpx.AsyncClient, base: str, host: Host, code: str, *, confirm_at: str | None = None
) -> str:
    """What a person's browser does: confirm on the relay page (at `confirm_at`, default
    `base`), then come back from the identity provider to /callback at `base`. Returns
    the binding cookie (``name=value``) the browser holds.

    The cookie is sent by hand: these relays are reached over plain http as a load
    balancer would reach them, while their public URL (what the browser saw) is https,
    so the cookie is Secure and httpx would keep it to itself.
    """
    binding = await confirm(browser, confirm_at or base, host)
    response = await browser.get(
        f"{base}/callback",
        params={"code": code, "state": host.state},
        headers={"cookie": binding},
    )
    assert response.status_code == 303, response.text
    return binding
