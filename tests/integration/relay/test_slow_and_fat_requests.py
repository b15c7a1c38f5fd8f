"""Fat heads, slow heads and bodies, idle connections: a real `awslogin-relay` process
spoken to over raw sockets, since an HTTP library would neither send half a request nor
a 20 MB header (deploy/README.md, "Slow and fat requests")."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.peers.ci import require_peer
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayFactory, RelayServer
from tests.support.pairing_client import IDP, create

pytestmark = pytest.mark.integration

HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def open_files(pid: int) -> tuple[int, int]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no open-file limit")


@pytest.fixture
def quick_timeout_relay_process(relay_process: RelayFactory) -> RelayServer:
    return relay_process(
        RELAY_ALLOWED_ORIGINS=IDP,
        RELAY_HEADER_TIMEOUT="1",
        RELAY_BODY_TIMEOUT="1",
        RELAY_KEEPALIVE_TIMEOUT="1",
    )


async def connect(relay: RelayServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", relay.port)


async def answer_and_seconds(
    reader: asyncio.StreamReader, started: float, limit: float = 10.0
) -> tuple[bytes, float]:
    """Everything the relay sends until it closes, and when it closed."""
    try:
        data = await asyncio.wait_for(reader.read(), limit)
    except ConnectionResetError:
        data = b"(reset)"
    return data, time.monotonic() - started


async def test_a_1_mb_header_gets_431_in_json_and_the_connection_closes(
    quick_timeout_relay_process: RelayServer,
) -> None:
    reader, writer = await connect(quick_timeout_relay_process)
    writer.write(HEAD + b"X-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
    await writer.drain()
    data, _ = await answer_and_seconds(reader, time.monotonic())
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), data[:200]
    assert b"content-type: application/json" in head
    assert json.loads(body)["error"] == "request_too_large"


async def test_a_head_just_under_16_kib_is_served_and_just_over_is_refused(
    quick_timeout_relay_process: RelayServer,
) -> None:
    async def status(header_size: int) -> bytes:
        reader, writer = await connect(quick_timeout_relay_process)
        writer.write(HEAD + b"X-Pad: " + b"a" * header_size + b"\r\nConnection: close\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        return line

    assert (await status(15_000)).startswith(b"HTTP/1.1 200 ")
    assert (await status(17_000)).startswith(b"HTTP/1.1 431 ")


async def test_unfinished_20_mb_heads_leave_memory_bounded(
    quick_timeout_relay_process: RelayServer,
) -> None:
    assert quick_timeout_relay_process.pid is not None
    before = rss_mb(quick_timeout_relay_process.pid)

    async def fat() -> bytes:
        reader, writer = await connect(quick_timeout_relay_process)
        writer.write(HEAD + b"X-Big: ")
        try:
            for _ in range(20 * 16):  # 20 MB, never ended by a blank line
                writer.write(b"a" * 65536)
                await writer.drain()
            data, _ = await answer_and_seconds(reader, time.monotonic())
        except ConnectionResetError:
            data = b"(reset)"
        finally:
            writer.close()
        return data

    answers = await asyncio.gather(*(fat() for _ in range(3)))
    grown = rss_mb(quick_timeout_relay_process.pid) - before
    for data in answers:
        assert data.startswith(b"HTTP/1.1 431 ") or data in (b"", b"(reset)"), data[:100]
    assert grown < 10, f"the relay grew by {grown:.1f} MB"
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{quick_timeout_relay_process.url}/healthz")).status_code == 200


async def test_a_half_sent_head_gets_408_after_the_header_timeout(
    quick_timeout_relay_process: RelayServer,
) -> None:
    reader, writer = await connect(quick_timeout_relay_process)
    started = time.monotonic()
    writer.write(HEAD)  # no blank line: the head never ends
    data, seconds = await answer_and_seconds(reader, started)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data[:100]
    assert 0.8 < seconds < 3, seconds


async def test_a_silent_connection_and_a_trickle_of_blank_lines_are_closed(
    quick_timeout_relay_process: RelayServer,
) -> None:
    silent_reader, silent = await connect(quick_timeout_relay_process)
    trickle_reader, trickle = await connect(quick_timeout_relay_process)
    started = time.monotonic()

    async def keep_trickling() -> None:
        for _ in range(30):
            await asyncio.sleep(0.2)
            trickle.write(b"\r\n")
            await trickle.drain()

    trickling = asyncio.create_task(keep_trickling())
    (quiet, quiet_seconds), (_, trickle_seconds) = await asyncio.gather(
        answer_and_seconds(silent_reader, started), answer_and_seconds(trickle_reader, started)
    )
    trickling.cancel()
    silent.close()
    trickle.close()
    assert quiet in (b"", b"(reset)")  # nothing was asked, nothing is answered
    assert 0.8 < quiet_seconds < 3
    assert trickle_seconds < 3


async def test_a_half_sent_body_gets_408_after_the_body_timeout(
    quick_timeout_relay_process: RelayServer,
) -> None:
    reader, writer = await connect(quick_timeout_relay_process)
    writer.write(
        b"POST /v1/pairings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 200\r\n\r\n{"mode": "redirect"'
    )
    started = time.monotonic()
    data, seconds = await answer_and_seconds(reader, started)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data[:100]
    assert 0.8 < seconds < 3, seconds
    assert "Traceback" not in quick_timeout_relay_process.log_path.read_text()


async def test_an_idle_keep_alive_connection_closes_after_its_timeout(
    quick_timeout_relay_process: RelayServer,
) -> None:
    reader, writer = await connect(quick_timeout_relay_process)
    writer.write(HEAD + b"\r\n")
    await writer.drain()
    started = time.monotonic()
    data, seconds = await answer_and_seconds(reader, started)
    writer.close()
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert 0.8 < seconds < 3, seconds


async def test_a_waiting_long_poll_outlives_the_read_timeouts(
    quick_timeout_relay_process: RelayServer,
) -> None:
    """A request being answered is not a slow client: only reads have deadlines."""
    async with httpx.AsyncClient(timeout=15) as client:
        host = await create(
            client, quick_timeout_relay_process.url, quick_timeout_relay_process.url
        )
        started = time.monotonic()
        poll = await host.poll(client, quick_timeout_relay_process.url, wait=3)
        assert poll.status_code == 200, poll.text
        assert poll.json() == {"status": "pending"}
        assert time.monotonic() - started > 2.5


def test_the_soft_open_file_limit_is_raised_to_the_hard_one(relay_process: RelayFactory) -> None:
    require_peer(Path("/usr/bin/prlimit").exists(), "prlimit (util-linux)")
    relay = relay_process(open_files=(160, 4096), RELAY_ALLOWED_ORIGINS=IDP)
    assert relay.pid is not None
    assert open_files(relay.pid) == (4096, 4096)
    assert "up to 3584 connections per process (open-file limit 4096)" in (
        relay.log_path.read_text()
    )


def test_every_worker_process_guards_its_connections(
    relay_process: RelayFactory, redis_server: RedisServer
) -> None:
    """With RELAY_WORKERS, each uvicorn worker builds the edge protocol with the settings."""
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=IDP,
        RELAY_STORE=redis_server.url,
        RELAY_WORKERS="2",
        RELAY_MAX_HEADER="2048",
        RELAY_HEADER_TIMEOUT="1",
    )

    async def probe() -> tuple[bytes, bytes]:
        reader, writer = await connect(relay)
        writer.write(HEAD + b"X-Pad: " + b"a" * 3000 + b"\r\n\r\n")
        await writer.drain()
        refused, _ = await answer_and_seconds(reader, time.monotonic())
        writer.close()
        reader, writer = await connect(relay)
        writer.write(HEAD)
        late, _ = await answer_and_seconds(reader, time.monotonic())
        writer.close()
        return refused, late

    for _ in range(4):  # connections land on either worker
        refused, late = asyncio.run(probe())
        assert refused.startswith(b"HTTP/1.1 431 "), refused[:100]
        assert late.startswith(b"HTTP/1.1 408 "), late[:100]
    assert "Traceback" not in relay.log_path.read_text()
