"""Fair share: per-client limits count IPv6 clients by /64 and by /48, each client (and
each creation token) may hold only its share of the pending pairings, failed /link
lookups share one relay-wide budget, and a host's requests with its poll token count
against its pairing, never against its neighbours' network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from tests.support.relay_app import PUBLIC_URL, Relay, authorize_url

pytestmark = pytest.mark.unit

TOKEN_A = "team-a-create-token-0123"
TOKEN_B = "team-b-create-token-4567"


def _body() -> dict[str, Any]:
    return {
        "authorize_url": authorize_url(),
        "public_key": HostKey().public_key,
        "host": {"hostname": "h"},
    }


def _client_at(relay: Relay, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=relay.app, client=(address, 40000)),
        base_url=PUBLIC_URL,
    )


async def _statuses(relay: Relay, addresses: list[str], **headers: str) -> list[int]:
    statuses = []
    for address in addresses:
        async with _client_at(relay, address) as client:
            response = await client.post("/v1/pairings", json=_body(), headers=headers)
            statuses.append(response.status_code)
    return statuses


async def test_one_ipv6_64_is_one_client_for_the_rate_limit(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay = make_relay_app(RELAY_RATE_CREATE="2")
    same_64 = ["2001:db8:1:2::a", "2001:db8:1:2:ffff::b", "2001:db8:1:2:1234:5678:9abc:def0"]
    assert await _statuses(relay, same_64) == [201, 201, 429]
    assert await _statuses(relay, ["2001:db8:1:3::a"]) == [201]  # the next /64
    per_address = make_relay_app(RELAY_RATE_CREATE="2", RELAY_IPV6_PREFIXES="128")
    assert await _statuses(per_address, same_64) == [201, 201, 201]


async def test_a_client_holds_at_most_its_share_of_pending_pairings(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay = make_relay_app(RELAY_MAX_PENDING_PER_CLIENT="2", RELAY_RATE_CREATE="1000")
    async with relay.client:
        first, _, _ = await relay.create()
        await relay.create()
        async with _client_at(relay, "203.0.113.7") as same:
            refused = await same.post("/v1/pairings", json=_body())
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_requests"
        assert "from this network are waiting" in refused.json()["error_description"]
        assert 590 <= int(refused.headers["retry-after"]) <= 600  # the first one expires
        # other clients have their own share
        assert await _statuses(relay, ["198.51.100.9", "2001:db8::1"]) == [201, 201]
        # a pairing that ends gives its slot back
        cancelled = await relay.client.delete(
            f"/v1/pairings/{first['pairing_id']}",
            headers={"Authorization": f"Bearer {first['poll_token']}"},
        )
        assert cancelled.status_code == 204
        assert await _statuses(relay, ["203.0.113.7", "203.0.113.7"]) == [201, 429]
        metrics = (await relay.client.get("/metrics")).text
        assert 'awslogin_relay_rejected_requests_total{reason="max_pending_client"} 2.0' in metrics
        assert "awslogin_relay_pending_pairings 4.0" in metrics


async def test_the_share_of_an_ipv6_client_is_its_64(make_relay_app: Callable[..., Relay]) -> None:
    relay = make_relay_app(RELAY_MAX_PENDING_PER_CLIENT="3", RELAY_RATE_CREATE="1000")
    rotating = [f"2001:db8:1:2::{n:x}" for n in range(1, 6)]
    assert await _statuses(relay, rotating) == [201, 201, 201, 429, 429]


async def test_each_creation_token_has_its_own_share(make_relay_app: Callable[..., Relay]) -> None:
    relay = make_relay_app(
        RELAY_CREATE_TOKEN=f"{TOKEN_A},{TOKEN_B}",
        RELAY_MAX_PENDING_PER_TOKEN="2",
        RELAY_RATE_CREATE="1000",
    )
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    team_a = await _statuses(relay, addresses, authorization=f"Bearer {TOKEN_A}")
    assert team_a == [201, 201, 429]
    async with _client_at(relay, "198.51.100.4") as client:
        refused = await client.post(
            "/v1/pairings", json=_body(), headers={"authorization": f"Bearer {TOKEN_A}"}
        )
    assert "with this creation token" in refused.json()["error_description"]
    assert await _statuses(relay, addresses, authorization=f"Bearer {TOKEN_B}") == [201, 201, 429]
    assert await _statuses(relay, ["198.51.100.5"], authorization="Bearer team-c-0123456789") == [
        401
    ]


async def test_the_total_cap_still_applies_and_answers_503(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay = make_relay_app(RELAY_MAX_PENDING="3", RELAY_RATE_CREATE="1000")
    statuses = await _statuses(relay, [f"198.51.100.{n}" for n in range(1, 6)])
    assert statuses == [201, 201, 201, 503, 503]


async def test_an_ipv6_48_is_counted_too(make_relay_app: Callable[..., Relay]) -> None:
    # each /64 may create 2 per window, the /48 they share 4 times that: 8
    relay = make_relay_app(RELAY_RATE_CREATE="2")
    own_64 = [f"2001:db8:9:{n:x}::1" for n in range(1, 5) for _ in range(2)]
    assert await _statuses(relay, own_64) == [201] * 8
    assert await _statuses(relay, ["2001:db8:9:ff::1", "2001:db8:a::1"]) == [429, 201]
    # a /64 refused for its own limit uses up nothing more of its /48
    other = make_relay_app(RELAY_RATE_CREATE="2")
    assert await _statuses(other, ["2001:db8:9:1::1"] * 10) == [201, 201] + [429] * 8
    others = [f"2001:db8:9:{n:x}::1" for n in range(2, 5) for _ in range(2)]
    assert await _statuses(other, others) == [201] * 6


async def _look_up(relay: Relay, address: str, code: str) -> int:
    async with _client_at(relay, address) as client:
        return (await client.post("/link", data={"user_code": code})).status_code


async def test_failed_code_lookups_share_one_budget_for_the_relay(
    make_relay_app: Callable[..., Relay],
) -> None:
    # 3 misses per 60 s window: one more every 20 s, at most 3 saved up
    relay = make_relay_app(RELAY_LINK_MISSES="3")
    async with relay.client:
        created, _, _ = await relay.create()
        code = created["user_code"]
        guessers = [f"2001:db8:{n:x}::1" for n in range(1, 5)] + ["198.51.100.1"]
        misses = [await _look_up(relay, address, "BCDF-GHJK") for address in guessers]
        assert misses == [404, 404, 404, 429, 429]
        # while the budget is empty even a right code is refused: no answer tells codes apart
        assert await _look_up(relay, "198.51.100.2", code) == 429
        assert await _look_up(relay, "198.51.100.2", "not a code") == 400  # not a guess
        relay.clock.advance(20)
        assert await _look_up(relay, "198.51.100.2", code) == 303  # a match costs nothing
        assert await _look_up(relay, "198.51.100.3", "BCDF-GHJL") == 404
        assert await _look_up(relay, "198.51.100.3", code) == 429
        metrics = (await relay.client.get("/metrics")).text
        assert 'awslogin_relay_rejected_requests_total{reason="link_misses"} 4.0' in metrics


async def test_an_empty_budget_shows_the_form_with_what_to_do_instead(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay = make_relay_app(RELAY_LINK_MISSES="1")
    async with relay.client:
        assert await _look_up(relay, "198.51.100.1", "BCDF-GHJK") == 404
        async with _client_at(relay, "198.51.100.2") as client:
            refused = await client.post("/link", data={"user_code": "BCDF-GHJL"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert 'name="user_code"' in refused.text  # the form again, not a dead end
    assert "scan the QR code" in refused.text


async def test_the_host_is_not_starved_by_requests_without_its_token(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay = make_relay_app(RELAY_RATE_COLLECT="3")
    async with relay.client:
        created, _, _ = await relay.create()
        pid = created["pairing_id"]
        wrong = {"Authorization": "Bearer not-the-token"}
        statuses = [
            (await relay.client.get(f"/v1/pairings/{pid}/result", headers=wrong)).status_code
            for _ in range(3)
        ]
        statuses.append((await relay.client.post(f"/v1/pairings/{pid}/ack")).status_code)
        assert statuses == [401, 401, 401, 429]  # the same address as the host
        assert (await relay.poll(created)).status_code == 200
        assert (await relay.report(created)).status_code == 409  # no result yet: refused
        assert (await relay.ack(created)).status_code == 409
        assert (await relay.poll(created)).status_code == 429  # the pairing's own limit
