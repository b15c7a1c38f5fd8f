"""The loopback flow with a browser that goes away before its page is written: the login
goes on, and the terminal gets no traceback."""

from __future__ import annotations

import socket
import struct
import threading
from urllib.parse import urlsplit

import pytest

from awslogin.flows.base import AuthorizationRequest, SignInOutcome
from awslogin.flows.loopback import LoopbackFlow
from tests.support.fake_relay import SilentDisplay

pytestmark = pytest.mark.unit


def reset_after_request(url: str) -> bool:
    """A browser that asks for the callback, then is gone at once (RST, not FIN)."""
    parts = urlsplit(url)

    def visit() -> None:
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as browser:
            browser.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            browser.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    threading.Thread(target=visit, daemon=True).start()
    return True


def test_a_browser_gone_before_its_page_is_written_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    flow = LoopbackFlow(SilentDisplay(), reset_after_request, timeout=10)

    def build(redirect_uri: str | None) -> AuthorizationRequest:
        assert redirect_uri is not None
        return AuthorizationRequest(f"{redirect_uri}?code=c&state=s", "s", "cli", redirect_uri)

    response = flow.authorize(build)
    assert response.params == {"code": "c", "state": "s"}
    flow.finish(SignInOutcome(signed_in=True))  # the page is written to a closed socket
    assert "Traceback" not in capfd.readouterr().err
