"""Shared fixtures: real peers on 127.0.0.1, started lazily, stopped always.

Session-scoped peers start the first time a test asks for them. Tests that change
shared state get a clean view: `sts` forgets recorded claims and moto's state before
each test, and `redis_server` is running and empty at the start of each test. When a
peer is missing, the test is skipped locally and fails in CI (CI=true). When a test
fails, the logs of the peers that are running are attached to its report. A SIGTERM
to pytest (a CI timeout, `kill`) is handled like Ctrl-C, so the peers are still stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.peers._process import free_port as pick_free_port
from tests.peers._process import log_tail, running_logs, set_scratch_root
from tests.peers.ci import require_peer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from tests.peers import browser as browser_peer
    from tests.peers import netns as netns_peer
    from tests.peers import oidc as oidc_peer
    from tests.peers import redis as redis_peer
    from tests.peers import relay as relay_peer
    from tests.peers import sshd as sshd_peer
    from tests.peers import sts as sts_peer

# Launcher modules are imported inside the fixtures, so that a run of unit tests does not
# pay for importing Playwright, uvicorn or moto.


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # Peers run in their own process groups, out of reach of a signal sent to pytest's
    # group: without this, SIGTERM would end pytest and leave them running.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


# A test that asks for none of these may use asyncio while the session's Chromium runs.
_BROWSER_FIXTURES = frozenset({"_chromium", "browser", "browser_context", "page"})


def _suspend_playwright_loop(item: pytest.Item) -> contextlib.AbstractContextManager[None]:
    playwright_runs = asyncio._get_running_loop() is not None
    if playwright_runs and _BROWSER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
        from tests.peers.browser import playwright_loop_suspended

        return playwright_loop_suspended()
    return contextlib.nullcontext()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _suspend_playwright_loop(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _suspend_playwright_loop(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    with _suspend_playwright_loop(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Unit tests talk to no peer: their failures do not need the peers' logs.
    if report.failed and item.get_closest_marker("unit") is None:
        for name, path in running_logs().items():
            report.sections.append((f"peer log: {name} ({path})", log_tail(path)))
    return report


@pytest.fixture(scope="session")
def _peer_scratch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Peer logs and data go under pytest's basetemp, which keeps only recent runs."""
    set_scratch_root(tmp_path_factory.mktemp("peers"))


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    return pick_free_port()


@pytest.fixture(scope="session")
def oidc_provider(_peer_scratch: None) -> Iterator[oidc_peer.OidcProvider]:
    """node-oidc-provider; client `relay-cli`, loopback redirects /callback and
    /oauth/callback on any port, login form only (auto-consent), email/name in ID tokens,
    device codes (RFC 8628) polled every second."""
    from tests.peers import oidc as oidc_peer

    require_peer(oidc_peer.available(), "node-oidc-provider (npm)")
    with oidc_peer.OidcProvider() as provider:
        yield provider


@pytest.fixture(scope="session")
def _sts_session(
    _peer_scratch: None, oidc_provider: oidc_peer.OidcProvider
) -> Iterator[sts_peer.StsPeer]:
    from tests.peers import sts as sts_peer

    require_peer(sts_peer.available(), "moto[server]")
    with sts_peer.StsPeer(
        issuer=oidc_provider.issuer,
        audience=oidc_provider.client_id,
        jwks_uri=oidc_provider.jwks_uri,
    ) as peer:
        yield peer


@pytest.fixture
def sts(_sts_session: sts_peer.StsPeer) -> sts_peer.StsPeer:
    """moto STS behind the token-checking proxy, wired to `oidc_provider`; clean per test.

    Point clients at `sts.endpoint_url`; `sts.received` lists the verified claims of
    each accepted AssumeRoleWithWebIdentity, `sts.refused` the reasons for refusals.
    """
    _sts_session.reset()
    return _sts_session


@pytest.fixture(scope="session")
def _redis_session(_peer_scratch: None) -> Iterator[redis_peer.RedisServer]:
    from tests.peers import redis as redis_peer

    require_peer(redis_peer.available(), "redis-server")
    with redis_peer.RedisServer() as server:
        yield server


@pytest.fixture
def redis_server(_redis_session: redis_peer.RedisServer) -> redis_peer.RedisServer:
    """redis-server (no persistence), running and empty at the start of the test.

    Tests may `stop()` and `start()` it; `url` stays the same.
    """
    if not _redis_session.running:
        _redis_session.start()
    _redis_session.flush()
    return _redis_session


@pytest.fixture(scope="session")
def _chromium() -> Iterator[browser_peer.ChromiumBrowser]:
    from tests.peers import browser as browser_peer

    require_peer(browser_peer.available(), "/usr/bin/chromium with playwright")
    with browser_peer.ChromiumBrowser() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def browser(_chromium: browser_peer.ChromiumBrowser) -> Browser:
    """Headless Debian Chromium (Playwright sync API), shared by the session."""
    return _chromium.browser


@pytest.fixture
def browser_context(_chromium: browser_peer.ChromiumBrowser) -> Iterator[BrowserContext]:
    """A fresh browser profile for one test: no cookies or storage from other tests."""
    context = _chromium.new_context()
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    """A new tab in this test's own browser context."""
    return browser_context.new_page()


@pytest.fixture
def relay_process(_peer_scratch: None) -> Iterator[relay_peer.RelayFactory]:
    """Start `awslogin-relay` processes: `relay_process(RELAY_STORE=..., ...)`.

    Upper-case keyword arguments are environment settings added to RELAY_HOST,
    RELAY_PORT and RELAY_PUBLIC_URL; `host=` binds elsewhere than 127.0.0.1 (a netns
    link); `open_files=(soft, hard)` starts it under that open-file limit. Every relay
    started by the test is stopped after it.
    """
    from tests.peers import relay as relay_peer

    require_peer(relay_peer.available(), "awslogin-relay")
    started: list[relay_peer.RelayServer] = []

    def start(
        host: str = "127.0.0.1", open_files: tuple[int, int] | None = None, **env: str
    ) -> relay_peer.RelayServer:
        server = relay_peer.RelayServer(env, host=host, open_files=open_files)
        started.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def ssh_server(_peer_scratch: None) -> Iterator[sshd_peer.SshServer]:
    """Debian's sshd on a free 127.0.0.1 port, logging in this user with a test key."""
    from tests.peers import sshd as sshd_peer

    require_peer(sshd_peer.available(), "openssh-server (sshd, as root)")
    with sshd_peer.SshServer() as server:
        yield server


@pytest.fixture
def netns_host() -> Iterator[netns_peer.NetnsHost]:
    """A fresh network namespace linked to the root namespace by a veth /30."""
    from tests.peers import netns as netns_peer

    require_peer(netns_peer.netns_available(), "network namespaces (root + iproute2)")
    with netns_peer.NetnsHost() as host:
        yield host
