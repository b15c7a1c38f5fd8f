"""What the browser tests of the relay do again and again: start a relay with a stand-in
provider, create a pairing as a host would (plain HTTP), confirm it in Chromium, and
speak the host's side of protocol v1 (poll, acknowledge, report)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from awslogin_protocol import REVISION
from awslogin_protocol.sealing import HostKey
from tests.peers.relay import RelayFactory
from tests.support.phone import press_continue
from tests.support.relay_app import authorize_url

if TYPE_CHECKING:
    from playwright.sync_api import Page


def start(relay_process: RelayFactory) -> tuple[str, str]:
    """The relay under test, and a second relay that plays the provider (its /healthz)."""
    provider = relay_process().url
    relay = relay_process(RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0").url
    return relay, provider


def create(
    client: httpx.Client, base: str, provider: str, hostname: str
) -> tuple[dict[str, Any], str]:
    url = authorize_url(f"{provider}/healthz", redirect_uri=f"{base}/callback")
    response = client.post(
        "/v1/pairings",
        json={
            "authorize_url": url,
            "public_key": HostKey().public_key,
            "host": {"hostname": hostname, "user": "alice", "client": "awslogin/0.1"},
            "revision": REVISION,
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), url


def confirm(page: Page, created: dict[str, Any]) -> None:
    """Open the pairing's page and choose the host's number; the provider (a /healthz)
    answers."""
    page.goto(created["verification_uri_complete"])
    press_continue(page, created.get("match_number"))
    page.wait_for_url(re.compile(r"/healthz\?"))


def _auth(created: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {created['poll_token']}"}


def collect(client: httpx.Client, created: dict[str, Any]) -> dict[str, Any]:
    answer = client.get(f"/v1/pairings/{created['pairing_id']}/result", headers=_auth(created))
    body: dict[str, Any] = answer.json()
    return body


def acknowledge(client: httpx.Client, created: dict[str, Any]) -> None:
    answer = client.post(f"/v1/pairings/{created['pairing_id']}/ack", headers=_auth(created))
    assert answer.status_code == 204, answer.text


def report(client: httpx.Client, created: dict[str, Any], **outcome: str) -> None:
    answer = client.post(
        f"/v1/pairings/{created['pairing_id']}/outcome", json=outcome, headers=_auth(created)
    )
    assert answer.status_code == 204, answer.text


def watch(page: Page) -> list[str]:
    """Everything the page logs, alerts or throws (a CSP violation is logged)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems
