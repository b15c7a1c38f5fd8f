"""The browser peer: Debian Chromium opens loopback pages and nothing else."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route

from tests.peers.oidc import OidcProvider, pkce_pair

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>phone</title><p id=code>BDKM-TRWX</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def loopback_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/p/abc"
    finally:
        server.shutdown()
        server.server_close()


def test_chromium_opens_a_page_served_on_loopback(page: Page, loopback_site: str) -> None:
    response = page.goto(loopback_site)
    assert response is not None
    assert response.status == 200
    assert page.title() == "phone"
    assert page.text_content("#code") == "BDKM-TRWX"


async def test_async_tests_still_run_while_the_session_browser_is_open() -> None:
    """Runs after a browser test of this module. Without the suspension of Playwright's
    loop mark (tests/peers/browser.py), pytest-asyncio refuses to start this test."""
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, sum, [1, 2]) == 3


def test_host_names_other_than_localhost_do_not_resolve(page: Page) -> None:
    with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
        page.goto("http://example.com/")


@pytest.mark.parametrize("deny", [False, True], ids=["sign-in", "cancel"])
def test_a_person_signs_in_or_cancels_at_the_idp(
    page: Page, oidc_provider: OidcProvider, free_port: int, deny: bool
) -> None:
    redirect_uri = f"http://127.0.0.1:{free_port}/callback"
    _, challenge = pkce_pair()
    url = oidc_provider.authorize_url(
        redirect_uri=redirect_uri, state="state-" + "x" * 30, code_challenge=challenge
    )
    arrived: list[str] = []

    def callback(route: Route) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>back</title>")

    page.route(f"{redirect_uri}*", callback)
    page.goto(url)
    if deny:
        page.click("text=[ Cancel ]")
    else:
        page.fill("input[name=login]", "alice")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
    page.wait_for_url(f"{redirect_uri}*")

    assert len(arrived) == 1
    params = parse_qs(urlsplit(arrived[0]).query)
    assert params["state"] == ["state-" + "x" * 30]
    if deny:
        assert params["error"] == ["access_denied"]
    else:
        assert params["code"]
        assert params["iss"] == [oidc_provider.issuer]
