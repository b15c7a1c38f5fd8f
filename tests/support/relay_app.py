"""The relay app in process, over httpx's ASGI transport, with its memory store and a
clock the test moves: `Relay` speaks protocol v1 as a host and a browser would
(docs/protocol.md); `authorize_url` builds the provider URL a host sends."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from awslogin_protocol import REVISION
from awslogin_protocol.sealing import HostKey
from awslogin_relay.app import create_app
from awslogin_relay.settings import Settings
from awslogin_relay.store import MemoryPairingStore
from tests.support.fake_clock import FakeClock
from tests.support.phone import confirm_async

PUBLIC_URL = "https://relay.test"
IDP = "https://idp.test"
CALLBACK = f"{PUBLIC_URL}/callback"
BASE_ENV = {
    "RELAY_PUBLIC_URL": PUBLIC_URL,
    "RELAY_ALLOWED_ORIGINS": f"{IDP},https://login.test:8443",
    "RELAY_POLL_INTERVAL": "0",
}


def pkce_challenge() -> str:
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(
    base: str = f"{IDP}/authorize", *, drop: tuple[str, ...] = (), **overrides: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": "awslogin",
        "redirect_uri": CALLBACK,
        "state": secrets.token_urlsafe(24),
        "code_challenge": pkce_challenge(),
        "code_challenge_method": "S256",
        "scope": "openid",
    }
    params.update(overrides)
    for key in drop:
        params.pop(key)
    return f"{base}?{urlencode(params)}"


def state_of(url: str) -> str:
    return httpx.URL(url).params["state"]


class Relay:
    """The app under test, its store and clock, and helpers that speak protocol v1."""

    def __init__(self, app: FastAPI, store: MemoryPairingStore, clock: FakeClock) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
            base_url=PUBLIC_URL,
        )

    async def create(
        self, *, host_key: HostKey | None = None, mode: str = "redirect", **body: Any
    ) -> tuple[dict[str, Any], HostKey, str]:
        """Create a pairing; returns the 201 body, the host key and the authorize URL."""
        key = host_key or HostKey()
        url = body.pop("authorize_url", None) or authorize_url(
            **({} if mode == "redirect" else {"redirect_uri": "https://idp.test/show-code"})
        )
        payload = {
            "authorize_url": url,
            "mode": mode,
            "public_key": key.public_key,
            "host": {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/0.1"},
            "revision": REVISION,
            **body,
        }
        response = await self.client.post("/v1/pairings", json=payload)
        assert response.status_code == 201, response.text
        return response.json(), key, url

    async def confirm(
        self, created: dict[str, Any], browser: httpx.AsyncClient | None = None
    ) -> httpx.Response:
        """What a browser does first: open the pairing's page and choose the terminal's
        number; the browser (by default `self.client`) keeps the binding cookie."""
        return await confirm_async(
            browser or self.client, f"/p/{created['pairing_id']}", created.get("match_number")
        )

    def browser(self) -> httpx.AsyncClient:
        """Another browser (its own cookie jar) on another address; close it after use."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("198.51.100.9", 40000)),
            base_url=PUBLIC_URL,
        )

    async def poll(self, created: dict[str, Any], wait: float = 0) -> httpx.Response:
        return await self.client.get(
            f"/v1/pairings/{created['pairing_id']}/result",
            params={"wait": wait},
            headers={"Authorization": f"Bearer {created['poll_token']}"},
        )

    async def ack(self, created: dict[str, Any], token: str | None = None) -> httpx.Response:
        """POST /ack with the pairing's poll token (or `token`)."""
        return await self.client.post(
            f"/v1/pairings/{created['pairing_id']}/ack",
            headers={"Authorization": f"Bearer {token or created['poll_token']}"},
        )

    async def report(
        self, created: dict[str, Any], token: str | None = None, **body: str
    ) -> httpx.Response:
        """POST /outcome with `body` (default: signed in as dev in 123456789012)."""
        return await self.client.post(
            f"/v1/pairings/{created['pairing_id']}/outcome",
            json=body or {"outcome": "signed_in", "account_id": "123456789012", "role": "dev"},
            headers={"Authorization": f"Bearer {token or created['poll_token']}"},
        )

    async def authorize(self, created: dict[str, Any], url: str, **params: str) -> None:
        """Confirm in this browser and come back from the provider with a code (or
        `params`, such as an error)."""
        await self.confirm(created)
        answer = await self.client.get(
            "/callback", params={"state": state_of(url), **(params or {"code": "the-code"})}
        )
        assert answer.status_code == 303, answer.text


def build_relay(clock: FakeClock, **env: str) -> Relay:
    """The app with BASE_ENV plus `env`, on a memory store, both reading `clock`."""
    settings = Settings.from_env({**BASE_ENV, **env})
    store = MemoryPairingStore(clock=clock, tombstone_ttl=settings.tombstone_ttl)
    return Relay(create_app(settings, store=store, clock=clock), store, clock)
