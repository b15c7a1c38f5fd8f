"""Wiring for CLI integration tests: a profile pointed at the shared peers, a headless
"person" who signs in (through the loopback redirect or through the relay's pages), and
a proxy in front of the IdP's token endpoint that counts refreshes and can hold one.

The peers themselves (node-oidc-provider, moto STS behind a token-checking proxy, the
relay process) come from the shared fixtures in tests/conftest.py.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.peers.oidc import OidcProvider

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
USER = "alice"


def awslogin_script() -> str:
    return str(Path(sys.executable).parent / "awslogin")


@pytest.fixture
def cli_env(tmp_path: Path, oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """A config with profile `dev` for the OIDC peer and STS peer; a private cache dir."""
    config = tmp_path / "config"
    config.write_text(
        "# written by the test\n[profile dev]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {oidc_provider.issuer}\n"
        f"awslogin_client_id = {oidc_provider.client_id}\n"
        f"awslogin_role_arn = {ROLE_ARN}\nregion = us-east-1\n"
        "credential_process = awslogin credential-process --profile dev\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "AWSLOGIN_", "SSH_")) and k not in ("BROWSER", "DISPLAY")
    }
    env.update(
        {
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWSLOGIN_CACHE_DIR": str(tmp_path / "cache"),
            "AWS_ENDPOINT_URL_STS": sts.endpoint_url,
            "DISPLAY": ":0",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


def finish_at_idp(oidc_provider: OidcProvider, authorize_url: str, *, deny: bool = False) -> str:
    """Sign in (or cancel) at the IdP; the URL the IdP sends the browser back to."""
    return oidc_provider.complete_login(authorize_url, USER, deny=deny)


def phone_through_relay(
    oidc_provider: OidcProvider, verification_url: str, *, deny: bool = False
) -> httpx.Response:
    """What the person does on the phone: open the relay page, confirm, sign in, come back."""
    with httpx.Client(follow_redirects=False, timeout=15.0) as phone:
        page = phone.get(verification_url)
        assert page.status_code == 200, page.text
        confirm_path = urlsplit(verification_url).path + "/confirm"
        confirmed = phone.post(urljoin(verification_url, confirm_path))
        assert confirmed.status_code == 303, confirmed.text
        back = finish_at_idp(oidc_provider, confirmed.headers["location"], deny=deny)
        return phone.get(back)


def in_background(action: Callable[[], Any]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # reported by the test through the thread's errors
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


# A held refresh goes on by itself after this, so that a failed test never hangs the proxy.
HOLD_LIMIT_SECONDS = 60.0


class TokenProxy(ThreadingHTTPServer):
    """Forwards token requests to the IdP and counts refresh_token grants. After
    `hold_next_refresh()`, the next refresh waits at the proxy until `release()`."""

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.target = target
        self.refreshes = 0
        self.lock = threading.Lock()
        self._arrived = threading.Event()
        self._released = threading.Event()
        self._hold_armed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/token"

    def hold_next_refresh(self) -> None:
        with self.lock:
            self._arrived.clear()
            self._released.clear()
            self._hold_armed = True

    def wait_held(self, timeout: float = 30.0) -> None:
        if not self._arrived.wait(timeout):
            raise AssertionError(f"no refresh reached the proxy within {timeout:.0f} s")

    def release(self) -> None:
        self._released.set()

    def count_refresh(self) -> None:
        """Count a refresh_token grant; the held one waits here until released."""
        with self.lock:
            self.refreshes += 1
            held, self._hold_armed = self._hold_armed, False
        if held:
            self._arrived.set()
            self._released.wait(HOLD_LIMIT_SECONDS)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: TokenProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if parse_qs(body.decode()).get("grant_type") == ["refresh_token"]:
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


@pytest.fixture
def token_proxy(oidc_provider: OidcProvider) -> Iterator[TokenProxy]:
    proxy = TokenProxy(oidc_provider.token_endpoint)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def signed_in_near_expiry(
    cli_env: dict[str, str], oidc_provider: OidcProvider, token_proxy: TokenProxy
) -> Path:
    """Profile dev signed in (loopback), its credentials due for refresh through the proxy."""

    def browser(url: str) -> bool:
        in_background(lambda: httpx.get(finish_at_idp(oidc_provider, url), timeout=10))
        return True

    login(
        LoginOptions(profile="dev", timeout=30),
        cli_env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=browser,
    )
    cache = Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    make_near_expiry(cache, token_proxy.url)
    return cache


def make_near_expiry(cache: Path, token_endpoint: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(cache.read_text())
    record["credentials"]["ExpiresAt"] = int(time.time()) + 60  # inside the 5-minute margin
    record["providerState"]["tokenEndpoint"] = token_endpoint
    cache.write_text(json.dumps(record))
    return record
