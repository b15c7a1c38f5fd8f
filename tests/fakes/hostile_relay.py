"""A relay that speaks protocol v1 and misbehaves on purpose, for the host's tests.

It answers discovery, creation, the long-poll, cancel, ack and outcome with the shapes
of protocol v1, except where its script says otherwise: an answer dripped one byte at a
time, numbers that are not numbers, escape sequences in the fields the host shows,
megabytes where a few bytes belong, a link to another site. Raw asyncio on 127.0.0.1 in
a thread of its own, so that it can send exactly the bytes a hostile relay would (no
framework in the way), and record what the host did (did it cancel?).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Self

from tests.peers._process import LOOPBACK, free_port

# What a route answers: the body (bytes, or a JSON-able value), with its status.
Body = bytes | dict[str, Any] | list[Any]


@dataclass
class Script:
    """How the relay misbehaves; each field replaces a sane answer of protocol v1."""

    discovery: Body | None = None
    pairing: dict[str, Any] = field(default_factory=dict)  # fields of the creation answer
    pairing_body: bytes | None = None  # the whole creation answer, raw
    poll: Body | None = None  # default: {"status": "pending"} after a short wait
    poll_status: int = 200
    drip_every: float | None = None  # seconds between the bytes of every poll answer
    poll_wait: float = 0.5  # how long a pending long-poll waits before it answers


@dataclass
class Seen:
    polls: int = 0
    cancelled: int = 0
    acked: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)


class HostileRelay:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.seen = Seen()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-relay")
        self._thread.daemon = True
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, self.port)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients):
            writer.transport.abort()

    def __enter__(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    # -- the sane answers, and the script's ---------------------------------------------

    def discovery(self) -> Body:
        if self.script.discovery is not None:
            return self.script.discovery
        return {
            "version": 1,
            "callback_uri": f"{self.url}/callback",
            "verification_uri": f"{self.url}/link",
            "allowed_authorize_origins": [],
            "max_wait": 25,
            "interval": 0,
        }

    def pairing(self) -> Body:
        if self.script.pairing_body is not None:
            return self.script.pairing_body
        return {
            "pairing_id": "P1",
            "user_code": "BDKM-TRWX",
            "verification_uri": f"{self.url}/link",
            "verification_uri_complete": f"{self.url}/p/P1",
            "poll_token": "poll-token",
            "expires_in": 600,
            "interval": 0,
            **self.script.pairing,
        }

    async def _route(self, method: str, path: str, body: bytes) -> tuple[int, Body]:
        if method == "GET" and path == "/.well-known/awslogin-relay":
            return 200, self.discovery()
        if method == "POST" and path == "/v1/pairings":
            return 201, self.pairing()
        if method == "GET" and path.startswith("/v1/pairings/P1/result"):
            self.seen.polls += 1
            if self.script.poll is None:
                await asyncio.sleep(self.script.poll_wait)
                return 200, {"status": "pending"}
            return self.script.poll_status, self.script.poll
        if method == "DELETE" and path == "/v1/pairings/P1":
            self.seen.cancelled += 1
            return 204, b""
        if method == "POST" and path == "/v1/pairings/P1/ack":
            self.seen.acked += 1
            return 204, b""
        if method == "POST" and path == "/v1/pairings/P1/outcome":
            self.seen.reports.append(json.loads(body))
            return 204, b""
        return 404, {"error": "not_found"}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
                length = int(
                    next((v for k, v in headers.items() if k.lower() == "content-length"), "0")
                )
                body = await reader.readexactly(length) if length else b""
                status, answer = await self._route(method, target, body)
                await self._answer(writer, status, answer, drip="/result" in target)
        self._clients.discard(writer)
        writer.close()

    async def _answer(
        self, writer: asyncio.StreamWriter, status: int, answer: Body, *, drip: bool
    ) -> None:
        content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(content)}\r\n"
        data = f"{head}Content-Type: application/json\r\n\r\n".encode() + content
        every = self.script.drip_every
        if every is not None and drip:
            for byte in data:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(every)
        else:
            writer.write(data)
            await writer.drain()
