"""A remote login while 50 attacking addresses create pairings at full speed.

The attackers (tests/peers/create_flood.py, a process of their own) bind their sockets
to 127.0.0.2 ... 127.0.0.51 and keep 100 connections busy with valid pairing creations,
never completing one. The relay runs with a total cap of 1,200 pending pairings and its
rate limit lifted, so that the share of pending pairings per client is all that stands
between the attackers and the total: without it, 50 addresses fill the relay in about a
second (the control below). The person signs in from 127.0.0.1 as usual:
`awslogin login --remote` as a subprocess, the phone in Chromium, node-oidc-provider and
STS, with the memory store and with Redis (deploy/README.md, "Fair share").
"""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page

from awslogin_protocol.sealing import HostKey
from tests.e2e.host import StartLogin
from tests.e2e.journey import (
    SIGNED_IN_LINE,
    configure_profile,
    read_sign_in_screen,
    sign_in_on_phone,
)
from tests.peers.create_flood import CreateFlood, FloodStatus, summary
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory
from tests.support.relay_app import authorize_url

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ATTACKERS = 50
SHARE = 20  # RELAY_MAX_PENDING_PER_CLIENT's default
TOTAL = 1200  # room for every attacker's share, and for the person
SETTINGS = {
    "RELAY_MAX_PENDING": str(TOTAL),
    "RELAY_RATE_CREATE": "1000000",  # no rate limit: only the caps hold the attackers
    "RELAY_LOG_LEVEL": "warning",  # no access line per attacking request
}


def _wait_until_full(flood: CreateFlood, pairings: int, timeout: float = 30.0) -> FloodStatus:
    """Until the attackers hold `pairings` and are being refused, or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        status = flood.status()
        refused = sum(n for code, n in status.statuses.items() if code != "201")
        if (status.created >= pairings and refused > 0) or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_person_signs_in_while_50_addresses_flood_the_relay(
    store: str,
    request: pytest.FixtureRequest,
    relay_process: RelayFactory,
    host_env: dict[str, str],
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
) -> None:
    env = {**SETTINGS, "RELAY_ALLOWED_ORIGINS": oidc_provider.issuer}
    if store == "redis":
        env["RELAY_STORE"] = request.getfixturevalue("redis_server").url
    relay = relay_process(**env)
    configure_profile(
        host_env, issuer=oidc_provider.issuer, client_id=oidc_provider.client_id, relay=relay.url
    )
    with CreateFlood(relay.port, idp=oidc_provider.issuer, addresses=ATTACKERS) as flood:
        full = _wait_until_full(flood, ATTACKERS * SHARE)
        print(f"\n[{store}] attackers hold their shares: {summary(full)}")
        started = time.monotonic()
        host = start_login()
        screen = read_sign_in_screen(host)
        sign_in_on_phone(page, screen, oidc_provider.issuer)
        assert host.wait(timeout=90) == 0, host.transcript()
        assert host.wait_for(SIGNED_IN_LINE, stream="stdout")
        seconds = time.monotonic() - started
        during = flood.status()
        health = httpx.get(f"{relay.url}/healthz", timeout=10, trust_env=False)
    print(f"[{store}] signed in in {seconds:.1f} s under attack; {summary(during)}")
    assert health.status_code == 200
    # the attack went on during the whole login (a few hundred per second on a busy machine)
    assert during.requests - full.requests > ATTACKERS * 5, "the attack stopped"
    assert during.created == ATTACKERS * SHARE  # each attacker got exactly its share
    assert set(during.created_by_address.values()) == {SHARE}
    assert set(during.statuses) == {"201", "429"}, during.statuses  # refused, never a 5xx
    assert during.errors == 0
    log = relay.log_path.read_text()
    assert "Traceback" not in log
    assert "unhandled" not in log


def test_control_without_shares_50_addresses_fill_the_relay(relay_process: RelayFactory) -> None:
    """The same attack with the per-client share as large as the total: the attackers
    take every slot within seconds and a person's creation is refused with 503. This is
    what the test above would see if the share did not hold."""
    idp = "https://idp.test"
    relay = relay_process(
        **SETTINGS, RELAY_ALLOWED_ORIGINS=idp, RELAY_MAX_PENDING_PER_CLIENT=str(TOTAL)
    )
    with CreateFlood(relay.port, idp=idp, addresses=ATTACKERS) as flood:
        full = _wait_until_full(flood, TOTAL)
        person = httpx.post(
            f"{relay.url}/v1/pairings",
            json={
                "authorize_url": authorize_url(
                    f"{idp}/authorize", redirect_uri=f"{relay.url}/callback"
                ),
                "public_key": HostKey().public_key,
                "host": {"hostname": "gpu-box-3", "user": "alice"},
            },
            timeout=30,
            trust_env=False,
        )
    print(f"\n[control] {summary(full)}; the person's creation: {person.status_code}")
    assert full.created == TOTAL
    assert person.status_code == 503
    assert person.json()["error"] == "temporarily_unavailable"
