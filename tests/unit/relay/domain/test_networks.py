"""Fair share: per-client limits count IPv6 clients by /64, and each client (and each
creation token) may hold only its share of the pending pairings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from awslogin_relay.domain.networks import client_network
from tests.support.relay_app import PUBLIC_URL, Relay, authorize_url

pytestmark = pytest.mark.unit

TOKEN_A = "team-a-create-token-0123"
TOKEN_B = "team-b-create-token-4567"


@pytest.mark.parametrize(
    ("address", "v4", "v6", "network"),
    [
        ("203.0.113.7", 32, 64, "203.0.113.7"),
        ("203.0.113.7", 24, 64, "203.0.113.0/24"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 32, 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", 32, 56, "2001:db8:1::/56"),
        ("2001:db8:1:2::1", 32, 128, "2001:db8:1:2::1"),
        ("::ffff:203.0.113.7", 32, 64, "203.0.113.7"),  # IPv4-mapped counts as IPv4
        ("unknown", 32, 64, "unknown"),
    ],
)
def test_client_network(address: str, v4: int, v6: int, network: str) -> None:
    assert client_network(address, v4, v6) == network


def _body() -> dict[str, Any]:
    return {
        "authorize_url": authorize_url(),
        "public_key": HostKey().public_key,
        "host": {"hostname": "h"},
    }


def _client_at(relay_app: Relay, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=relay_app.app, client=(address, 40000)),
        base_url=PUBLIC_URL,
    )


async def _statuses(relay_app: Relay, addresses: list[str], **headers: str) -> list[int]:
    statuses = []
    for address in addresses:
        async with _client_at(relay_app, address) as client:
            response = await client.post("/v1/pairings", json=_body(), headers=headers)
            statuses.append(response.status_code)
    return statuses


async def test_one_ipv6_64_is_one_client_for_the_rate_limit(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_RATE_CREATE="2")
    same_64 = ["2001:db8:1:2::a", "2001:db8:1:2:ffff::b", "2001:db8:1:2:1234:5678:9abc:def0"]
    assert await _statuses(relay_app, same_64) == [201, 201, 429]
    assert await _statuses(relay_app, ["2001:db8:1:3::a"]) == [201]  # the next /64
    per_address = make_relay_app(RELAY_RATE_CREATE="2", RELAY_IPV6_PREFIX="128")
    assert await _statuses(per_address, same_64) == [201, 201, 201]


async def test_a_client_holds_at_most_its_share_of_pending_pairings(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_MAX_PENDING_PER_CLIENT="2", RELAY_RATE_CREATE="1000")
    async with relay_app.client:
        first, _, _ = await relay_app.create()
        await relay_app.create()
        async with _client_at(relay_app, "203.0.113.7") as same:
            refused = await same.post("/v1/pairings", json=_body())
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_requests"
        assert "from this network are waiting" in refused.json()["error_description"]
        assert 590 <= int(refused.headers["retry-after"]) <= 600  # the first one expires
        # other clients have their own share
        assert await _statuses(relay_app, ["198.51.100.9", "2001:db8::1"]) == [201, 201]
        # a pairing that ends gives its slot back
        cancelled = await relay_app.client.delete(
            f"/v1/pairings/{first['pairing_id']}",
            headers={"Authorization": f"Bearer {first['poll_token']}"},
        )
        assert cancelled.status_code == 204
        assert await _statuses(relay_app, ["203.0.113.7", "203.0.113.7"]) == [201, 429]
        metrics = (await relay_app.client.get("/metrics")).text
        assert 'awslogin_relay_rejected_requests_total{reason="max_pending_client"} 2.0' in metrics
        assert "awslogin_relay_pending_pairings 4.0" in metrics


async def test_the_share_of_an_ipv6_client_is_its_64(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(RELAY_MAX_PENDING_PER_CLIENT="3", RELAY_RATE_CREATE="1000")
    rotating = [f"2001:db8:1:2::{n:x}" for n in range(1, 6)]
    assert await _statuses(relay_app, rotating) == [201, 201, 201, 429, 429]


async def test_each_creation_token_has_its_own_share(make_relay_app: Callable[..., Relay]) -> None:
    relay_app = make_relay_app(
        RELAY_CREATE_TOKEN=f"{TOKEN_A},{TOKEN_B}",
        RELAY_MAX_PENDING_PER_TOKEN="2",
        RELAY_RATE_CREATE="1000",
    )
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    team_a = await _statuses(relay_app, addresses, authorization=f"Bearer {TOKEN_A}")
    assert team_a == [201, 201, 429]
    async with _client_at(relay_app, "198.51.100.4") as client:
        refused = await client.post(
            "/v1/pairings", json=_body(), headers={"authorization": f"Bearer {TOKEN_A}"}
        )
    assert "with this creation token" in refused.json()["error_description"]
    assert await _statuses(relay_app, addresses, authorization=f"Bearer {TOKEN_B}") == [
        201,
        201,
        429,
    ]
    assert await _statuses(
        relay_app, ["198.51.100.5"], authorization="Bearer team-c-0123456789"
    ) == [401]


async def test_the_total_cap_still_applies_and_answers_503(
    make_relay_app: Callable[..., Relay],
) -> None:
    relay_app = make_relay_app(RELAY_MAX_PENDING="3", RELAY_RATE_CREATE="1000")
    statuses = await _statuses(relay_app, [f"198.51.100.{n}" for n in range(1, 6)])
    assert statuses == [201, 201, 201, 503, 503]
