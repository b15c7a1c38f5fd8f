"""A real Redis failover under two relay replicas while hosts wait for their logins.

Redis Sentinel's group (tests/peers/redis_sentinel.py): a primary, a replica and three
sentinels. Two `awslogin-relay` processes use it through
``RELAY_STORE=redis+sentinel://...``. Forty hosts long-poll their pairings (half on
each replica) and a creator asks for a new pairing every 50 ms. The primary is killed
with SIGKILL; the sentinels notice, elect a leader and promote the replica. Meanwhile
every answer must be a pending poll or a clear retryable refusal (503 with Retry-After,
never a 500); hosts honour Retry-After. Afterwards every host's browser completes its
sign-in and every host must receive it: a waiting login is lost only if its creation
had not reached the replica when the primary died (the forty are replicated before
the kill, with WAIT, so none may be lost). The test prints the losses and how long
creation was refused (deploy/README.md, "Redis failover with Sentinel").
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from awslogin_protocol.sealing import HostKey
from tests.peers.ci import require_peer
from tests.peers.redis_sentinel import SentinelGroup, available
from tests.peers.relay import RelayFactory, RelayServer
from tests.support import pairing_client
from tests.support.pairing_client import IDP, Host
from tests.support.waiting import async_wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]

PUBLIC_URL = "https://relay.test"
HOSTS = 40
WAIT = 5  # seconds each long-poll waits (RELAY_MAX_WAIT)


@dataclass
class Answers:
    """Every status code the relays gave, and the refusals without Retry-After."""

    statuses: Counter[int] = field(default_factory=Counter)
    without_retry_after: int = 0

    def note(self, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code in (429, 503) and "retry-after" not in response.headers:
            self.without_retry_after += 1


@dataclass
class Creations:
    """The creator's attempts: (seconds since the start, status) each."""

    attempts: list[tuple[float, int]] = field(default_factory=list)
    hosts: list[tuple[float, Host]] = field(default_factory=list)

    def refused_seconds(self, after: float) -> tuple[float, int]:
        """From the first refusal after `after` to the next success; and the refusals."""
        refused = [(t, s) for t, s in self.attempts if t >= after and s != 201]
        if not refused:
            return 0.0, 0
        first = refused[0][0]
        back = next((t for t, s in self.attempts if t > first and s == 201), None)
        assert back is not None, "creation never came back"
        return back - first, len(refused)


@pytest.fixture
def group() -> Iterator[SentinelGroup]:
    require_peer(available(), "redis-server and redis-sentinel (Debian)")
    with SentinelGroup(down_after=1.0) as started:
        yield started


async def _wait_for_login(
    client: httpx.AsyncClient, relay: RelayServer, host: Host, answers: Answers, deadline: float
) -> str:
    """Long-poll like a host that honours Retry-After: 'complete', 'lost' or 'timeout'."""
    while time.monotonic() < deadline:
        try:
            response = await host.poll(client, relay.url, wait=WAIT)
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        answers.note(response)
        if response.status_code == 200:
            body = response.json()
            if body["status"] == "complete":
                assert host.open(body)["code"] == f"code-{host.pairing_id}"
                return "complete"
            continue
        if response.status_code in (404, 410):
            return "lost"
        assert response.status_code in (429, 503), response.text
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    return "timeout"


async def _create_every_50_ms(
    client: httpx.AsyncClient,
    relays: tuple[RelayServer, RelayServer],
    creations: Creations,
    answers: Answers,
    started: float,
    stop: asyncio.Event,
) -> None:
    """One creation at a time, alternating replicas, whatever the answers."""
    n = 0
    while not stop.is_set():
        key, state = HostKey(), secrets.token_urlsafe(32)
        response = await client.post(
            f"{relays[n % 2].url}/v1/pairings",
            json={
                "authorize_url": pairing_client.authorize_url(state, PUBLIC_URL),
                "public_key": key.public_key,
                "host": {"hostname": "gpu-box-3", "user": "alice"},
            },
        )
        n += 1
        answers.note(response)
        seconds = time.monotonic() - started
        creations.attempts.append((seconds, response.status_code))
        if response.status_code == 201:
            creations.hosts.append((seconds, Host(response.json(), key, state)))
        await asyncio.sleep(0.05)


async def test_hosts_survive_a_primary_failover(
    group: SentinelGroup, relay_process: RelayFactory
) -> None:
    env = {
        "RELAY_STORE": group.url,
        "RELAY_PUBLIC_URL": PUBLIC_URL,
        "RELAY_ALLOWED_ORIGINS": IDP,
        "RELAY_POLL_INTERVAL": "0",
        "RELAY_MAX_WAIT": str(WAIT),
        "RELAY_RATE_CREATE": "100000",
        "RELAY_RATE_COLLECT": "100000",
        "RELAY_RATE_BROWSER": "100000",
        "RELAY_MAX_PENDING_PER_CLIENT": "100000",  # every host and browser is 127.0.0.1
    }
    relays = (relay_process(**env), relay_process(**env))
    answers, creations = Answers(), Creations()
    async with httpx.AsyncClient(timeout=WAIT + 10) as client:
        hosts = [
            (relays[n % 2], await pairing_client.create(client, relays[n % 2].url, PUBLIC_URL))
            for n in range(HOSTS)
        ]
        # the forty creations are on the replica before anything breaks
        assert group.data_client(group.primary_port).wait(1, 5000) == 1
        started = time.monotonic()
        deadline = started + 90
        waiting = [
            asyncio.create_task(_wait_for_login(client, relay, host, answers, deadline))
            for relay, host in hosts
        ]
        stop = asyncio.Event()
        creator = asyncio.create_task(
            _create_every_50_ms(client, relays, creations, answers, started, stop)
        )
        await async_wait_until(
            lambda: sum(relay.long_polls() for relay in relays) == HOSTS,
            "every host waiting in a long-poll",
            30,  # each re-polls every WAIT s: a loaded machine needs a few tries to see all 40
        )
        killed = time.monotonic() - started
        group.kill_primary()
        new_primary = await asyncio.to_thread(group.wait_for_promotion)
        promoted = time.monotonic() - started
        while not any(t > promoted and s == 201 for t, s in creations.attempts):
            await asyncio.sleep(0.1)
        stop.set()
        await creator
        # the browsers come back from the identity provider, now on the new primary
        for n, (relay, host) in enumerate(hosts):
            await pairing_client.callback(
                client, relay.url, host, f"code-{host.pairing_id}", confirm_at=relays[n % 2].url
            )
        outcomes = Counter(await asyncio.gather(*waiting))
        # the creator's pairings: still known after the failover, or lost with the primary
        kept = 0
        for _, host in creations.hosts:
            response = await host.poll(client, relays[0].url)
            answers.note(response)
            kept += response.status_code == 200
    refused_for, refusals = creations.refused_seconds(killed)
    lost_in_flight = len(creations.hosts) - kept
    print(
        f"\nfailover: primary killed at {killed:.1f} s, replica (port {new_primary}) promoted "
        f"{promoted - killed:.1f} s later; creation refused for {refused_for:.1f} s "
        f"({refusals} attempts); waiting logins: {outcomes['complete']} of {HOSTS} completed, "
        f"{outcomes['lost']} lost, {outcomes['timeout']} timed out; the creator's "
        f"{len(creations.hosts)} pairings: {lost_in_flight} lost (created as the primary "
        f"died, not replicated yet); answers {dict(sorted(answers.statuses.items()))}"
    )
    assert outcomes == Counter({"complete": HOSTS})
    assert answers.statuses[500] == 0
    assert set(answers.statuses) <= {200, 201, 429, 503}, answers.statuses
    assert answers.without_retry_after == 0
    assert refused_for < 15
    # one creation at a time: only the one answered as the primary died can be lost
    assert lost_in_flight <= 1
    for relay in relays:
        log = relay.log_path.read_text()
        assert "Traceback" not in log
        assert "unhandled" not in log
