"""Hostile host fields through a real `awslogin-relay` process: the pages in Chromium and
the audit log show every hidden character as a visible escape, never the character.

For each class of character (controls, bidi, zero-width, separators, blank letters...)
a host creates a pairing whose hostname and user carry it; Chromium renders the
confirmation page and the text a person reads there is the escaped form. One sign-in
then goes on to the done page. The audit lines of the relay's log carry the same escaped
text (and the stripped client), whether read raw or decoded as JSON.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from tests.peers.relay import RelayFactory
from tests.support.harmless_text import HIDDEN
from tests.support.phone import press_continue
from tests.support.relay_app import authorize_url, state_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.integration


def _create(
    client: httpx.Client, provider: str, host: dict[str, str]
) -> tuple[dict[str, Any], str]:
    callback = f"{str(client.base_url).rstrip('/')}/callback"
    url = authorize_url(f"{provider}/healthz", redirect_uri=callback)
    response = client.post(
        "/v1/pairings",
        json={"authorize_url": url, "public_key": HostKey().public_key, "host": host},
    )
    assert response.status_code == 201, response.text
    return response.json(), url


def _audit_lines(log: str) -> list[dict[str, Any]]:
    lines = []
    for line in log.splitlines():
        if '"eventSource":"awslogin-relay"' in line:
            assert line.isascii(), line  # nothing but escapes in the raw line either
            lines.append(json.loads(line))
    return lines


def test_hidden_characters_show_as_escapes_on_the_pages_and_in_the_audit_log(
    relay_process: RelayFactory, page: Page
) -> None:
    provider = relay_process().url
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0", RELAY_RATE_CREATE="1000"
    )
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    expected: dict[str, tuple[str, str, str]] = {}  # pairing id: host fields as shown
    with httpx.Client(base_url=relay.url, trust_env=False) as client:
        for name, (raw, shown) in HIDDEN.items():
            host = {
                "hostname": f"gpu{raw}box-3",
                "user": f"al{raw}ice",
                "client": f"awslogin/{raw}0.1",
            }
            created, _ = _create(client, provider, host)
            pid = created["pairing_id"]
            client_shown = "awslogin/ 0.1" if raw.isspace() else "awslogin/0.1"
            if raw.startswith("\x1b"):
                client_shown = "awslogin/[2J0.1"
            expected[pid] = (f"gpu{shown}box-3", f"al{shown}ice", client_shown)
            page.goto(created["verification_uri_complete"])
            machine = page.locator("dl.host dd").first.inner_text()
            assert machine == f"al{shown}ice@gpu{shown}box-3", name
            assert page.title() == f"Sign in gpu{shown}box-3 — awslogin", name
            assert raw not in machine, name
            if not raw.isspace():  # the page's own text has line breaks and tabs
                assert raw not in page.inner_text("body"), name
            cancelled = client.delete(
                f"/v1/pairings/{pid}", headers={"Authorization": f"Bearer {created['poll_token']}"}
            )
            assert cancelled.status_code == 204

        # one sign-in all the way to the done page, with the override that reverses text
        host = {"hostname": "gpu\u202e3-xob", "user": "alice", "client": "awslogin/0.1"}
        created, url = _create(client, provider, host)
        page.goto(created["verification_uri_complete"])
        press_continue(page)
        page.wait_for_url(re.compile(r"/healthz\?"))
        page.goto(f"{relay.url}/callback?code=browser-code&state={state_of(url)}")
        assert page.url == f"{relay.url}/p/{created['pairing_id']}/done"
        # the done page, until the host reports: the name escaped there too
        assert "Finishing on gpu\\u202e3-xob…" in page.inner_text("main")
        assert "\u202e" not in page.inner_text("body")
    assert problems == []

    audit = _audit_lines(relay.log_path.read_text(encoding="utf-8"))
    created_events = {
        event["awslogin"]["pairingId"]: event["awslogin"]
        for event in audit
        if event["awslogin"]["action"] == "created"
    }
    for pid, shown in expected.items():
        event = created_events[pid]
        assert (event["hostName"], event["hostUser"], event["hostClient"]) == shown
    assert len(audit) >= 2 * len(expected)  # created and cancelled, at least
    for event in audit:
        fields = event["awslogin"]
        for value in (fields["hostName"], fields["hostUser"], fields["hostClient"]):
            assert value is None or value.isprintable(), event
