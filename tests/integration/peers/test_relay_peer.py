"""The relay launcher: `awslogin-relay` as a real process, restartable on the same URL."""

from __future__ import annotations

import json
import sys

import httpx
import pytest

from tests.peers._process import PeerError
from tests.peers.netns import NetnsHost
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayFactory, RelayServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _healthy(relay: RelayServer) -> bool:
    return httpx.get(f"{relay.url}/healthz", timeout=2).status_code == 200


def test_the_relay_answers_health_and_announces_its_public_url(
    relay_process: RelayFactory,
) -> None:
    relay = relay_process()
    assert relay.url.startswith("http://127.0.0.1:")
    assert _healthy(relay)
    announced = httpx.get(f"{relay.url}/.well-known/awslogin-relay", timeout=2).json()
    assert announced["callback_uri"] == f"{relay.url}/callback"


def test_restart_keeps_the_url_and_stop_closes_it(relay_process: RelayFactory) -> None:
    relay = relay_process()
    url = relay.url
    relay.restart()
    assert relay.url == url
    assert _healthy(relay)
    relay.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz", timeout=2)


def test_two_relays_run_side_by_side_with_their_own_settings(
    relay_process: RelayFactory, redis_server: RedisServer
) -> None:
    in_memory = relay_process()
    on_redis = relay_process(RELAY_STORE=redis_server.url)
    assert in_memory.url != on_redis.url
    assert on_redis.env["RELAY_STORE"] == redis_server.url
    assert _healthy(in_memory)
    assert _healthy(on_redis)


def test_a_relay_that_refuses_its_settings_is_reported_with_its_log(
    relay_process: RelayFactory,
) -> None:
    with pytest.raises(PeerError, match=r"exited with code [1-9](.|\n)*RELAY_MAX_WAIT"):
        relay_process(RELAY_MAX_WAIT="not-a-number")


def test_a_relay_on_a_netns_link_is_reachable_from_inside_the_namespace(
    relay_process: RelayFactory, netns_host: NetnsHost
) -> None:
    relay = relay_process(host=netns_host.root_address)
    assert relay.url.startswith(f"http://{netns_host.root_address}:")
    fetch = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"
    inside = netns_host.run(
        [sys.executable, "-c", fetch, f"{relay.url}/.well-known/awslogin-relay"]
    )
    assert inside.returncode == 0, inside.stderr
    assert json.loads(inside.stdout)["callback_uri"] == f"{relay.url}/callback"
