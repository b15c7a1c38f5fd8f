"""Slow-header clients ("slowloris") as a peer: many connections that never finish a head.

Run as its own process (`python -m tests.peers.slow_clients`), so that its event loop
does not compete with the test's browser or host. It keeps `count` connections to the
target, each sending one more header line every `interval` seconds and never the blank
line that ends a head; a connection the server closes is opened again after a short
pause. Every half second it writes what it holds to a JSON status file. It is bounded:
it stops by itself after `duration` seconds, and on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.peers._process import LOOPBACK, PeerProcess, ProcessPeer, scratch_dir

REOPEN_PAUSE = 0.2


@dataclass
class SlowStatus:
    """What the clients hold right now, and what happened so far."""

    held: int = 0  # connections open now (connected, head unfinished)
    opened: int = 0  # connections made since the start
    closed_by_server: int = 0  # connections the server closed or reset
    refused: int = 0  # connection attempts that failed
    # How the server's closes came: a 408 answer (the header timeout), or a close or a
    # reset with no answer (the connection cap making room for a newcomer).
    timed_out: int = 0
    dropped: int = 0


async def _one(port: int, interval: float, status: SlowStatus, index: int) -> None:
    while True:
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError:
            status.refused += 1
            await asyncio.sleep(REOPEN_PAUSE)
            continue
        status.opened += 1
        status.held += 1
        answer = b""
        try:
            writer.write(f"GET /p/slow{index} HTTP/1.1\r\nHost: {LOOPBACK}\r\n".encode())
            line = 0
            while True:
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    # anything from the server (a 408, or the end) means it gave up on us
                    answer = await asyncio.wait_for(reader.read(1024), interval)
                    break
                line += 1
                writer.write(f"X-Slow-{line}: {'a' * 16}\r\n".encode())
        except OSError:
            pass
        finally:  # also when cancelled at the end, which is not the server's doing
            status.held -= 1
            writer.close()
        status.closed_by_server += 1
        if answer.startswith(b"HTTP/1.1 408 "):
            status.timed_out += 1
        else:
            status.dropped += 1
        await asyncio.sleep(REOPEN_PAUSE)


async def _run(port: int, count: int, interval: float, duration: float, out: Path) -> None:
    status = SlowStatus()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    clients = [asyncio.create_task(_one(port, interval, status, i)) for i in range(count)]
    deadline = time.monotonic() + duration
    while not stop.is_set() and time.monotonic() < deadline:
        out.with_suffix(".tmp").write_text(json.dumps(asdict(status)))
        out.with_suffix(".tmp").replace(out)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    for client in clients:
        client.cancel()
    await asyncio.gather(*clients, return_exceptions=True)


class SlowClients(ProcessPeer):
    """`count` slow-header connections to 127.0.0.1:`port`; ready once all have connected."""

    missing = "python"

    def __init__(
        self, port: int, *, count: int = 500, interval: float = 1.0, duration: float = 180.0
    ) -> None:
        self.count = count
        directory = scratch_dir("peer-slow-clients-")
        self.status_path = directory / "status.json"
        argv = [sys.executable, "-m", "tests.peers.slow_clients", str(port), str(count)]
        argv += ["--interval", str(interval), "--duration", str(duration)]
        argv += ["--status", str(self.status_path)]
        self._process = PeerProcess(
            "slow-clients",
            argv,
            ready=lambda: self.status().opened >= count,
            cwd=Path(__file__).resolve().parents[2],
            log_dir=directory,
        )

    def status(self) -> SlowStatus:
        try:
            return SlowStatus(**json.loads(self.status_path.read_text()))
        except (OSError, ValueError):
            return SlowStatus()


def main() -> None:
    parser = argparse.ArgumentParser(description="hold slow-header connections to a server")
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--status", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(_run(args.port, args.count, args.interval, args.duration, args.status))


if __name__ == "__main__":
    main()
