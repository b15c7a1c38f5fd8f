"""An HTTP endpoint that speaks the AWS container credentials protocol, for `serve` and `exec`.

What the SDKs do (botocore's ContainerProvider and ContainerMetadataFetcher; the SDKs
reference guide, "Container credential provider"): GET the URL in
AWS_CONTAINER_CREDENTIALS_FULL_URI, sending the value of AWS_CONTAINER_AUTHORIZATION_TOKEN
(or the content of the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names) as the whole
`Authorization` header, and read JSON with AccessKeyId, SecretAccessKey, Token, Expiration
and optionally AccountId. An error may carry `{"code", "message"}`; botocore shows the body
as it is, after three tries a second apart. Over plain http the SDKs fetch only from
loopback addresses and the ECS and EKS link-local addresses, so nothing else is bound.

Hostile local clients (docs/security.md, "`serve` and `exec` at the edge"): a request
must arrive whole within a deadline (slowloris), its head within 16 KiB (h11's limit,
answered 431). Connections are capped below the open-file limit, and at the cap the one
that has waited longest for a request head gives way to the newcomer
(adapters/connection_cap.py), so that idle connections cannot lock out a client with the
token. The token is checked (in constant time) before anything else is looked at, so a
client without it learns nothing beyond a 401, after which its connection is closed.
HTTP parsing is h11's, a well-kept HTTP/1.1 state machine; nothing here prints a header,
a path or a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import h11

from awslogin.adapters.connection_cap import ACCEPT_BATCH, ConnectionCap, connection_limit
from awslogin.errors import AwsloginError, UsageError

URI_VARIABLE = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VARIABLE = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 (a name, not a secret)
# Besides loopback, the hosts the SDKs fetch from over plain http (ECS, EKS Pod Identity).
LINK_LOCAL_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23")

MAX_HEAD_BYTES = 16 * 1024
# A whole request head must arrive within this, and an idle kept-alive connection is
# closed after it; the SDKs send their request at once and time out after 1-2 s.
REQUEST_DEADLINE_SECONDS = 5.0
WRITE_DEADLINE_SECONDS = 5.0
LISTEN_BACKLOG = 4096
_READ_SIZE = 4096


@dataclass(frozen=True)
class Answer:
    """A response and how the audit line describes it (`detail` never holds a secret)."""

    status: int
    body: bytes
    outcome: str
    detail: Mapping[str, str] = field(default_factory=dict)


# Where the endpoint reports each request: (client address, outcome, status, detail).
AuditSink = Callable[[str, str, int, Mapping[str, str | int]], None]


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"code": code, "message": message}).encode("utf-8")


_UNAUTHORIZED = Answer(
    401, error_body("Unauthorized", "missing or wrong authorization token"), "unauthorized"
)
_NOT_FOUND = Answer(404, error_body("NotFound", "no credentials at this path"), "not_found")
_NOT_ALLOWED = Answer(
    405, error_body("MethodNotAllowed", "credentials are read with GET"), "method_not_allowed"
)


def listen_host(address: str) -> str:
    """The address to bind for `--address`, if the SDKs fetch credentials from it."""
    text = address.strip()
    if text.lower() == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(text.removeprefix("[").removesuffix("]"))
    except ValueError:
        raise UsageError(f"--address {address!r} is not an IP address") from None
    if ip.is_loopback or str(ip) in LINK_LOCAL_HOSTS:
        return str(ip)
    raise UsageError(
        f"--address {address}: the AWS SDKs fetch container credentials over plain http only "
        f"from a loopback address or {', '.join(LINK_LOCAL_HOSTS)}; to reach another host, "
        "forward a loopback port with `ssh -R`"
    )


def endpoint_url(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def is_loopback(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


class _Connection:
    """One client connection as the cap sees it: evicting it closes it at once."""

    __slots__ = ("_audit", "client", "evicted", "writer")

    def __init__(self, client: str, writer: asyncio.StreamWriter, audit: AuditSink) -> None:
        self.client = client
        self.writer = writer
        self.evicted = False
        self._audit = audit

    def evict(self) -> None:
        self.evicted = True
        self._audit(self.client, "evicted", 0, {})
        self.writer.transport.abort()  # its reader sees the end: the task closes quietly


class CredentialsEndpoint:
    """Serves `credentials()` at `path` to clients that send `token`; audits every request."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        path: str,
        token: str,
        credentials: Callable[[], Awaitable[Answer]],
        audit: AuditSink,
    ) -> None:
        self.host = host
        self.path = path
        self._requested_port = port
        self._token = token.encode("ascii")
        self._credentials = credentials
        self._audit = audit
        # Bound to loopback, only this host may ask; on the ECS/EKS link-local addresses,
        # containers on bridges come from their own addresses.
        self._loopback_clients_only = is_loopback(host)
        self._server: asyncio.Server | None = None
        self._cap = ConnectionCap(connection_limit())
        self.port = port

    @property
    def url(self) -> str:
        return endpoint_url(self.host, self.port, self.path)

    async def start(self) -> None:
        # Should the room left below the file limit not suffice after all, asyncio stops
        # accepting for a second and prints a traceback: an audit line instead.
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_exception)
        try:
            self._server = await asyncio.start_server(
                self._connection, self.host, self._requested_port, backlog=ACCEPT_BATCH
            )
        except OSError as exc:
            where = endpoint_url(self.host, self._requested_port, "")
            raise AwsloginError(
                f"cannot listen on {where}: {os.strerror(exc.errno) if exc.errno else exc}"
                + (
                    f" (add the address to an interface, e.g. `ip addr add {self.host} dev lo`)"
                    if self.host in LINK_LOCAL_HOSTS
                    else ""
                )
            ) from None
        # asyncio accepts up to `backlog` connections per turn of the loop, before any is
        # counted: ACCEPT_BATCH keeps that within the room left below the file limit.
        # The kernel's queue of connections not yet accepted costs no descriptor, and a
        # full one drops an SDK's SYN (retried a second later): make it long.
        for listening in self._server.sockets:
            with listening.dup() as sock:
                sock.listen(LISTEN_BACKLOG)
        self.port = self._server.sockets[0].getsockname()[1]

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            self._audit("unknown", "busy", 0, {})
            return
        loop.default_exception_handler(context)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        connection = _Connection(client, writer, self._audit)
        admitted = False
        try:
            if self._loopback_clients_only and not is_loopback(client):
                self._audit(client, "refused_client", 0, {})
            elif not self._cap.admit(connection):
                self._audit(client, "busy", 0, {})
            else:
                admitted = True
                await self._exchanges(reader, writer, connection)
        except (ConnectionError, TimeoutError):
            pass  # the client went away or stopped reading: nothing to answer
        except Exception as exc:  # one bad connection must never stop the others
            if not connection.evicted:
                self._audit(client, "internal_error", 0, {"error": type(exc).__name__})
        finally:
            if admitted and not connection.evicted:  # an evicted one was counted out
                self._cap.release(connection)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _exchanges(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: _Connection
    ) -> None:
        """Requests on one connection, one after the other (keep-alive), until it closes."""
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        client = peer.client
        served = False
        while True:
            received = [0]
            self._cap.waiting(peer, served=served)
            try:
                async with asyncio.timeout(REQUEST_DEADLINE_SECONDS):
                    request = await _next_request(connection, reader, received)
            except TimeoutError:
                self._cap.busy(peer)  # being answered: not to be evicted half-way
                if received[0]:
                    await self._refuse(connection, writer, client, 408, "the request was too slow")
                return
            except h11.RemoteProtocolError as exc:
                if peer.evicted:  # cut off half-way through its head
                    return
                self._cap.busy(peer)
                reason = "request head too large" if exc.error_status_hint == 431 else "bad request"
                await self._refuse(connection, writer, client, exc.error_status_hint, reason)
                return
            if request is None:
                return
            self._cap.busy(peer)
            answer = await self._answer(request)
            # A request body is never expected: answer, then close rather than read it.
            try:
                has_body = not isinstance(connection.next_event(), h11.EndOfMessage)
            except h11.RemoteProtocolError:
                has_body = True
            self._audit(client, answer.outcome, answer.status, answer.detail)
            # Without the token, one answer per connection: a client that tries tokens
            # must pay a new connection for each.
            close = has_body or answer.status == HTTPStatus.UNAUTHORIZED
            await _send(connection, writer, answer, close=close)
            if connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                return
            connection.start_next_cycle()
            served = True

    async def _answer(self, request: h11.Request) -> Answer:
        given = [value for name, value in request.headers if name == b"authorization"]
        if len(given) != 1 or not hmac.compare_digest(given[0], self._token):
            return _UNAUTHORIZED
        if request.method != b"GET":
            return _NOT_ALLOWED
        if request.target.split(b"?", 1)[0] != self.path.encode("ascii"):
            return _NOT_FOUND
        return await self._credentials()

    async def _refuse(
        self,
        connection: h11.Connection,
        writer: asyncio.StreamWriter,
        client: str,
        status: int,
        reason: str,
    ) -> None:
        self._audit(client, "bad_request", status, {})
        if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            answer = Answer(status, error_body("BadRequest", reason), "bad_request")
            with contextlib.suppress(h11.LocalProtocolError):
                await _send(connection, writer, answer, close=True)


async def _next_request(
    connection: h11.Connection, reader: asyncio.StreamReader, received: list[int]
) -> h11.Request | None:
    """The next request head, or None when the client closed the connection."""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(_READ_SIZE)
            received[0] += len(data)
            connection.receive_data(data)
        elif isinstance(event, h11.Request):
            return event
        else:  # ConnectionClosed (or PAUSED after a close): nothing more to answer
            return None


async def _send(
    connection: h11.Connection, writer: asyncio.StreamWriter, answer: Answer, *, close: bool
) -> None:
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(answer.body))),
        ("cache-control", "no-store"),
    ]
    if answer.status == 405:
        headers.append(("allow", "GET"))
    if close:
        headers.append(("connection", "close"))
    reason = HTTPStatus(answer.status).phrase.encode("ascii")
    data = connection.send(h11.Response(status_code=answer.status, headers=headers, reason=reason))
    data += connection.send(h11.Data(data=answer.body)) or b""
    data += connection.send(h11.EndOfMessage()) or b""
    writer.write(data or b"")
    async with asyncio.timeout(WRITE_DEADLINE_SECONDS):
        await writer.drain()
