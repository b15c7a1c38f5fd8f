"""A proxy in front of the IdP's token endpoint: counts the refreshes that reach the IdP,
can hold the next one (tests/fakes/hold.py) and can slow every one down.

Pointing a signed-in session's `tokenEndpoint` at it (`route_refreshes`) sends that
session's refreshes through it. A held refresh makes a race deterministic: the test
waits until the request has arrived, lets another party act, then releases it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.fakes.hold import HoldPoints, RequestHold

_REFRESH = "refresh_token"


class TokenProxy(ThreadingHTTPServer):
    """Forwards token requests to `target`; `refreshes` counts refresh_token grants."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target
        self.refreshes = 0
        # Seconds every refresh waits before it goes on: the IdP taking its time.
        self.delay = 0.0
        self.lock = threading.Lock()
        self._holds = HoldPoints()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/token"

    def hold_next_refresh(self) -> RequestHold:
        """The next refresh waits at the proxy until the returned hold is released."""
        return self._holds.arm(_REFRESH)

    def count_refresh(self) -> None:
        """Count a refresh_token grant; a held one waits here, then each one waits `delay`."""
        with self.lock:
            self.refreshes += 1
        self._holds.reach_in_thread(_REFRESH)
        time.sleep(self.delay)


class _Handler(BaseHTTPRequestHandler):
    server: TokenProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if parse_qs(body.decode()).get("grant_type") == [_REFRESH]:
            self.server.count_refresh()
        upstream = httpx.post(
            self.server.target,
            content=body,
            headers={"Content-Type": self.headers.get("Content-Type", "")},
            timeout=15,
        )
        self.send_response(upstream.status_code)
        self.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(upstream.content)))
        self.end_headers()
        self.wfile.write(upstream.content)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def token_proxy_for(target: str) -> Iterator[TokenProxy]:
    """A running proxy in front of `target`, shut down on exit."""
    proxy = TokenProxy(target)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


def route_refreshes(
    cache: Path, proxy: TokenProxy, *, expires_in: float | None = None
) -> dict[str, Any]:
    """Send the session's refreshes through `proxy`; optionally move its credentials' end.
    The record as written."""
    record: dict[str, Any] = json.loads(cache.read_text())
    record["providerState"]["tokenEndpoint"] = proxy.url
    if expires_in is not None:
        record["credentials"]["ExpiresAt"] = int(time.time() + expires_in)
    cache.write_text(json.dumps(record))
    return record
