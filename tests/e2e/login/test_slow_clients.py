"""A remote login while 500 slow-header connections hold on to the relay.

The attackers (tests/peers/slow_clients.py, a process of their own) keep 500
connections that each send a header line a second and never end their head; the relay
closes each after its header timeout, or sooner to make room, and they come back. The
person signs in as usual: `awslogin login --remote` as a subprocess, the phone in
Chromium, node-oidc-provider and STS. Meanwhile /healthz is asked every quarter second.
Once with the relay's own open-file limit (here far above 500), and once under a limit
of 256 files, below the attackers' count, where the connection cap must make room
(deploy/README.md, "Slow and fat requests").
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.host import StartLogin
from tests.e2e.journey import (
    SIGNED_IN_LINE,
    configure_profile,
    read_sign_in_screen,
    sign_in_on_phone,
)
from tests.peers.ci import require_peer
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory
from tests.peers.slow_clients import SlowClients

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(180)]

ATTACKERS = 500
HEADER_TIMEOUT = 5


class HealthProbe:
    """Asks /healthz every `interval` seconds from a thread; keeps every outcome."""

    def __init__(self, url: str, interval: float = 0.25) -> None:
        self.url = url
        self.interval = interval
        self.outcomes: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthz-probe", daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5, trust_env=False) as client:
            while not self._stop.is_set():
                try:
                    self.outcomes.append(str(client.get(f"{self.url}/healthz").status_code))
                except httpx.HTTPError as exc:
                    self.outcomes.append(type(exc).__name__)
                self._stop.wait(self.interval)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


@pytest.mark.parametrize("open_files", [None, (256, 256)], ids=["own-file-limit", "256-files"])
def test_remote_login_completes_while_500_slow_clients_hold_connections(
    open_files: tuple[int, int] | None,
    relay_process: RelayFactory,
    host_env: dict[str, str],
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
) -> None:
    require_peer(Path("/usr/bin/prlimit").exists(), "prlimit (util-linux)")
    relay = relay_process(
        open_files=open_files,
        RELAY_ALLOWED_ORIGINS=oidc_provider.issuer,
        RELAY_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
    )
    assert relay.pid is not None
    configure_profile(
        host_env, issuer=oidc_provider.issuer, client_id=oidc_provider.client_id, relay=relay.url
    )
    with SlowClients(relay.port, count=ATTACKERS) as attackers, HealthProbe(relay.url) as probe:
        time.sleep(1)  # every attacker is connected and trickling
        host = start_login()
        screen = read_sign_in_screen(host)
        sign_in_on_phone(page, screen, oidc_provider.issuer)
        assert host.wait(timeout=60) == 0, host.transcript()
        assert host.wait_for(SIGNED_IN_LINE, stream="stdout")
        time.sleep(HEADER_TIMEOUT + 1)  # the attackers have been closed once and are back
        held, descriptors = attackers.status(), open_descriptors(relay.pid)
    assert probe.outcomes, "the probe never ran"
    failures = [outcome for outcome in probe.outcomes if outcome != "200"]
    assert failures == [], f"/healthz failed {len(failures)} of {len(probe.outcomes)} times"
    assert held.opened > ATTACKERS, "the relay never closed a slow client"
    if open_files is None:
        # Room for all of them: each was held until its header timeout (a 408), none
        # dropped to make room. (How many are held at one instant depends on where it
        # falls in their close-and-reconnect cycle, which a loaded machine spreads out.)
        assert held.dropped == 0, held
        assert held.timed_out >= ATTACKERS, held  # each one at least once
    else:
        assert descriptors < open_files[0], descriptors
        assert held.closed_by_server > ATTACKERS, held  # made room, again and again
        assert held.dropped > 0, held  # before their timeout, for newcomers
    assert "Traceback" not in relay.log_path.read_text()
