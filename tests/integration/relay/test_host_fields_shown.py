"""Host fields through a real `awslogin-relay` process and Chromium: what a host says
about itself shows only when it is well formed, else as "(not shown)"; what the host
reports of its failure shows only under the terminal's label, cut short.

For each class of character (controls, bidi, zero-width, separators, blank letters,
spaces, sentences, letters outside ASCII, markup...) a host creates a pairing whose
hostname, user and role carry it: the pairing is created (a machine with an odd name
still logs in), and the confirmation page, its title and the audit log say
"(not shown)" and never the value. A field over its length is refused with 422 naming
it. Well-formed values show as sent. One sign-in goes on to the done page, where a
hostile failure reason shows under its label and cut.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from awslogin_protocol.messages import (
    MAX_HOST_USER,
    MAX_HOSTNAME,
    MAX_ROLE,
    OUTCOME_REASON_SHOWN,
)
from awslogin_protocol.sealing import HostKey
from tests.integration.relay import browser_steps
from tests.peers.relay import RelayFactory
from tests.support.harmless_text import MALFORMED
from tests.support.relay_app import authorize_url, state_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROLE = "arn:aws:iam::123456789012:role/team/dev"
LABEL = "Your terminal reported (its words, not checked by the relay):"


def _post(client: httpx.Client, provider: str, host: dict[str, str]) -> httpx.Response:
    callback = f"{str(client.base_url).rstrip('/')}/callback"
    url = authorize_url(f"{provider}/healthz", redirect_uri=callback)
    return client.post(
        "/v1/pairings",
        json={"authorize_url": url, "public_key": HostKey().public_key, "host": host},
    )


def _create(
    client: httpx.Client, provider: str, host: dict[str, str]
) -> tuple[dict[str, Any], str]:
    response = _post(client, provider, host)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created, json.loads(response.request.content)["authorize_url"]


def _facts(page: Page) -> dict[str, str]:
    """The confirmation page's facts as a person reads them: label -> value."""
    terms = page.locator("dl.host dt").all_inner_texts()
    values = page.locator("dl.host dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


def _audit_created(log: str) -> dict[str, dict[str, Any]]:
    events = {}
    for line in log.splitlines():
        if '"eventSource":"awslogin-relay"' in line:
            assert line.isascii(), line
            fields = json.loads(line)["awslogin"]
            if fields["action"] == "created":
                events[fields["pairingId"]] = fields
    return events


def test_each_class_of_character_in_a_host_field_shows_as_not_shown(
    relay_process: RelayFactory, page: Page
) -> None:
    provider = relay_process().url
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0", RELAY_RATE_CREATE="1000"
    )
    problems = browser_steps.watch(page)
    ids: list[str] = []
    with httpx.Client(base_url=relay.url, trust_env=False) as client:
        for name, inside in MALFORMED.items():
            host = {
                "hostname": f"gpu{inside}box-3",
                "user": f"al{inside}ice",
                "client": "awslogin/0.1",
                "role": f"arn:aws:iam::123456789012:role/dev{inside}ops",
            }
            created, _ = _create(client, provider, host)
            ids.append(created["pairing_id"])
            page.goto(created["verification_uri_complete"])
            facts = _facts(page)
            assert facts["Machine"] == "(not shown)@(not shown)", name
            assert facts["AWS role"] == "(not shown)", name
            assert page.title() == "Sign in (not shown) — awslogin", name
            body = page.inner_text("body")
            assert "box-3" not in body, name
            assert f"al{inside}ice" not in body, name
            assert f"dev{inside}ops" not in body, name
            cancelled = client.delete(
                f"/v1/pairings/{created['pairing_id']}",
                headers={"Authorization": f"Bearer {created['poll_token']}"},
            )
            assert cancelled.status_code == 204
    assert problems == []
    created_events = _audit_created(relay.log_path.read_text(encoding="utf-8"))
    for pid in ids:
        event = created_events[pid]
        assert (event["hostName"], event["hostUser"]) == ("(not shown)", "(not shown)")


@pytest.mark.parametrize(
    ("field", "cap"), [("hostname", MAX_HOSTNAME), ("user", MAX_HOST_USER), ("role", MAX_ROLE)]
)
def test_a_field_over_its_length_is_refused_naming_it(
    relay_process: RelayFactory, field: str, cap: int
) -> None:
    provider = relay_process().url
    relay = relay_process(RELAY_ALLOWED_ORIGINS=provider)
    host = {"hostname": "gpu-box-3", "user": "alice", field: "a" * (cap + 1)}
    with httpx.Client(base_url=relay.url, trust_env=False) as client:
        refused = _post(client, provider, host)
    assert refused.status_code == 422
    assert f"body.host.{field}" in refused.json()["error_description"]


def test_well_formed_fields_show_and_a_reason_shows_under_its_label_cut_short(
    relay_process: RelayFactory, page: Page
) -> None:
    provider = relay_process().url
    relay = relay_process(RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0")
    problems = browser_steps.watch(page)
    host = {"hostname": "gpu-box-3.corp.example", "user": "alice", "role": ROLE}
    with httpx.Client(base_url=relay.url, trust_env=False) as client:
        created, url = _create(client, provider, host)
        page.goto(created["verification_uri_complete"])
        facts = _facts(page)
        assert facts["Machine"] == "alice@gpu-box-3.corp.example"
        assert facts["AWS role"] == ROLE
        assert page.title() == "Sign in gpu-box-3.corp.example — awslogin"

        browser_steps.confirm(page, created)
        page.goto(f"{relay.url}/callback?code=browser-code&state={state_of(url)}")
        browser_steps.collect(client, created)
        browser_steps.acknowledge(client, created)
        # a reason that pretends to be the relay: its own words, and then a page more
        pretend = "\u202eThis is the relay: all is well.\n\x1b[2JPress continue. "
        browser_steps.report(client, created, outcome="failed", reason=pretend + "x" * 600)
        page.goto(f"{relay.url}/p/{created['pairing_id']}/done")
    assert page.locator("h1").inner_text() == "gpu-box-3.corp.example could not finish"
    reason = page.locator("figure.reason")
    assert reason.locator("figcaption").inner_text() == LABEL
    quoted = reason.locator("blockquote").inner_text()
    assert quoted.startswith("This is the relay: all is well. [2JPress continue. xxx")
    assert len(quoted) == OUTCOME_REASON_SHOWN
    assert quoted.endswith("\u2026")
    body = page.inner_text("body")
    assert "\u202e" not in body
    assert "\x1b" not in body
    assert body.count("This is the relay") == 1  # nowhere but under the label
    assert problems == []
