"""What a person reads: the relay's own address, the confirmation page's facts, titles."""

from __future__ import annotations

import re

import pytest

from awslogin_protocol.messages import MAX_ROLE
from tests.unit.relay.conftest import Relay, state_of

pytestmark = pytest.mark.unit

ROLE = "arn:aws:iam::123456789012:role/dev"
HOST = {"hostname": "gpu-box-3", "user": "alice", "client": "awslogin/0.1"}


async def test_the_relays_address_is_a_page_with_the_code_form(relay: Relay) -> None:
    home = await relay.client.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert "<h1>awslogin relay</h1>" in home.text
    assert "terminal" in home.text
    assert '<form method="post" action="/link">' in home.text
    assert 'name="user_code"' in home.text
    assert "<script" not in home.text
    # what the form leads to is /link's answer, as from the /link page itself
    created, _, _ = await relay.create()
    found = await relay.client.post("/link", data={"user_code": created["user_code"]})
    assert found.headers["location"] == f"/p/{created['pairing_id']}"


async def test_refusals_at_the_relays_address_are_pages(relay: Relay) -> None:
    refused = await relay.client.post("/")
    assert refused.status_code == 405
    assert refused.headers["content-type"].startswith("text/html")


async def test_confirmation_page_names_role_provider_time_left_and_the_address(
    relay: Relay,
) -> None:
    created, _, _ = await relay.create(host={**HOST, "role": ROLE})
    relay.clock.advance(75)
    page = await relay.client.get(f"/p/{created['pairing_id']}")
    # <wbr>: where a long ARN may wrap on a phone
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text.replace("<wbr>", "")))
    assert f"AWS role {ROLE}" in text
    assert "Sign in at idp.test " in text  # the authorize URL's host
    assert "Asked 75 seconds ago" in text
    assert "Time left 8 minutes" in text  # 525 s, rounded down
    assert "Address 203.0.113.7 where the request came from, as the relay saw it" in text
    assert "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>123456789012:<wbr>role/<wbr>dev" in page.text
    assert "aria-label" not in page.text
    assert f'<p class="code" id="user-code">{created["user_code"]}</p>' in page.text


async def test_confirmation_page_without_a_role_says_none(relay: Relay) -> None:
    created, _, _ = await relay.create()
    page = await relay.client.get(f"/p/{created['pairing_id']}")
    assert "AWS role" not in page.text
    relay.clock.advance(560)
    later = await relay.client.get(f"/p/{created['pairing_id']}")
    assert "<dd>40 seconds</dd>" in later.text


@pytest.mark.parametrize(
    "role", ["dev\u202egpj.exe", "dev\x1b[2J", "dev\nin account 1", "dev, approve this"]
)
async def test_a_role_that_could_disguise_itself_is_not_shown(relay: Relay, role: str) -> None:
    created, _, _ = await relay.create(host={**HOST, "role": role})
    page = await relay.client.get(f"/p/{created['pairing_id']}")
    assert "<dt>AWS role</dt><dd>(not shown)</dd>" in page.text
    assert "gpj" not in page.text
    assert "approve" not in page.text


@pytest.mark.parametrize("role", ["r" * (MAX_ROLE + 1), 42])
async def test_a_role_too_long_or_not_text_is_refused(relay: Relay, role: object) -> None:
    body = {"host": {**HOST, "role": role}, "public_key": "x", "authorize_url": "x"}
    response = await relay.client.post("/v1/pairings", json=body)
    assert response.status_code == 422
    assert "body.host.role" in response.json()["error_description"]


async def test_done_page_titles_say_what_happened(relay: Relay) -> None:
    denied, _, denied_url = await relay.create()
    await relay.confirm(denied)
    await relay.client.get(
        "/callback", params={"error": "access_denied", "state": state_of(denied_url)}
    )
    page = await relay.client.get(f"/p/{denied['pairing_id']}/done")
    assert "<title>Sign-in was not completed — awslogin</title>" in page.text
    signed, _, signed_url = await relay.create()
    await relay.confirm(signed)
    await relay.client.get("/callback", params={"code": "x", "state": state_of(signed_url)})
    await relay.poll(signed)
    page = await relay.client.get(f"/p/{signed['pairing_id']}/done")
    assert "<title>Finishing on gpu-box-3… — awslogin</title>" in page.text
    await relay.report(signed)
    page = await relay.client.get(f"/p/{signed['pairing_id']}/done")
    assert "<title>gpu-box-3 is signed in as dev in 123456789012 — awslogin</title>" in page.text
