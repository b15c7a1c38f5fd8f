"""50 `awslogin credential-process` processes near expiry make exactly one refresh call.

The refresh token of node-oidc-provider rotates and a replayed old one revokes the whole
grant, so a second refresh with the same token would not only be counted here: it would
make later refreshes fail too. The test therefore also refreshes once more afterwards.
"""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.integration.cli.conftest import awslogin_script, finish_at_idp, in_background
from tests.peers.oidc import OidcProvider

pytestmark = pytest.mark.integration

PROCESSES = 50


class CountingTokenProxy(ThreadingHTTPServer):
    """Forwards token requests to the IdP and counts refresh_token grants."""

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.target = target
        self.refreshes = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/token"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: CountingTokenProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if parse_qs(body.decode()).get("grant_type") == ["refresh_token"]:
            with self.server.lock:
                self.server.refreshes += 1
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
def token_proxy(oidc_provider: OidcProvider) -> Iterator[CountingTokenProxy]:
    proxy = CountingTokenProxy(oidc_provider.token_endpoint)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def signed_in_near_expiry(
    cli_env: dict[str, str], oidc_provider: OidcProvider, token_proxy: CountingTokenProxy
) -> Path:
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


def run_together(cli_env: dict[str, str], count: int) -> list[subprocess.CompletedProcess[str]]:
    processes = [
        subprocess.Popen(
            [awslogin_script(), "credential-process", "--profile", "dev"],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


@pytest.mark.timeout(300)
def test_fifty_processes_make_exactly_one_refresh(
    cli_env: dict[str, str],
    oidc_provider: OidcProvider,
    sts: Any,
    token_proxy: CountingTokenProxy,
) -> None:
    cache = signed_in_near_expiry(cli_env, oidc_provider, token_proxy)
    before = json.loads(cache.read_text())
    sts.received.clear()

    results = run_together(cli_env, PROCESSES)

    assert [r.returncode for r in results] == [0] * PROCESSES, [r.stderr for r in results][:3]
    outputs = [json.loads(r.stdout) for r in results]
    assert all(o["Version"] == 1 and o["AccessKeyId"] and o["SessionToken"] for o in outputs)
    assert len({o["AccessKeyId"] for o in outputs}) == 1
    assert outputs[0]["AccessKeyId"] != before["credentials"]["AccessKeyId"]
    assert token_proxy.refreshes == 1
    assert len(sts.received) == 1
    after = json.loads(cache.read_text())
    rotated = after["providerState"]["refreshToken"]
    assert rotated != before["providerState"]["refreshToken"]

    # The stored rotated token is the one the IdP accepts next time.
    make_near_expiry(cache, token_proxy.url)
    again = run_together(cli_env, 1)[0]
    assert again.returncode == 0, again.stderr
    assert token_proxy.refreshes == 2


def test_revoked_refresh_token_ends_the_session_with_the_login_line(
    cli_env: dict[str, str],
    oidc_provider: OidcProvider,
    sts: Any,
    token_proxy: CountingTokenProxy,
) -> None:
    cache = signed_in_near_expiry(cli_env, oidc_provider, token_proxy)
    saved = cache.read_text()
    logout = subprocess.run(
        [awslogin_script(), "logout", "--profile", "dev"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert logout.returncode == 0, logout.stderr
    assert "refresh token revoked at" in logout.stdout
    assert not cache.exists()
    # Bring the revoked session back: the IdP refuses it and the user is told what to do.
    cache.write_text(saved)
    done = run_together(cli_env, 1)[0]
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "awslogin: the identity provider no longer accepts this session (invalid_grant: "
        + done.stderr.split("(invalid_grant: ", 1)[1].strip()
    ]
    assert done.stderr.strip().endswith("run `awslogin login --profile dev`")
    assert token_proxy.refreshes == 1
