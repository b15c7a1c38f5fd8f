"""Fair share against real relay processes, on both stores: one IPv6 /48 cannot take
the relay, and a neighbour on the host's network (the same /64, the same IPv4 NAT)
cannot make the host's polls answer 429 (docs/security.md#fair-share).

Clients are told apart by X-Forwarded-For, which the relay believes from 127.0.0.1
only because RELAY_TRUSTED_PROXIES lists it; one test talks IPv6 to a real ::1
listener instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayFactory, RelayServer
from tests.support.relay_app import authorize_url

pytestmark = pytest.mark.integration

IDP = "https://idp.test"
StartRelay = Callable[..., RelayServer]


@pytest.fixture(params=["memory", "redis"])
def start_relay(request: pytest.FixtureRequest, relay_process: RelayFactory) -> StartRelay:
    """Start a relay on the parametrized store, behind a "proxy" at 127.0.0.1."""
    store = "memory"
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        store = redis.url

    def start(host: str = "127.0.0.1", **env: str) -> RelayServer:
        return relay_process(
            host=host,
            RELAY_STORE=store,
            RELAY_ALLOWED_ORIGINS=IDP,
            RELAY_POLL_INTERVAL="0",
            RELAY_TRUSTED_PROXIES="127.0.0.1",
            # Rate windows start on the clock's minute; a day-long one keeps a test that
            # crosses a minute from seeing its counts reset half-way.
            RELAY_RATE_WINDOW="86400",
            **env,
        )

    return start


def _body(server: RelayServer) -> dict[str, Any]:
    return {
        "authorize_url": authorize_url(f"{IDP}/authorize", redirect_uri=f"{server.url}/callback"),
        "public_key": HostKey().public_key,
        "host": {"hostname": "gpu-box-3"},
    }


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def _create(client: httpx.AsyncClient, server: RelayServer, address: str) -> httpx.Response:
    return await client.post("/v1/pairings", json=_body(server), headers=_from(address))


async def test_one_48_cannot_take_the_relay(start_relay: StartRelay) -> None:
    # a /64 holds 2 pending pairings, a /48 four times that: 8, from any of its /64s
    server = start_relay(RELAY_MAX_PENDING_PER_CLIENT="2", RELAY_RATE_CREATE="1000")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        statuses = [
            (await _create(client, server, f"2001:db8:7:{n:x}::{host:x}")).status_code
            for n in range(1, 7)
            for host in (1, 2)
        ]
        assert statuses == [201] * 8 + [429] * 4
        refused = await _create(client, server, "2001:db8:7:ffff::1")  # a fresh /64 of it
        assert refused.status_code == 429
        assert "from this network are waiting" in refused.json()["error_description"]
        # the next /48, and IPv4 clients, have shares of their own
        assert (await _create(client, server, "2001:db8:8:1::1")).status_code == 201
        assert (await _create(client, server, "198.51.100.7")).status_code == 201
        metrics = (await client.get("/metrics")).text
        assert 'awslogin_relay_rejected_requests_total{reason="max_pending_client"} 5.0' in metrics


@pytest.mark.parametrize(
    ("host", "neighbour"),
    [("198.51.100.7", "198.51.100.7"), ("2001:db8:5:6::10", "2001:db8:5:6:abcd::99")],
    ids=["ipv4-nat", "ipv6-64"],
)
async def test_a_neighbour_cannot_starve_the_hosts_polls(
    start_relay: StartRelay, host: str, neighbour: str
) -> None:
    server = start_relay(RELAY_RATE_COLLECT="5")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        created = await _create(client, server, host)
        assert created.status_code == 201
        pairing_id = created.json()["pairing_id"]
        result = f"/v1/pairings/{pairing_id}/result"
        mine = {**_from(host), "Authorization": f"Bearer {created.json()['poll_token']}"}
        await _hammer(client, result, neighbour)
        # the host's own polls count against its pairing only: all 5 answer
        for _ in range(5):
            polled = await client.get(result, headers=mine)
            assert polled.status_code == 200, polled.text
            assert polled.json()["status"] == "pending"
        # and the pairing has its own limit
        assert (await client.get(result, headers=mine)).status_code == 429


async def _hammer(client: httpx.AsyncClient, result: str, neighbour: str) -> None:
    """Polls with no token, a wrong one, and on made-up pairings, until 429."""
    statuses = []
    for n in range(12):
        headers = _from(neighbour)
        path = result
        if n % 3 == 1:
            headers["Authorization"] = f"Bearer {secrets.token_urlsafe(32)}"
        elif n % 3 == 2:
            path = f"/v1/pairings/{secrets.token_hex(6)}/result"
            headers["Authorization"] = f"Bearer {secrets.token_urlsafe(32)}"
        statuses.append((await client.get(path, headers=headers)).status_code)
    assert set(statuses[:5]) <= {401, 404}
    assert statuses[5:] == [429] * 7


async def test_over_a_real_ipv6_listener(start_relay: StartRelay) -> None:
    """Host and neighbour both at ::1, talking IPv6 to a relay that listens on ::1."""
    server = start_relay(host="::1", RELAY_RATE_COLLECT="5", RELAY_MAX_PENDING_PER_CLIENT="2")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        created = await client.post("/v1/pairings", json=_body(server))
        assert created.status_code == 201
        result = f"/v1/pairings/{created.json()['pairing_id']}/result"
        mine = {"Authorization": f"Bearer {created.json()['poll_token']}"}
        statuses = [(await client.get(result)).status_code for _ in range(7)]
        assert statuses == [401] * 5 + [429] * 2  # ::1 counted as its /64 and /48
        for _ in range(5):
            assert (await client.get(result, headers=mine)).status_code == 200
        assert (await client.post("/v1/pairings", json=_body(server))).status_code == 201
        assert (await client.post("/v1/pairings", json=_body(server))).status_code == 429
