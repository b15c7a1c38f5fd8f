"""Clients that create pairings as fast as they can, each from its own 127.0.0.x address.

Run as its own process (`python -m tests.peers.create_flood`), so that its event loop
does not compete with the test's browser or host. Each attacking address (127.0.0.2,
127.0.0.3, ...: all of 127.0.0.0/8 is loopback, so no setup is needed) binds its
sockets to that source address and keeps `connections` keep-alive connections busy
with valid `POST /v1/pairings` requests, one after the other, never waiting: the relay
sees that many distinct clients at full speed. Requests are written by hand on raw
streams, so the attacker spends its CPU on sending, not on an HTTP library.

Every half second it writes what happened so far to a JSON status file: answers by
status code, the pairings each address got, and the request rate. It stops by itself
after `duration` seconds, and on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from tests.peers._process import LOOPBACK, PeerProcess, ProcessPeer, scratch_dir

RECONNECT_PAUSE = 0.05


@dataclass
class FloodStatus:
    """What the attackers got so far."""

    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # "201": n, "429": n, ...
    created_by_address: dict[str, int] = field(default_factory=dict)
    errors: int = 0  # connections that failed or were closed under a request
    seconds: float = 0.0

    @property
    def created(self) -> int:
        return sum(self.created_by_address.values())

    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def attacking_addresses(count: int) -> list[str]:
    """127.0.0.2 ... 127.0.0.(count + 1): 127.0.0.1 stays the legitimate client's."""
    if not 1 <= count <= 250:
        raise ValueError("between 1 and 250 attacking addresses")
    return [f"127.0.0.{n}" for n in range(2, count + 2)]


def _request(port: int, idp: str, public_key: str) -> bytes:
    relay = f"http://{LOOPBACK}:{port}"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(secrets.token_bytes(16)).digest())
    params = {
        "response_type": "code",
        "client_id": "attacker",
        "redirect_uri": f"{relay}/callback",
        "scope": "openid",
        "state": secrets.token_urlsafe(24),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    body = json.dumps(
        {
            "authorize_url": f"{idp}/authorize?{urlencode(params)}",
            "mode": "redirect",
            "public_key": public_key,
            "host": {"hostname": "attacker", "user": "mallory", "client": "flood/1"},
        }
    ).encode()
    head = (
        f"POST /v1/pairings HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> str:
    """The status code of one answer, after reading its whole body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode()
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _connection(
    address: str, port: int, idp: str, public_key: str, status: FloodStatus
) -> None:
    while True:
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, port, local_addr=(address, 0))
        except OSError:
            status.errors += 1
            await asyncio.sleep(RECONNECT_PAUSE)
            continue
        try:
            while True:
                writer.write(_request(port, idp, public_key))
                code = await _read_answer(reader)
                status.requests += 1
                status.statuses[code] = status.statuses.get(code, 0) + 1
                if code == "201":
                    status.created_by_address[address] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            status.errors += 1
        finally:
            writer.close()
        await asyncio.sleep(RECONNECT_PAUSE)


async def _run(args: argparse.Namespace) -> None:
    # A real X25519 public key (the relay checks it), made once: the key is not what
    # the relay limits.
    from awslogin_protocol.sealing import HostKey

    public_key = HostKey().public_key
    addresses = attacking_addresses(args.addresses)
    status = FloodStatus(created_by_address=dict.fromkeys(addresses, 0))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [
        asyncio.create_task(_connection(address, args.port, args.idp, public_key, status))
        for address in addresses
        for _ in range(args.connections)
    ]
    started = time.monotonic()
    deadline = started + args.duration
    out: Path = args.status
    while not stop.is_set() and time.monotonic() < deadline:
        status.seconds = time.monotonic() - started
        snapshot = {
            "requests": status.requests,
            "statuses": status.statuses,
            "created_by_address": status.created_by_address,
            "errors": status.errors,
            "seconds": status.seconds,
        }
        out.with_suffix(".tmp").write_text(json.dumps(snapshot))
        out.with_suffix(".tmp").replace(out)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class CreateFlood(ProcessPeer):
    """`addresses` clients on 127.0.0.2... flooding the relay at 127.0.0.1:`port` with
    pairing creations; ready once the first answers have come back."""

    missing = "python"

    def __init__(
        self,
        port: int,
        *,
        idp: str,
        addresses: int = 50,
        connections: int = 2,
        duration: float = 180.0,
    ) -> None:
        directory = scratch_dir("peer-create-flood-")
        self.status_path = directory / "status.json"
        argv = [sys.executable, "-m", "tests.peers.create_flood", str(port), idp]
        argv += ["--addresses", str(addresses), "--connections", str(connections)]
        argv += ["--duration", str(duration), "--status", str(self.status_path)]
        self._process = PeerProcess(
            "create-flood",
            argv,
            ready=lambda: self.status().requests > 0,
            cwd=Path(__file__).resolve().parents[2],
            log_dir=directory,
        )

    def status(self) -> FloodStatus:
        try:
            data = json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return FloodStatus()
        return FloodStatus(**data)


def summary(status: FloodStatus) -> str:
    """One line for a test's output: rate, answers by status, pairings held."""
    answers = ", ".join(f"{count} x {code}" for code, count in sorted(status.statuses.items()))
    held = Counter(status.created_by_address.values())
    return (
        f"{status.requests} creations in {status.seconds:.1f} s ({status.rate():.0f}/s) "
        f"from {len(status.created_by_address)} addresses: {answers}; "
        f"{status.created} pairings created (per address: {dict(sorted(held.items()))}); "
        f"{status.errors} connection errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="flood a relay with pairing creations")
    parser.add_argument("port", type=int)
    parser.add_argument("idp", help="an origin in the relay's RELAY_ALLOWED_ORIGINS")
    parser.add_argument("--addresses", type=int, default=50)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--status", type=Path, required=True)
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
