"""A fault-injecting TCP proxy between the host (and the phone) and the relay.

It forwards bytes both ways on 127.0.0.1 and, when told to, does what real networks do
to a long-poll: resets it while it waits, cuts the answer that carries the sealed result
after the relay sent it, or makes the relay unreachable for a while (nothing listens on
its port, every open connection is reset). It watches HTTP/1.1 only as far as it needs
to: a request line `GET /v1/pairings/<id>/result` starts a long-poll on its connection,
and an answer with `"status":"complete"` is a result.

Faults are given as a count ("the next one") or a probability (the benchmark's "20% of
long-polls"), and counted as they happen. The proxy runs its own event loop in a thread,
so a test drives it with plain method calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import socket
import struct
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Self

from tests.peers._process import LOOPBACK, free_port

_POLL = re.compile(rb"^GET /v1/pairings/[^/ ]+/result[? ]")
_REQUEST_LINE = re.compile(rb"^[A-Z]+ /")
_RESULT = b'"status":"complete"'
_CHUNK = 65536


@dataclass
class Fault:
    """Inject into the next `count` occasions, then into each with `probability`."""

    count: int = 0
    probability: float = 0.0

    def fires(self, rng: random.Random) -> bool:
        if self.count > 0:
            self.count -= 1
            return True
        return self.probability > 0 and rng.random() < self.probability


@dataclass
class FaultCounts:
    polls: int = 0  # long-polls that reached the relay through the proxy
    results: int = 0  # answers carrying a sealed result
    resets: int = 0  # long-polls reset while they waited
    cuts: int = 0  # result answers cut after the relay sent them
    refused: int = 0  # connections reset during an outage


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    polling: bool = False  # the request on the way is a long-poll
    answered: bool = False  # the current request got bytes back
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, as a dropped NAT entry or a crashed balancer does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """`url` forwards to `target` (set before the first connection, or any time after)."""

    def __init__(self, *, seed: int = 11, reset_after: float = 0.5) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.target: tuple[str, int] | None = None
        self.reset_polls = Fault()
        self.cut_results = Fault()
        self.reset_after = reset_after  # seconds a long-poll waits before its reset
        self.counts = FaultCounts()
        self._rng = random.Random(seed)
        self._connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy")
        self._thread.daemon = True

    # -- control, from the test's thread ------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def start(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self._close(reset=True))
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def go_down(self) -> None:
        """The relay becomes unreachable: connections are refused, open ones reset."""
        self._call(self._close(reset=True))

    def come_back(self) -> None:
        self._call(self._listen())

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the proxy, in its own loop ------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, LOOPBACK, self.port, reuse_address=True
            )

    async def _close(self, *, reset: bool) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in list(self._connections):
            if reset:
                self.counts.refused += 1
            self._drop(connection)
        if server is not None:
            await server.wait_closed()

    def _drop(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        _reset(connection.client)
        if connection.upstream is not None:
            connection.upstream.transport.abort()
        for task in connection.tasks:
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.target is not None, "FaultProxy.target is not set"
        connection = _Connection(client=writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)  # the relay itself is down (a restart): as real proxies do
            return
        connection.upstream = up_writer
        self._connections.add(connection)
        connection.tasks = [
            asyncio.ensure_future(self._requests(connection, reader, up_writer)),
            asyncio.ensure_future(self._answers(connection, up_reader, writer)),
        ]
        await asyncio.gather(*connection.tasks, return_exceptions=True)
        self._connections.discard(connection)
        for end in (writer, up_writer):
            end.transport.abort()

    async def _requests(
        self, connection: _Connection, reader: asyncio.StreamReader, upstream: asyncio.StreamWriter
    ) -> None:
        while data := await reader.read(_CHUNK):
            if _REQUEST_LINE.match(data):
                connection.answered = False
                connection.polling = bool(_POLL.match(data))
                if connection.polling:
                    self.counts.polls += 1
                    if self.reset_polls.fires(self._rng):
                        self._loop.call_later(self.reset_after, self._reset_poll, connection)
            upstream.write(data)
            await upstream.drain()
        upstream.write_eof()

    def _reset_poll(self, connection: _Connection) -> None:
        if connection in self._connections and connection.polling and not connection.answered:
            self.counts.resets += 1
            self._drop(connection)

    async def _answers(
        self, connection: _Connection, upstream: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        while data := await upstream.read(_CHUNK):
            if connection.polling and _RESULT in data.replace(b" ", b""):
                self.counts.results += 1
                if self.cut_results.fires(self._rng):
                    # The relay has sent it; the host gets nothing of it.
                    self.counts.cuts += 1
                    self._drop(connection)
                    return
            connection.answered = True
            client.write(data)
            await client.drain()
        client.write_eof()
