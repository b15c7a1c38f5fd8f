"""The browser peer: Debian Chromium opens loopback pages and nothing else."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.peers.netns import NetnsHost
from tests.peers.oidc import OidcProvider, pkce_pair

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(60)]


class _Site(ThreadingHTTPServer):
    """A loopback web server that answers every GET with one page and records the paths."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        super().__init__((address, 0), _Page)
        self.paths: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.server_address[0]!s}:{self.server_address[1]}"


class _Page(BaseHTTPRequestHandler):
    server: _Site

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":  # the browser asks by itself; not part of a test
            self.send_error(404)
            return
        self.server.paths.append(self.path)
        body = b"<!doctype html><title>phone</title><p id=code>BDKM-TRWX</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


def _serve(site: _Site) -> Iterator[_Site]:
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()


@pytest.fixture
def loopback_site() -> Iterator[_Site]:
    yield from _serve(_Site())


@pytest.fixture
def netns_link_site(netns_host: NetnsHost) -> Iterator[_Site]:
    """A site on the root side of a namespace link, as a relay for a netns host would be."""
    yield from _serve(_Site(netns_host.root_address))


def test_chromium_opens_a_page_served_on_loopback(page: Page, loopback_site: _Site) -> None:
    response = page.goto(f"{loopback_site.base_url}/p/abc")
    assert response is not None
    assert response.status == 200
    assert page.title() == "phone"
    assert page.text_content("#code") == "BDKM-TRWX"
    assert loopback_site.paths == ["/p/abc"]


async def test_async_tests_still_run_while_the_session_browser_is_open() -> None:
    """Runs after a browser test of this module. Without the suspension of Playwright's
    loop mark (tests/peers/browser.py), pytest-asyncio refuses to start this test."""
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, sum, [1, 2]) == 3


@pytest.mark.parametrize("url", ["http://example.com/", "http://10.1.2.3:8080/"])
def test_other_names_and_addresses_do_not_resolve(page: Page, url: str) -> None:
    with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
        page.goto(url)


def test_chromium_opens_a_page_on_a_netns_link(page: Page, netns_link_site: _Site) -> None:
    response = page.goto(f"{netns_link_site.base_url}/p/abc")
    assert response is not None
    assert response.status == 200
    assert netns_link_site.paths == ["/p/abc"]


@pytest.mark.parametrize("deny", [False, True], ids=["sign-in", "cancel"])
def test_a_person_signs_in_or_cancels_at_the_idp(
    page: Page, oidc_provider: OidcProvider, loopback_site: _Site, deny: bool
) -> None:
    redirect_uri = f"{loopback_site.base_url}/callback"
    state = "state-" + "x" * 30
    _, challenge = pkce_pair()
    page.goto(
        oidc_provider.authorize_url(
            redirect_uri=redirect_uri, state=state, code_challenge=challenge
        )
    )
    if deny:
        page.click("text=[ Cancel ]")
    else:
        page.fill("input[name=login]", "alice")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
    page.wait_for_url(f"{redirect_uri}?*")

    assert len(loopback_site.paths) == 1
    params = parse_qs(urlsplit(loopback_site.paths[0]).query)
    assert params["state"] == [state]
    if deny:
        assert params["error"] == ["access_denied"]
        assert "code" not in params
    else:
        assert params["code"]
        assert params["iss"] == [oidc_provider.issuer]
