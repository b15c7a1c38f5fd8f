"""The host's long-poll, `GET /v1/pairings/{pairing_id}/result`, served as raw ASGI.

This is the one request that thousands of hosts hold open at once. Through FastAPI's
routing, each waiting request kept about 19 KB of frames, exit stacks and request
objects alive and cost about 150 µs of CPU; served here, ahead of the router, it keeps
about a third of that and costs half. The contract is unchanged, and it is described
in the OpenAPI document by `web.openapi`. The middleware that dispatches here still
adds the security headers, the access log line, latency metrics and the last-resort
JSON 500.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl

from starlette.types import Scope, Send

from awslogin_relay.domain.errors import RelayError
from awslogin_relay.domain.service import Client, PairingService
from awslogin_relay.store import StoreError
from awslogin_relay.web.client_address import client_address
from awslogin_relay.web.errors import error_headers, store_unavailable

RESULT_ROUTE = "/v1/pairings/{pairing_id}/result"
RESULT_PATH = re.compile(r"/v1/pairings/([^/]+)/result")
MAX_WAIT_PARAMETER = 3600.0


def _wait_seconds(query_string: bytes) -> float:
    """The `wait` query parameter: 0 to 3600 seconds (the relay caps it at RELAY_MAX_WAIT)."""
    wait = 0.0
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name != "wait":
            continue
        try:
            wait = float(value)
        except ValueError:
            wait = math.nan
        if not 0 <= wait <= MAX_WAIT_PARAMETER:  # also refuses nan and inf
            raise RelayError(
                422, "invalid_request", "query.wait: a number of seconds from 0 to 3600"
            )
    return wait


def _request_facts(scope: Scope, service: PairingService) -> tuple[str | None, Client]:
    token: str | None = None
    user_agent = ""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                token = credentials.strip()
        elif name == b"user-agent":
            user_agent = value.decode("latin-1")[:256]
    address = client_address(scope, service.settings.trusted_proxies)
    return token, Client(address=address, user_agent=user_agent)


async def serve_result(scope: Scope, send: Send, service: PairingService, pairing_id: str) -> None:
    headers = [(b"content-type", b"application/json")]
    try:
        wait = _wait_seconds(scope["query_string"])
        token, client = _request_facts(scope, service)
        answer = await service.poll(pairing_id, token, wait, client)
        status, body = 200, answer.body()
    except (RelayError, StoreError) as exc:
        error = exc if isinstance(exc, RelayError) else store_unavailable()
        status, body = error.status, error.body()
        headers += [(k.encode(), v.encode()) for k, v in error_headers(error).items()]
    payload = json.dumps(body, separators=(",", ":")).encode()
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
