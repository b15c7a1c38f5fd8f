"""Remote login through a network that misbehaves: `awslogin login --remote` as a process,
the real relay process, node-oidc-provider and STS, with a fault-injecting TCP proxy
(tests/peers/fault_proxy.py) between the relay and both the host and the phone.

Each hurt login must sign in with the same identity as the unhurt one: the answer with
the sealed result cut after the relay sent it, the long-poll reset while it waits, the
relay unreachable for six seconds, the relay restarted with its pairings in Redis. A
relay that restarts without its pairings (the memory store) ends the login in one line
that says what happened and what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.host import HostProcess
from tests.peers.fault_proxy import Fault, FaultProxy
from tests.peers.oidc import OidcProvider
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayFactory, RelayServer
from tests.support.host import awslogin_script
from tests.support.oidc_profile import USER
from tests.support.phone import NUMBER_PATTERN, phone_through_relay
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]

# The identity every login below must end with: the unhurt one's.
ASSUMED_ROLE_ARN = f"arn:aws:sts::123456789012:assumed-role/dev/{USER}"
LINK = r"^ {6}(http://\S+/p/\S+)$"
NOTE = "Waiting for the relay to answer again..."
OUTAGE_SECONDS = 6.0


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy() as proxy:
        yield proxy


@pytest.fixture
def relay_behind(
    proxy: FaultProxy, relay_process: RelayFactory, oidc_provider: OidcProvider
) -> Callable[..., RelayServer]:
    """Start the relay with the proxy as its public address (the host and the phone both
    reach it through the proxy)."""

    def start(**settings: str) -> RelayServer:
        relay = relay_process(
            RELAY_ALLOWED_ORIGINS=oidc_provider.issuer, RELAY_PUBLIC_URL=proxy.url, **settings
        )
        proxy.target = ("127.0.0.1", relay.port)
        return relay

    return start


@pytest.fixture
def start_host(cli_env: dict[str, str], proxy: FaultProxy) -> Iterator[Callable[[], HostProcess]]:
    """Start `awslogin login --remote` through the proxy (killed after the test)."""
    argv = [awslogin_script(), "login", "--remote", "--profile", "dev", "--no-qr"]
    process = HostProcess([*argv, "--relay", proxy.url, "--timeout", "90"], cli_env)
    yield process.start
    process.stop()


@dataclass
class Lane:
    """A remote login whose host and phone reach the relay through the fault proxy."""

    proxy: FaultProxy
    relay_behind: Callable[..., RelayServer]
    start_host: Callable[[], HostProcess]
    oidc_provider: OidcProvider
    cli_env: dict[str, str]
    sts: Any
    number: int | None = None  # what the host's terminal shows for the page

    def start(self, **settings: str) -> tuple[RelayServer, HostProcess, str]:
        """The relay (with `settings`) and the host started; the link the host printed,
        once its first long-poll reached the relay."""
        relay = self.relay_behind(**settings)
        host = self.start_host()
        url = host.wait_for(LINK).group(1)
        assert url.startswith(f"{self.proxy.url}/p/")
        self.number = int(host.wait_for(NUMBER_PATTERN).group(0))
        wait_until(lambda: self.proxy.counts.polls >= 1, "the first long-poll")
        return relay, host, url

    def phone(self, url: str) -> None:
        phone_through_relay(self.oidc_provider, url, self.number)

    def assert_signed_in_as_unhurt(self, host: HostProcess) -> None:
        assert host.wait(timeout=60) == 0, host.transcript()
        assert host.lines["stdout"][0] == f"Signed in as {ASSUMED_ROLE_ARN}"
        assert [claims["sub"] for claims in self.sts.received] == [USER]
        cache = Path(self.cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
        cached = json.loads(cache.read_text())
        assert cached["identity"] == {"arn": ASSUMED_ROLE_ARN, "subject": USER}
        assert "Traceback" not in host.transcript()


@pytest.fixture
def lane(
    proxy: FaultProxy,
    relay_behind: Callable[..., RelayServer],
    start_host: Callable[[], HostProcess],
    oidc_provider: OidcProvider,
    cli_env: dict[str, str],
    sts: Any,
) -> Lane:
    return Lane(proxy, relay_behind, start_host, oidc_provider, cli_env, sts)


def test_an_unhurt_login_through_the_proxy(lane: Lane) -> None:
    _, host, url = lane.start()
    lane.phone(url)
    lane.assert_signed_in_as_unhurt(host)
    counts = lane.proxy.counts
    assert (counts.resets, counts.cuts, counts.results) == (0, 0, 1)
    assert NOTE not in host.transcript()


def test_the_answer_with_the_result_cut_after_the_relay_sent_it(lane: Lane) -> None:
    _, host, url = lane.start()
    lane.proxy.cut_results = Fault(count=1)
    lane.phone(url)
    lane.assert_signed_in_as_unhurt(host)
    # Cut once, delivered again to the same poll token.
    assert (lane.proxy.counts.cuts, lane.proxy.counts.results) == (1, 2)


def test_the_long_poll_reset_while_it_waits(lane: Lane) -> None:
    lane.proxy.reset_polls = Fault(count=1)
    _, host, url = lane.start()
    counts = lane.proxy.counts
    wait_until(lambda: counts.resets == 1 and counts.polls >= 2, "a reset")
    lane.phone(url)
    lane.assert_signed_in_as_unhurt(host)


def test_the_relay_unreachable_for_several_seconds(lane: Lane) -> None:
    _, host, url = lane.start()
    lane.proxy.go_down()
    time.sleep(OUTAGE_SECONDS)
    lane.proxy.come_back()
    lane.phone(url)
    lane.assert_signed_in_as_unhurt(host)
    # One quiet line while the relay did not answer (stderr is a pipe: printed once),
    # then the waiting line again once it answered (and once more after the notice of
    # the phone's confirmation, when a poll saw it before the result came).
    waiting = [line for line in host.lines["stderr"] if " left" in line]
    notices = [line for line in host.lines["stderr"] if line.startswith("  Confirmed at ")]
    expected = [False, True, False] + [False] * len(notices)
    assert [NOTE in line for line in waiting] == expected, host.transcript()


def test_the_relay_restarted_with_its_pairings_in_redis(
    lane: Lane, redis_server: RedisServer
) -> None:
    relay, host, url = lane.start(RELAY_STORE=redis_server.url)
    relay.restart()
    lane.phone(url)
    lane.assert_signed_in_as_unhurt(host)


def test_the_relay_restarted_without_its_pairings_ends_in_one_clear_line(lane: Lane) -> None:
    relay, host, _ = lane.start()
    relay.restart()
    assert host.wait(timeout=30) == 1, host.transcript()
    messages = [line for line in host.lines["stderr"] if line.startswith("awslogin:")]
    assert messages == [
        f"awslogin: the relay at {lane.proxy.url.removeprefix('http://')} no longer knows this "
        "sign-in (it restarted without keeping its pairings?); run login again"
    ]
    assert "Traceback" not in host.transcript()
    assert lane.sts.received == []
    assert not Path(lane.cli_env["AWSLOGIN_CACHE_DIR"]).exists()
