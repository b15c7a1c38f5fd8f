"""Two `awslogin-relay` processes sharing one redis-server, as replicas behind a load
balancer: what one replica accepts, the other delivers, until the host acknowledges it
on either; restarts and Redis outages cost a retry, never a lost result, never a 500."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayServer
from tests.support import pairing_client
from tests.support.pairing_client import IDP, Host, authorize_url
from tests.support.waiting import async_wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PUBLIC_URL = "https://relay.test"  # what the load balancer would serve; both replicas share it

Start = Callable[..., RelayServer]


async def create(client: httpx.AsyncClient, relay: RelayServer) -> Host:
    return await pairing_client.create(client, relay.url, PUBLIC_URL)


async def callback(
    client: httpx.AsyncClient,
    relay: RelayServer,
    host: Host,
    code: str,
    *,
    confirm_at: RelayServer | None = None,
) -> str:
    """Confirm (at `confirm_at`, default `relay`) and come back to `relay`'s /callback;
    returns the browser's binding cookie."""
    return await pairing_client.callback(
        client, relay.url, host, code, confirm_at=confirm_at.url if confirm_at else None
    )


@pytest.fixture
def replicas(redis_server: RedisServer, relay_process: Start) -> tuple[RelayServer, RelayServer]:
    env = {
        "RELAY_STORE": redis_server.url,
        "RELAY_PUBLIC_URL": PUBLIC_URL,
        "RELAY_ALLOWED_ORIGINS": IDP,
        "RELAY_POLL_INTERVAL": "0",
    }
    return relay_process(**env), relay_process(**env)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_callback_on_one_replica_wakes_the_long_poll_on_the_other(
    replicas: tuple[RelayServer, RelayServer], client: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    a, b = replicas
    host = await create(client, a)
    poll = asyncio.create_task(host.poll(client, b.url, wait=20))
    await async_wait_until(lambda: b.long_polls() == 1, "a long-poll waiting on B", 10)
    # and B listens for wake-ups: the latency below is the wake-up's, not B's subscribing
    await async_wait_until(
        lambda: redis_server.subscribers("awl:wake") >= 1, "B subscribed to wake-ups", 10
    )
    assert not poll.done()
    started = time.perf_counter()
    await callback(client, a, host, "code-from-the-idp", confirm_at=b)
    response = await asyncio.wait_for(poll, 5)
    latency = time.perf_counter() - started
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "complete"
    assert host.open(body)["code"] == "code-from-the-idp"
    assert latency < 0.5, f"cross-replica wake-up took {latency:.3f} s"
    for relay in (a, b):  # delivered again, by either replica, until acknowledged
        again = await host.poll(client, relay.url)
        assert again.json() == body


async def test_ack_on_one_replica_ends_delivery_on_the_other(
    replicas: tuple[RelayServer, RelayServer], client: httpx.AsyncClient
) -> None:
    a, b = replicas
    host = await create(client, a)
    binding = await callback(client, b, host, "the-code")
    assert host.open((await host.poll(client, b.url)).json())["code"] == "the-code"
    assert (await host.ack(client, a.url)).status_code == 204
    after = await host.poll(client, b.url)
    assert after.status_code == 410
    assert after.json()["error"] == "already_collected"
    assert (await host.ack(client, b.url)).status_code == 204  # idempotent on any replica
    finishing = await client.get(f"{b.url}/p/{host.pairing_id}/status")
    assert finishing.json() == {"status": "finishing"}
    # the outcome reported on one replica is what the confirming browser reads on the other
    outcome = {"outcome": "signed_in", "account_id": "123456789012", "role": "dev"}
    assert (await host.report(client, b.url, outcome)).status_code == 204
    twice = await host.report(client, a.url, outcome)
    assert twice.status_code == 409
    assert twice.json()["error"] == "already_reported"
    done = await client.get(f"{a.url}/p/{host.pairing_id}/done", headers={"cookie": binding})
    assert "gpu-box-3 is signed in as dev in 123456789012" in done.text
    stranger = await client.get(f"{a.url}/p/{host.pairing_id}/done")
    assert "123456789012" not in stranger.text


async def test_pending_pairing_survives_a_relay_restart(
    replicas: tuple[RelayServer, RelayServer], client: httpx.AsyncClient
) -> None:
    a, _ = replicas
    host = await create(client, a)
    poll = asyncio.create_task(host.poll(client, a.url, wait=20))
    await async_wait_until(lambda: a.long_polls() == 1, "a long-poll waiting on A", 10)
    a.restart()
    try:
        interrupted = await poll  # a graceful stop may still answer the long-poll
        assert interrupted.status_code in (200, 503), interrupted.text
        assert interrupted.json().get("status", "pending") == "pending"
    except httpx.TransportError:
        pass  # or the connection dropped with the old process
    # the host reconnects to the new process: the pairing is still there
    response = await host.poll(client, a.url)
    assert response.json() == {"status": "pending"}
    poll = asyncio.create_task(host.poll(client, a.url, wait=20))
    await async_wait_until(lambda: a.long_polls() == 1, "a long-poll waiting on A", 10)
    await callback(client, a, host, "after-restart")
    response = await asyncio.wait_for(poll, 5)
    assert host.open(response.json())["code"] == "after-restart"


async def test_polls_racing_an_ack_on_both_replicas_never_get_half_a_result(
    replicas: tuple[RelayServer, RelayServer], client: httpx.AsyncClient
) -> None:
    a, b = replicas
    delivered = 0  # results that raced the ack and arrived: the race did happen
    for round_ in range(5):
        host = await create(client, a)
        await callback(client, b, host, f"code-{round_}", confirm_at=a)
        polls = [host.poll(client, r.url) for r in (a, b) * 6]
        answers = await asyncio.gather(*polls, host.ack(client, b.url))
        *responses, acked = answers
        assert acked.status_code == 204
        for response in responses:  # the result whole, or gone: never anything else
            if response.status_code == 200:
                assert host.open(response.json())["code"] == f"code-{round_}"
                delivered += 1
            else:
                assert response.status_code == 410, response.text
        assert (await host.poll(client, a.url)).status_code == 410
    assert delivered > 0


async def test_redis_outage_gives_503_json_then_recovers_without_a_restart(
    replicas: tuple[RelayServer, RelayServer],
    redis_server: RedisServer,
    client: httpx.AsyncClient,
) -> None:
    a, b = replicas
    host = await create(client, a)
    redis_server.stop()
    for relay in (a, b):
        ready = await client.get(f"{relay.url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["error"] == "temporarily_unavailable"
        assert (await client.get(f"{relay.url}/healthz")).status_code == 200  # no restart loop
    answers = [
        await client.post(
            f"{a.url}/v1/pairings",
            json={
                "authorize_url": authorize_url(secrets.token_urlsafe(32), PUBLIC_URL),
                "mode": "redirect",
                "public_key": HostKey().public_key,
                "host": {"hostname": "h", "user": "u", "client": "awslogin/0.1.0"},
            },
        ),
        await host.poll(client, b.url, wait=5),
        await client.get(f"{b.url}/p/{host.pairing_id}"),
        await client.get(f"{a.url}/callback", params={"code": "c", "state": host.state}),
    ]
    for response in answers:
        assert response.status_code == 503, (response.request.url.path, response.text)
        assert "Traceback" not in response.text
    assert answers[0].headers["content-type"].startswith("application/json")
    assert answers[0].json()["error"] == "temporarily_unavailable"
    assert answers[0].headers["retry-after"] == "5"
    assert answers[1].json()["error"] == "temporarily_unavailable"

    redis_server.start()  # empty again (no persistence): old pairings are gone
    deadline = time.monotonic() + 10
    while (await client.get(f"{b.url}/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "replica did not become ready again"
        await asyncio.sleep(0.1)
    host = await create(client, b)
    poll = asyncio.create_task(host.poll(client, a.url, wait=20))
    await async_wait_until(lambda: a.long_polls() == 1, "a long-poll waiting on A", 10)
    await callback(client, b, host, "after-outage")
    response = await asyncio.wait_for(poll, 5)
    assert host.open(response.json())["code"] == "after-outage"
    for relay in (a, b):
        assert "Traceback" not in relay.log_path.read_text()
