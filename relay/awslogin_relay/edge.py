"""The relay's HTTP/1.1 connections: bounded heads, read deadlines and a connection cap.

uvicorn's httptools protocol parses requests fast (the relay's benchmark figures rest on
it) but lets a client hold a connection for ever and send a head of any size: a 1 MB
header was answered 200, a half-sent request was never closed, and idle connections
past the open-file limit made /healthz fail. `EdgeProtocol` adds what an edge server
needs, around uvicorn's own request handling (see deploy/README.md, "Slow and fat
requests"):

* a head limit: a request line and headers larger than RELAY_MAX_HEADER get 431 and
  the connection is closed, counted as the bytes arrive, so a head is never buffered
  past the limit (plus one socket read);
* read deadlines: a new connection must deliver a whole head within
  RELAY_HEADER_TIMEOUT, and a body must arrive in full within RELAY_BODY_TIMEOUT of
  its head; otherwise 408 (or a plain close when nothing was sent) ends it. Between
  requests, uvicorn's keep-alive timeout (RELAY_KEEPALIVE_TIMEOUT) applies, and the
  first byte of the next request starts a new head deadline, so a trickle of blank
  lines cannot keep a connection either;
* a connection cap below the open-file limit (`ConnectionGuard`): at the cap, a new
  connection takes the place of the one that has waited longest for a request head,
  first among connections that never completed a request (slow or silent clients),
  then among idle keep-alive ones. Connections whose request is being answered, such
  as waiting long-polls, are never closed for room; when every connection is one of
  those, the newcomer is closed instead.

The class is named by its import path in uvicorn's `http` setting, so worker
processes build it too; each process has its own guard.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any, Protocol

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from awslogin_protocol.messages import ErrorBody

IMPORT_PATH = "awslogin_relay.edge:EdgeProtocol"
# How long a refused or timed-out connection is still read (and ignored) after its answer.
LINGER_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """What one connection may cost; from RELAY_MAX_HEADER and the *_TIMEOUT settings."""

    max_head: int = 16384
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_connections: int = 10000


class _Phase(enum.Enum):
    HEAD = "head"  # waiting for (the rest of) a request line and headers
    BODY = "body"  # the head is in, its body is still arriving
    ANSWERING = "answering"  # the request is complete, the app is answering it
    IDLE = "idle"  # keep-alive, between requests (uvicorn's timer runs)
    CLOSED = "closed"  # refused, timed out or evicted: nothing more is parsed


class Evictable(Protocol):
    def evict(self) -> None:
        """Close at once: the guard has already counted this connection out."""


class ConnectionGuard:
    """Counts this process's connections and picks which one gives way at the cap.

    Only connections waiting for a head are candidates, in two queues ordered by when
    they started waiting: `fresh` (no request completed yet) before `idle`.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self._fresh: dict[Evictable, None] = {}
        self._idle: dict[Evictable, None] = {}

    def admit(self, newcomer: Evictable) -> bool:
        """Count `newcomer` in, making room if needed; False if every connection is busy."""
        if self.open >= self.limit:
            waiting = self._fresh or self._idle
            if not waiting:
                return False
            victim = next(iter(waiting))
            self.release(victim)
            victim.evict()
        self.open += 1
        return True

    def waiting(self, connection: Evictable, *, served: bool) -> None:
        """`connection` now waits for a head; it joins the end of its queue."""
        self.busy(connection)
        (self._idle if served else self._fresh)[connection] = None

    def busy(self, connection: Evictable) -> None:
        self._fresh.pop(connection, None)
        self._idle.pop(connection, None)

    def release(self, connection: Evictable) -> None:
        self.busy(connection)
        self.open -= 1


_guard: ConnectionGuard | None = None
_limits = EdgeLimits()


def configure(limits: EdgeLimits) -> None:
    """Set this process's limits; called before the server starts (and in each worker)."""
    global _guard, _limits
    _limits = limits
    _guard = ConnectionGuard(limits.max_connections)


def guard() -> ConnectionGuard:
    global _guard
    if _guard is None:
        _guard = ConnectionGuard(_limits.max_connections)
    return _guard


def _error(status: int, reason: str, error: str, description: str) -> bytes:
    """A complete response that closes the connection, in the relay's JSON error format
    (docs/protocol.md, "Errors")."""
    body = ErrorBody(error=error, error_description=description).model_dump_json().encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "cache-control: no-store\r\n"
        "x-content-type-options: nosniff\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above (one instance per connection)."""

    # Slots keep uvicorn's per-connection __dict__ at its own size: with 10,000 waiting
    # long-polls, eight more keys in it cost 12 MB (bench/relay_bench.py, phase 1).
    __slots__ = (
        "_admitted",
        "_deadline",
        "_guard",
        "_head_bytes",
        "_head_measure",
        "_limits",
        "_phase",
        "_served",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = _limits
        self._guard = guard()
        self._phase = _Phase.HEAD
        self._admitted = False
        self._served = False  # a request on this connection has been answered
        self._head_bytes = 0  # bytes of the reads that began inside the current head
        self._head_measure = False  # the head began inside a read: measure it when parsed
        self._deadline: asyncio.TimerHandle | None = None

    # -- connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if not self._guard.admit(self):
            self._phase = _Phase.CLOSED
            transport.abort()
            return
        self._admitted = True
        super().connection_made(transport)
        self._start_head()
        self._set_deadline(self._limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        self._phase = _Phase.CLOSED
        if self._admitted:
            self._admitted = False
            self._guard.release(self)
        if self.transport is not None:  # None: refused before uvicorn saw it
            super().connection_lost(exc)

    def evict(self) -> None:
        """Give this connection's place to a newcomer (the guard already counted it out)."""
        self._admitted = False
        self._close(None)

    # -- bytes in --------------------------------------------------------------------
    # Deadlines are armed after a read, only when it left a head or a body unfinished:
    # a request that arrives in one read (nearly all) costs no timer.

    def data_received(self, data: bytes) -> None:
        if self._phase is _Phase.CLOSED:
            return
        if self._phase is _Phase.IDLE:
            self._start_head()
        if self._phase is _Phase.HEAD:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._phase is _Phase.HEAD:
            # still inside the head this read began in: every byte counted was head
            if self._head_bytes > self._limits.max_head:
                self._head_too_large()
            elif self._deadline is None:
                self._set_deadline(self._limits.header_timeout, self._head_timed_out)
        elif self._phase is _Phase.BODY and self._deadline is None:
            self._set_deadline(self._limits.body_timeout, self._body_timed_out)

    def on_message_begin(self) -> None:
        if self._phase is _Phase.CLOSED:
            return
        if self._phase is not _Phase.HEAD:  # a pipelined request, begun inside a read
            self._start_head()
            self._head_measure = True  # its bytes in this read were not counted
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        if self._phase is _Phase.CLOSED:
            return
        if (self._head_bytes > self._limits.max_head or self._head_measure) and (
            self._head_size() > self._limits.max_head
        ):
            self._head_too_large()
            return
        self._phase = _Phase.BODY
        self._cancel_deadline()
        self._guard.busy(self)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._phase is not _Phase.CLOSED:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._phase is _Phase.CLOSED:
            return
        self._cancel_deadline()
        super().on_message_complete()
        if self.cycle.response_complete:  # answered before its body was read
            self._become_idle()
        else:
            self._phase = _Phase.ANSWERING

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._served = True
        # uvicorn armed its keep-alive timer: nothing else is queued on this connection
        if self._phase is _Phase.ANSWERING and self.timeout_keep_alive_task is not None:
            self._become_idle()

    # -- states ----------------------------------------------------------------------

    def _start_head(self) -> None:
        self._phase = _Phase.HEAD
        self._head_bytes = 0
        self._head_measure = False
        self._cancel_deadline()
        self._guard.waiting(self, served=self._served)

    def _become_idle(self) -> None:
        self._phase = _Phase.IDLE
        self._cancel_deadline()
        self._guard.waiting(self, served=True)

    def _head_size(self) -> int:
        """The request target and headers as parsed (the request line's method and
        version, a few bytes, are left out)."""
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    # -- endings ---------------------------------------------------------------------

    def _head_too_large(self) -> None:
        limit = self._limits.max_head
        self._close(
            _error(
                431,
                "Request Header Fields Too Large",
                "request_too_large",
                f"the request line and headers exceed {limit} bytes",
            )
        )

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self._head_bytes == 0:
            self._close(None)  # a connection that never spoke just goes
        else:
            self._close(_timeout_response("the request headers"))

    def _body_timed_out(self) -> None:
        self._deadline = None
        started = self.cycle is not None and self.cycle.response_started
        self._close(None if started else _timeout_response("the request body"))

    def _close(self, response: bytes | None) -> None:
        self._phase = _Phase.CLOSED
        self._cancel_deadline()
        self._guard.busy(self)
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if response is None:
            transport.abort()
            return
        # A lingering close: the answer, then our side shuts, and what the client still
        # sends is read and dropped for a moment. Closing at once with its bytes unread
        # would reset the connection, and the client might never see the answer.
        transport.write(response)
        if transport.can_write_eof():
            transport.write_eof()
            self._deadline = self.loop.call_later(LINGER_SECONDS, transport.abort)
        else:
            transport.close()

    # -- the one timer ---------------------------------------------------------------

    def _set_deadline(self, seconds: float, callback: Any) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(seconds, callback)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def _timeout_response(what: str) -> bytes:
    return _error(408, "Request Timeout", "request_timeout", f"{what} did not arrive in time")
