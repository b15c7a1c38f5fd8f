"""Notification destinations on 127.0.0.1 that the tests read: what Apprise delivered, as
the person would receive it.

* `JsonWebhook`: an HTTP server that takes Apprise's generic JSON webhook
  (`json://127.0.0.1:PORT/...`); `behaviour` makes it answer 500 or hang instead.
* `SmtpServer`: a real SMTP server (aiosmtpd) for Apprise's `mailto://`, no TLS.
* `refused_destination()`: a `json://` URL on a port where nothing listens.

Each keeps the message bodies it received; `wait_for_message` waits for the next one and
`link_in` takes the sign-in link out of one, as the person taps it.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from aiosmtpd.controller import Controller

Behaviour = Literal["ok", "fail", "hang"]
_LINK = re.compile(r"^Open: (https?://\S+)$", re.MULTILINE)
_NUMBER = re.compile(r"^Choose this number on the page: ([0-9]{2})$", re.MULTILINE)


class Received:
    """Message bodies in arrival order, with a condition to wait on the next one."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self._changed = threading.Condition()

    def add(self, body: str) -> None:
        with self._changed:
            self.bodies.append(body)
            self._changed.notify_all()

    def wait_for_message(self, count: int, timeout: float) -> str:
        """The `count`-th message (1 is the first), once it came; AssertionError after
        `timeout` seconds without it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.bodies) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"message {count} did not come in {timeout} s: {self.bodies}"
                self._changed.wait(left)
            return self.bodies[count - 1]


def link_in(body: str) -> str:
    """The sign-in link a message carries (a relay's page, a device code's page)."""
    found = _LINK.search(body)
    assert found is not None, f"no sign-in link in {body!r}"
    return found.group(1)


def number_in_message(body: str) -> int | None:
    """The number to choose on the relay's page, as a message gives it (None: none)."""
    found = _NUMBER.search(body)
    return int(found.group(1)) if found is not None else None


class JsonWebhook(Received):
    """Apprise's `json://` receiver; `url` is what to give awslogin."""

    def __init__(self, behaviour: Behaviour = "ok") -> None:
        super().__init__()
        self.behaviour = behaviour
        self.release = threading.Event()  # lets a hanging webhook go at the end
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload: Any = json.loads(self.rfile.read(length) or b"{}")
                if receiver.behaviour == "hang":
                    receiver.release.wait(60)
                if receiver.behaviour == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.add(f"{payload.get('title', '')}\n{payload.get('message', '')}")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"json://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> JsonWebhook:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


class _MailHandler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        self.received.add(f"{message['Subject']}\n{body}".replace("\r\n", "\n"))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), and the `mailto://` URL that reaches it."""
    server = SmtpServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


class SmtpServer(Received):
    def __init__(self) -> None:
        super().__init__()
        port = _free_port()
        self.controller = Controller(_MailHandler(self), hostname="127.0.0.1", port=port)
        self.url = (
            f"mailto://127.0.0.1:{port}?from=awslogin@host.example.test"
            "&to=alice@example.test&mode=insecure"
        )


def refused_destination() -> str:
    """A `json://` destination on a port of 127.0.0.1 where nothing listens."""
    return f"json://127.0.0.1:{_free_port()}/nobody"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
