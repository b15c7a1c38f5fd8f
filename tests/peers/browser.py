"""Headless Debian Chromium driven by Playwright's sync API (the "phone" in e2e tests).

While a sync Playwright session is alive, it marks its asyncio loop as running in the
main thread (between calls too), and pytest-asyncio then refuses to run any async test
or fixture ("Runner.run() cannot be called from a running event loop"). One Chromium for
the whole session is still possible: `playwright_loop_suspended()` lifts that mark while
a test that does not use the browser runs (tests/conftest.py does this for every such
test), and `stop()` puts it back before it talks to Playwright.

Playwright's own browser downloads are never used: /usr/bin/chromium is launched
directly. Names and addresses other than localhost, 127.0.0.1 and the test's own
network-namespace links (10.203.*) resolve to nothing inside this browser, so a page
that pulls an outside asset (the IdP's login page imports a web font) cannot make the
browser leave the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.peers._process import PeerError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-proxy-server",
    # Only loopback and the private links of tests/peers/netns.py (10.203.0.0/16).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE 10.203.*",
)


def available() -> bool:
    """Debian's chromium and the playwright package are both present."""
    return CHROMIUM.is_file() and importlib.util.find_spec("playwright") is not None


@contextlib.contextmanager
def playwright_loop_suspended() -> Iterator[None]:
    """Run the block with no asyncio loop marked as running in this thread.

    Only for code that makes no sync Playwright call: Playwright needs its mark back to
    work, and gets it on the way out unless its loop was closed in the meantime.
    """
    loop = asyncio._get_running_loop()
    if loop is None:
        yield
        return
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        if not loop.is_closed():
            asyncio._set_running_loop(loop)


class ChromiumBrowser:
    """One headless Chromium for a whole session; a new context (profile) per test."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise PeerError("the browser is not started")
        return self._browser

    def start(self) -> None:
        if not available():
            raise PeerError(f"{CHROMIUM} or playwright is missing: run `bash scripts/setup`")
        self._playwright = sync_playwright().start()
        self._loop = asyncio._get_running_loop()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
            )
        except BaseException:
            self.stop()
            raise

    def new_context(self) -> BrowserContext:
        """A fresh context: no cookies, storage or cache shared with other tests."""
        return self.browser.new_context(locale="en-US")

    def stop(self) -> None:
        # The session may end inside a test that suspended Playwright's loop mark.
        if self._loop is not None and asyncio._get_running_loop() is None:
            asyncio._set_running_loop(self._loop)
        self._loop = None
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
