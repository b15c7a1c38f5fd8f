"""A counting, optionally slow, proxy in front of the IdP's token endpoint.

Pointing a signed-in session's `tokenEndpoint` at it counts the refreshes that reach
the IdP; `delay` holds each one so that a test can pile clients up while it runs.
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


class TokenProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target
        self.refreshes = 0
        self.delay = 0.0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/token"


class _Handler(BaseHTTPRequestHandler):
    server: TokenProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if parse_qs(body.decode()).get("grant_type") == ["refresh_token"]:
            with self.server.lock:
                self.server.refreshes += 1
            time.sleep(self.server.delay)
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
    proxy = TokenProxy(target)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


def route_refreshes(cache: Path, proxy: TokenProxy, *, expires_in: float | None = None) -> None:
    """Send the session's refreshes through `proxy`; optionally move its credentials' end."""
    record: dict[str, Any] = json.loads(cache.read_text())
    record["providerState"]["tokenEndpoint"] = proxy.url
    if expires_in is not None:
        record["credentials"]["ExpiresAt"] = int(time.time() + expires_in)
    cache.write_text(json.dumps(record))
