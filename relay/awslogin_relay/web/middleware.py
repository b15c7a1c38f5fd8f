"""One plain ASGI middleware for what every response needs.

* security headers (no-referrer, no-store, CSP with frame-ancestors 'none', nosniff,
  DENY framing) on every response, pages and API alike;
* the request body limit: 413 before reading when Content-Length is too large, and
  while reading for chunked bodies;
* the access log, written here because uvicorn's includes the query string, which on
  /callback holds the authorization code and state: this line has the path only, and
  no header (so never the browser-binding cookie);
* latency metrics by route template (pairing ids would explode the label set);
* a last resort that answers a JSON 500 without a traceback if a bug slips through.

The fast paths (`web.fastpaths`) are dispatched by their own layer inside this one.

It is a raw ASGI callable rather than Starlette's BaseHTTPMiddleware, which costs a
task and a stream per request.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from awslogin_protocol.messages import ErrorBody
from awslogin_relay.domain.errors import request_too_large
from awslogin_relay.metrics import RelayMetrics
from awslogin_relay.web.errors import BodyTooLarge, error_response

ACCESS_LOGGER = "awslogin_relay.access"
_access_log = logging.getLogger(ACCESS_LOGGER)
_error_log = logging.getLogger("awslogin_relay.errors")


def security_headers(form_targets: tuple[str, ...]) -> list[tuple[bytes, bytes]]:
    # form-action also governs where a form's redirect may go: the confirm button
    # answers 303 to the provider, so the allow-listed origins must be listed there.
    form_action = " ".join(("'self'", *form_targets))
    csp = (
        "default-src 'self'; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors 'none'; form-action {form_action}"
    )
    return [
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


class RelayMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        headers: list[tuple[bytes, bytes]],
        metrics: RelayMetrics,
        client_of: Callable[[Scope], str],
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.headers = headers
        self.metrics = metrics
        self.client_of = client_of
        self._latency: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        headers = self.headers

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        try:
            if self._declared_length(scope) > self.max_body:
                response = error_response(scope["path"], request_too_large())
                await response(scope, receive, send_with_headers)
            else:
                await self.app(scope, self._limited(receive), send_with_headers)
        except Exception as exc:  # the last resort: a short JSON 500, never a traceback
            _error_log.error(
                "unhandled %s on %s %s", type(exc).__name__, scope["method"], scope["path"]
            )
            if status == 0:
                await _server_error(send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            # the route template (Starlette's router or the fast paths record it), never
            # the path: pairing ids would explode the label set
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            key = (route, scope["method"])
            latency = self._latency.get(key)
            if latency is None:
                latency = self.metrics.request_seconds.labels(route=route, method=key[1])
                self._latency[key] = latency
            latency.observe(elapsed)
            if _access_log.isEnabledFor(logging.INFO):
                _access_log.info(
                    json.dumps(
                        {
                            "client": self.client_of(scope),
                            "method": scope["method"],
                            "path": scope["path"],  # never the query string
                            "status": status,
                            "ms": round(elapsed * 1000, 2),
                        },
                        separators=(",", ":"),
                    )
                )

    def _declared_length(self, scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return self.max_body + 1
        return 0

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return limited_receive


async def _server_error(send: Send) -> None:
    """The last resort: a short JSON 500 in the protocol's error format, no traceback."""
    body = ErrorBody(
        error="server_error", error_description="the relay failed to handle this request"
    )
    payload = body.model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
