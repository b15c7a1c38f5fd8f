"""Same-device login: BROWSER is a small script that hands the URL to Chromium.

As on a desktop, `awslogin login` opens "the browser" (here: the script), the person
signs in there, and the IdP redirects to the host's loopback listener on 127.0.0.1.
"""

from __future__ import annotations

import os
import select
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import phone
from tests.e2e.host import HostProcess
from tests.e2e.journey import PROFILE, SIGNED_IN_LINE, USER, configure_profile
from tests.peers.oidc import OidcProvider
from tests.peers.sts import StsPeer
from tests.support.host import awslogin_script

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

# What the loopback page says once the session is cached (no sooner): the role and account.
LOOPBACK_DONE = (
    "Signed in as dev in account 123456789012. You can close this tab and go back to your terminal."
)


class BrowserHandoff:
    """A BROWSER command that writes the URL it is given into a FIFO the test reads."""

    def __init__(self, folder: Path) -> None:
        self.fifo = folder / "opened-urls"
        os.mkfifo(self.fifo, 0o600)
        self.script = folder / "browser"
        self.script.write_text(
            "#!/bin/sh\n"
            "# awslogin's BROWSER in the e2e test: hand the URL to the test's Chromium.\n"
            f"printf '%s\\n' \"$1\" > '{self.fifo}'\n"
        )
        self.script.chmod(stat.S_IRWXU)
        # Read-write, so that the FIFO never reports end-of-file while no writer is there.
        self._fd = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)

    def next_url(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self._fd], [], [], max(left, 0))
            if not readable:
                raise AssertionError(f"BROWSER was not called within {timeout:.0f} s")
            data += os.read(self._fd, 65536)
        return data.decode().strip()

    def close(self) -> None:
        os.close(self._fd)


@pytest.fixture
def browser_handoff(tmp_path: Path) -> Iterator[BrowserHandoff]:
    handoff = BrowserHandoff(tmp_path)
    try:
        yield handoff
    finally:
        handoff.close()


def test_same_device_login_through_browser_and_loopback(
    host_env: dict[str, str],
    browser_handoff: BrowserHandoff,
    page: Page,
    oidc_provider: OidcProvider,
    sts: StsPeer,
) -> None:
    configure_profile(
        host_env, issuer=oidc_provider.issuer, client_id=oidc_provider.client_id, relay=None
    )
    env = {**host_env, "BROWSER": str(browser_handoff.script)}
    with HostProcess([awslogin_script(), "login", "--profile", PROFILE], env) as host:
        url = browser_handoff.next_url()
        assert url.startswith(f"{oidc_provider.issuer}/auth?")
        assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
        host.wait_for("Opening your browser to sign in")

        page.goto(url)
        page.wait_for_url(f"{oidc_provider.issuer}/interaction/**")
        phone.sign_in_at_provider(page, USER)
        page.wait_for_url("http://127.0.0.1:*/oauth/callback?**")
        expect(page.locator("p")).to_have_text(LOOPBACK_DONE)

        assert host.wait(timeout=30) == 0, host.transcript()
        host.wait_for(SIGNED_IN_LINE, stream="stdout")
    assert [claims["sub"] for claims in sts.received] == [USER]
    cache = Path(host_env["AWSLOGIN_CACHE_DIR"]) / f"oidc--{PROFILE}.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
