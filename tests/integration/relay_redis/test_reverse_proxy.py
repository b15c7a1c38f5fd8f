"""deploy/Caddyfile's site block, run by a real Caddy in front of two relay replicas
on one Redis, all on 127.0.0.1: TLS with Caddy's local CA, HSTS, /metrics hidden,
balancing with /readyz checks, long-polls through the proxy, and a client that cannot
choose the address the relay sees.

Only the global options (ports, loopback bind, no trust-store install) and the upstream
addresses differ from the file that docker-compose.yml mounts.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.peers._process import LOOPBACK, PeerProcess, free_port
from tests.peers.redis import RedisServer
from tests.peers.relay import RelayServer
from tests.support.pairing_client import IDP, callback, create
from tests.support.waiting import async_wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
SPOOFED = "203.0.113.9"


class Proxy:
    def __init__(self, url: str, ca: Path) -> None:
        self.url = url
        self.ca = ca


def _trusting(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def _caddyfile(upstreams: str, http_port: int, https_port: int) -> str:
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    test_globals = (
        "{\n\tadmin off\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n}}\n"
    )
    text, globals_replaced = re.subn(r"(?ms)^\{\n.*?^\}\n", test_globals, text, count=1)
    assert globals_replaced == 1
    assert "reverse_proxy relay-a:8080 relay-b:8080 {" in text
    return text.replace("relay-a:8080 relay-b:8080", upstreams)


@pytest.fixture
def proxy(
    redis_server: RedisServer, relay_process: object, tmp_path: Path
) -> Iterator[tuple[Proxy, list[RelayServer]]]:
    caddy = shutil.which("caddy")
    if caddy is None:
        message = "caddy is missing (apt-get install -y --no-install-recommends caddy)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    http_port, https_port = free_port(), free_port()
    public_url = f"https://{LOOPBACK}:{https_port}"
    env = {
        "RELAY_STORE": redis_server.url,
        "RELAY_PUBLIC_URL": public_url,
        "RELAY_ALLOWED_ORIGINS": IDP,
        "RELAY_POLL_INTERVAL": "0",
        "RELAY_TRUSTED_PROXIES": LOOPBACK,  # the proxy, as in docker-compose.yml
    }
    replicas = [relay_process(**env), relay_process(**env)]  # type: ignore[operator]
    upstreams = " ".join(f"{LOOPBACK}:{r.port}" for r in replicas)
    config = tmp_path / "Caddyfile"
    config.write_text(_caddyfile(upstreams, http_port, https_port))
    data = tmp_path / "data"
    ca = data / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def ready() -> bool:
        if not ca.exists():
            return False
        try:
            return httpx.get(f"{public_url}/healthz", verify=_trusting(ca), timeout=1).is_success
        except httpx.HTTPError:
            return False

    process = PeerProcess(
        "caddy",
        [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
        ready=ready,
        env={
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(data),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "RELAY_SITE_ADDRESS": LOOPBACK,
        },
        log_dir=tmp_path,
    )
    process.start()
    try:
        yield Proxy(public_url, ca), replicas
    finally:
        process.stop()


async def test_proxy_terminates_tls_with_hsts_and_hides_metrics(
    proxy: tuple[Proxy, list[RelayServer]],
) -> None:
    front, replicas = proxy
    async with httpx.AsyncClient(verify=_trusting(front.ca)) as client:
        health = await client.get(f"{front.url}/healthz")
        assert health.status_code == 200
        hsts = health.headers["strict-transport-security"]
        assert "max-age=63072000" in hsts
        assert "server" not in health.headers
        assert (await client.get(f"{front.url}/metrics")).status_code == 404
        direct = await client.get(f"http://{LOOPBACK}:{replicas[0].port}/metrics")
        assert direct.status_code == 200  # still there for monitoring, inside
        discovery = (await client.get(f"{front.url}/.well-known/awslogin-relay")).json()
        assert discovery["callback_uri"] == f"{front.url}/callback"


async def test_login_through_the_proxy_and_a_spoofed_forwarded_for_is_ignored(
    proxy: tuple[Proxy, list[RelayServer]],
) -> None:
    front, relays = proxy
    async with httpx.AsyncClient(verify=_trusting(front.ca), timeout=30) as client:
        host = await create(client, front.url, front.url, headers={"X-Forwarded-For": SPOOFED})
        page = await client.get(f"{front.url}/p/{host.pairing_id}")
        assert page.status_code == 200
        assert SPOOFED not in page.text
        assert LOOPBACK in page.text
        # the long-poll and the callback may land on different replicas
        poll = asyncio.create_task(host.poll(client, front.url, wait=20))
        await async_wait_until(
            lambda: sum(relay.long_polls() for relay in relays) == 1, "the long-poll", 10
        )
        await callback(client, front.url, host, "c0")
        response = await asyncio.wait_for(poll, 5)
        assert host.open(response.json())["code"] == "c0"
