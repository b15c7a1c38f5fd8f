"""Same-device flow: a listener on 127.0.0.1 receives the browser's redirect.

The listener is bound before the browser opens, so a fast IdP cannot redirect into a
closed port. Only the first request to the callback path is taken; the page it gets back
carries no code and tells the person to return to the terminal.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from awslogin.adapters.browser import BrowserOpener
from awslogin.errors import AwsloginError
from awslogin.flows.base import AuthorizationResponse, Display, RequestBuilder
from awslogin.flows.callback import CALLBACK_PATH

_KEYS = ("code", "state", "iss", "error", "error_description")
_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>awslogin</title>"
    b"<p>Signed in. You can close this tab and go back to your terminal.</p>"
)


class _Listener(HTTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.received: dict[str, str] | None = None
        self.arrived = threading.Event()


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH or self.server.arrived.is_set():
            self.send_error(404)
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        self.server.received = {k: v[0] for k, v in query.items() if k in _KEYS and len(v) == 1}
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Length", str(len(_DONE_PAGE)))
        self.end_headers()
        self.wfile.write(_DONE_PAGE)
        self.server.arrived.set()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the authorization code."""


class LoopbackFlow:
    name = "loopback"

    def __init__(
        self,
        display: Display,
        open_browser: BrowserOpener | None,
        *,
        port: int | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.display = display
        self.open_browser = open_browser
        self.port = port
        self.timeout = timeout

    def _listen(self) -> _Listener:
        try:
            return _Listener(self.port or 0)
        except OSError as exc:
            if self.port:
                raise AwsloginError(
                    f"cannot listen on 127.0.0.1:{self.port} ({exc.strerror}): "
                    "choose another --redirect-port or leave it out"
                ) from exc
            raise AwsloginError(f"cannot listen on 127.0.0.1 ({exc.strerror})") from exc

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        listener = self._listen()
        server_thread = threading.Thread(
            target=listener.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        server_thread.start()
        try:
            port = listener.server_address[1]
            request = build(f"http://127.0.0.1:{port}{CALLBACK_PATH}")
            if self.open_browser is None:
                self.display.info("Open this URL in a browser on this machine to sign in:")
                self.display.show_link(request.url, qr=False)
            else:
                self.display.info(
                    "Opening your browser to sign in. If it does not open, use this URL:"
                )
                self.display.show_link(request.url, qr=False)
                if not self.open_browser(request.url):
                    self.display.info("Could not open a browser: open the URL above yourself.")
            deadline = time.monotonic() + self.timeout
            with self.display.countdown("Waiting for you to sign in...", deadline):
                while not listener.arrived.wait(0.2):
                    if time.monotonic() >= deadline:
                        raise AwsloginError(
                            f"sign-in did not finish within {int(self.timeout)} s; run login again"
                        )
            return AuthorizationResponse(request, listener.received or {})
        finally:
            listener.shutdown()
            listener.server_close()
