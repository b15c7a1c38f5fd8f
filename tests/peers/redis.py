"""Debian's redis-server on loopback, with nothing written to disk.

The port is chosen once, so `url` stays valid across `stop()` and `start()`: tests
stop the server to check how the relay behaves without its store, then start it
again (empty, since persistence is off).
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable

from tests.peers._process import (
    LOOPBACK,
    PeerError,
    PeerProcess,
    ProcessPeer,
    free_port,
    scratch_dir,
)

REDIS_SERVER = "redis-server"


def available() -> bool:
    """The redis-server binary is on PATH (Debian package redis-server)."""
    return shutil.which(REDIS_SERVER) is not None


def _command(port: int, command: bytes) -> bytes:
    """Send one inline command, return the first reply line (for probes and flushes)."""
    with socket.create_connection((LOOPBACK, port), timeout=1.0) as sock:
        sock.sendall(command + b"\r\n")
        return sock.recv(64).split(b"\r\n", 1)[0]


def _answers_ping(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            return _command(port, b"PING") == b"+PONG"
        except OSError:
            return False

    return probe


class RedisServer(ProcessPeer):
    """One redis-server process on 127.0.0.1; no RDB, no AOF, a private temp dir."""

    missing = "redis-server is not installed"
    installed = staticmethod(available)

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self.directory = scratch_dir("peer-redis-")
        self._process = PeerProcess(
            "redis",
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
            ],
            ready=_answers_ping(self.port),
            log_dir=self.directory,
        )

    def subscribers(self, channel: str) -> int:
        """How many connections are subscribed to `channel` (PUBSUB NUMSUB): tests wait
        on this until a store listens, instead of sleeping."""
        with socket.create_connection((LOOPBACK, self.port), timeout=1.0) as sock:
            sock.sendall(f"PUBSUB NUMSUB {channel}\r\n".encode())
            reply = b""
            while not reply.endswith(b"\r\n") or reply.count(b"\r\n") < 4:
                chunk = sock.recv(256)
                if not chunk:
                    break
                reply += chunk
        # *2 $<n> <channel> :<count>
        return int(reply.split(b"\r\n")[3].removeprefix(b":"))

    def flush(self) -> None:
        """Empty every database, so that tests sharing the server start clean."""
        reply = _command(self.port, b"FLUSHALL")
        if reply != b"+OK":
            raise PeerError(f"redis FLUSHALL answered {reply!r}")
