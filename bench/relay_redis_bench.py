"""Relay figures with the memory store and the Redis store side by side, in one run.

Starts everything it measures on 127.0.0.1 (redis-server, `awslogin-relay` processes),
runs bounded request loops, stops everything, and prints one table plus the Redis
memory used per pending pairing. Run from the repository root:

    python bench/relay_redis_bench.py [--pairings 400] [--logins 200] [--concurrency 20]

Rows: "memory" is one relay with the embedded store; "redis" one relay on Redis;
"redis x2" two relays on one Redis, each login created, confirmed and completed on
replica A and long-polled on replica B (the cross-replica wake-up). A login is what a
person's sign-in costs the relay: create, confirm (the browser's binding cookie),
callback, collect.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from awslogin_protocol.sealing import HostKey
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayServer

PUBLIC_URL = "https://relay.bench"
IDP = "https://idp.bench"
LIMITS = {  # the bench is one client address: lift the per-address limits
    "RELAY_RATE_CREATE": "1000000",
    "RELAY_RATE_COLLECT": "1000000",
    "RELAY_RATE_BROWSER": "1000000",
    "RELAY_MAX_PENDING": "1000000",
    "RELAY_MAX_PENDING_PER_CLIENT": "1000000",  # every client here is 127.0.0.1
    "RELAY_POLL_INTERVAL": "0",
    "RELAY_LOG_LEVEL": "warning",
}


def authorize_url(state: str) -> str:
    """Okta-sized, with real random state, nonce and challenge (what memory must hold)."""
    challenge = hashlib.sha256(secrets.token_bytes(32)).digest()
    params = {
        "response_type": "code",
        "client_id": "0oa1b2c3d4e5f6g7h8i9",
        "redirect_uri": f"{PUBLIC_URL}/callback",
        "scope": "openid profile email offline_access",
        "state": state,
        "nonce": secrets.token_urlsafe(32),
        "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return f"{IDP}/oauth2/default/v1/authorize?{urlencode(params)}"


@dataclass
class Row:
    name: str
    creates_per_s: float
    create_p50_ms: float
    create_p95_ms: float
    logins_per_s: float
    wake_p50_ms: float
    wake_p95_ms: float
    wake_max_ms: float


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def bounded(count: int, concurrency: int, job: Callable[[int], Awaitable[None]]) -> float:
    """Run job(0..count-1) with at most `concurrency` at once; returns the elapsed seconds."""
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await job(n)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    return time.perf_counter() - started


async def create(client: httpx.AsyncClient, relay: str) -> tuple[dict[str, str], str, HostKey]:
    key, state = HostKey(), secrets.token_urlsafe(32)
    response = await client.post(
        f"{relay}/v1/pairings",
        json={
            "authorize_url": authorize_url(state),
            "mode": "redirect",
            "public_key": key.public_key,
            "host": {"hostname": "bench-host", "user": "bench", "client": "awslogin/0.1.0"},
        },
    )
    response.raise_for_status()
    return response.json(), state, key


async def measure(name: str, a: str, b: str, pairings: int, logins: int, concurrency: int) -> Row:
    limits = httpx.Limits(max_connections=2 * concurrency + 10)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        create_times: list[float] = []

        async def create_one(_: int) -> None:
            started = time.perf_counter()
            await create(client, a)
            create_times.append(time.perf_counter() - started)

        create_elapsed = await bounded(pairings, concurrency, create_one)
        wakes: list[float] = []

        async def login(n: int) -> None:
            created, state, key = await create(client, a)
            headers = {"Authorization": f"Bearer {created['poll_token']}"}
            poll = asyncio.create_task(
                client.get(
                    f"{b}/v1/pairings/{created['pairing_id']}/result",
                    params={"wait": 20},
                    headers=headers,
                )
            )
            await asyncio.sleep(0.05)  # the long-poll is waiting
            # the person's browser presses "this is my terminal"; the relay's public URL
            # is https, so the Secure cookie goes back by hand over this plain-http hop
            confirmed = await client.post(f"{a}/p/{created['pairing_id']}/confirm")
            assert confirmed.status_code == 303, confirmed.status_code
            cookie = confirmed.headers["set-cookie"].split(";", 1)[0]
            started = time.perf_counter()
            answer = await client.get(
                f"{a}/callback",
                params={"code": f"c{n}", "state": state},
                headers={"cookie": cookie},
            )
            assert answer.status_code == 303, answer.status_code
            body = (await poll).json()
            wakes.append(time.perf_counter() - started)
            assert body["status"] == "complete", body
            key.open(body["sealed"], created["pairing_id"])

        login_elapsed = await bounded(logins, concurrency, login)
    return Row(
        name,
        pairings / create_elapsed,
        pct(create_times, 0.5),
        pct(create_times, 0.95),
        logins / login_elapsed,
        pct(wakes, 0.5),
        pct(wakes, 0.95),
        max(wakes) * 1000,
    )


async def redis_memory_per_pending(url: str, relay: str, count: int) -> tuple[float, int]:
    """(growth of Redis memory per pairing, MEMORY USAGE of one pairing's keys).

    The growth leaves out client connection buffers (`mem_clients_normal`), and the
    relay's connections are opened by a warm-up before the first reading.
    """
    redis = Redis.from_url(url)

    async def dataset_bytes() -> int:
        info = await redis.info("memory")
        return int(info["used_memory"]) - int(info["mem_clients_normal"])

    try:
        async with httpx.AsyncClient(timeout=30) as client:
            last: dict[str, str] = {}
            state = ""

            async def one(_: int) -> None:
                nonlocal last, state
                last, state, _key = await create(client, relay)

            await bounded(100, 20, one)
            await redis.flushall()
            before = await dataset_bytes()
            await bounded(count, 20, one)
            after = await dataset_bytes()
        code = last["user_code"].replace("-", "")
        usage = [
            await redis.memory_usage(f"awl:p:{last['pairing_id']}") or 0,
            await redis.memory_usage(f"awl:c:{code}") or 0,
            await redis.memory_usage(f"awl:s:{state}") or 0,
            (await redis.memory_usage("awl:pend") or 0) // max(1, await redis.zcard("awl:pend")),
        ]
        return (after - before) / count, sum(usage)
    finally:
        await redis.aclose()


def relay(env: dict[str, str]) -> RelayServer:
    server = RelayServer(
        {**LIMITS, "RELAY_PUBLIC_URL": PUBLIC_URL, "RELAY_ALLOWED_ORIGINS": IDP, **env}
    )
    server.start()
    return server


async def run(args: argparse.Namespace) -> None:
    rows: list[Row] = []
    with RedisServer() as redis:
        memory = relay({"RELAY_STORE": "memory"})
        try:
            rows.append(
                await measure(
                    "memory", memory.url, memory.url, args.pairings, args.logins, args.concurrency
                )
            )
        finally:
            memory.stop()
        a = relay({"RELAY_STORE": redis.url})
        b = relay({"RELAY_STORE": redis.url})
        try:
            rows.append(
                await measure("redis", a.url, a.url, args.pairings, args.logins, args.concurrency)
            )
            rows.append(
                await measure(
                    "redis x2", a.url, b.url, args.pairings, args.logins, args.concurrency
                )
            )
            growth, usage = await redis_memory_per_pending(redis.url, a.url, args.memory_pairings)
        finally:
            a.stop()
            b.stop()
    print(
        f"relay benchmark: {args.pairings} creates, {args.logins} logins "
        f"(create, long-poll, confirm, callback, delivery), "
        f"concurrency {args.concurrency}, 127.0.0.1"
    )
    header = (
        f"{'store':<10}{'creates/s':>10}{'create p50':>12}{'create p95':>12}"
        f"{'logins/s':>10}{'wake p50':>10}{'wake p95':>10}{'wake max':>10}"
    )
    print(header)
    for row in rows:
        print(
            f"{row.name:<10}{row.creates_per_s:>10.0f}{row.create_p50_ms:>10.1f}ms"
            f"{row.create_p95_ms:>10.1f}ms{row.logins_per_s:>10.0f}{row.wake_p50_ms:>8.1f}ms"
            f"{row.wake_p95_ms:>8.1f}ms{row.wake_max_ms:>8.1f}ms"
        )
    print("wake = from sending the callback until the waiting host has its sealed result")
    print(
        f"redis memory per pending pairing: {growth:.0f} B (used_memory growth without client "
        f"buffers, {args.memory_pairings} pairings), "
        f"{usage} B (MEMORY USAGE of its keys); target 1024 B"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairings", type=int, default=400, help="creates per store")
    parser.add_argument("--logins", type=int, default=200, help="whole logins per store")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--memory-pairings", type=int, default=2000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
