"""Same-device flow: a listener on 127.0.0.1 receives the browser's redirect.

The listener is bound before the browser opens, so a fast IdP cannot redirect into a
closed port. Only the first request to the callback path is taken. The page it gets
back carries no code, and claims no more than is known (docs/security.md, invariant 11,
"Truth"): the answer is held until the login has ended (`finish`, within
PAGE_HOLD_SECONDS), then says "Signed in as ..." or "Could not finish: ...".
"""

from __future__ import annotations

import html
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from awslogin.adapters.browser import BrowserOpener
from awslogin.errors import AwsloginError, one_line
from awslogin.flows.base import AuthorizationResponse, Display, RequestBuilder, SignInOutcome
from awslogin.flows.callback import CALLBACK_PATH

_KEYS = ("code", "state", "iss", "error", "error_description")
# The longest the browser's page waits for the login to end (the token exchange, STS,
# perhaps a question in the terminal); then it says to look at the terminal.
PAGE_HOLD_SECONDS = 60.0
# The longest `finish` waits for the page to be written before it closes the listener.
PAGE_WRITE_SECONDS = 5.0


def outcome_page(outcome: SignInOutcome | None) -> bytes:
    """The page the browser gets: what is known of how the login ended, and nothing more."""
    if outcome is None:
        title = "awslogin received your sign-in"
        text = "Go back to your terminal to see whether the login finished."
    elif outcome.signed_in:
        title = "Signed in"
        who = (
            f"Signed in as {outcome.role} in account {outcome.account_id}."
            if outcome.role and outcome.account_id
            else "Signed in."
        )
        text = f"{who} You can close this tab and go back to your terminal."
    else:
        title = "Could not finish"
        text = f"Could not finish: {one_line(outcome.reason or 'the login failed', 300)}"
    return (
        "<!doctype html><meta charset=utf-8><title>awslogin</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    ).encode()


class _Listener(HTTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.received: dict[str, str] | None = None
        self.arrived = threading.Event()
        self.outcome: SignInOutcome | None = None
        self.decided = threading.Event()
        self.answered = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        """Silent: a browser that went away before its page was written (a closed tab, a
        reset) is no failure of the login, which goes on without it; socketserver's own
        handler would print a traceback into the terminal."""


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH or self.server.arrived.is_set():
            self.send_error(404)
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        self.server.received = {k: v[0] for k, v in query.items() if k in _KEYS and len(v) == 1}
        self.server.arrived.set()
        try:
            self.server.decided.wait(PAGE_HOLD_SECONDS)
            page = outcome_page(self.server.outcome)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        finally:
            self.server.answered.set()

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
        # The listener whose page waits for the outcome, once the redirect came.
        self._answering: _Listener | None = None

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
            self._answering = listener
            return AuthorizationResponse(request, listener.received or {})
        finally:
            if self._answering is not listener:
                self._close(listener)

    def finish(self, outcome: SignInOutcome) -> None:
        """Let the held page say how the login ended, then close the listener."""
        listener, self._answering = self._answering, None
        if listener is None:
            return
        listener.outcome = outcome
        listener.decided.set()
        listener.answered.wait(PAGE_WRITE_SECONDS)
        self._close(listener)

    @staticmethod
    def _close(listener: _Listener) -> None:
        listener.decided.set()
        listener.shutdown()
        listener.server_close()
