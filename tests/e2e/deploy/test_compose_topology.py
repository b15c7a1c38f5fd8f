"""docker-compose.yml for real: Caddy (TLS, its local CA) in front of two relay replicas
sharing Redis, each a podman container (tests/peers/compose.py says what is translated).

A person signs in through Caddy's https address: `awslogin login --remote` trusting
only Caddy's root certificate, Chromium as the phone, node-oidc-provider and STS. While
the host's long-poll waits, the replica holding it is killed (SIGKILL, no goodbye), and
the login still completes on the other replica.
"""

from __future__ import annotations

import re
import shutil
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from tests.e2e.host import HostHome, HostProcess
from tests.e2e.journey import (
    SIGNED_IN_LINE,
    WAITING_LINE,
    configure_profile,
    read_sign_in_screen,
    remote_login_argv,
    sign_in_on_phone,
)
from tests.peers.ci import require_containers
from tests.peers.compose import ComposeTopology
from tests.peers.oidc import OidcProvider
from tests.peers.podman import Images, Podman
from tests.peers.sts import StsPeer
from tests.support.reporting import Say

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

# Long enough that the request is well past Caddy's first try at an upstream.
WAIT_BEFORE_KILL = 6.0
_LONG_POLLS = re.compile(r"^awslogin_relay_active_long_polls (\S+)$", re.MULTILINE)


def waiting_long_polls(url: str) -> float:
    metrics = httpx.get(f"{url}/metrics", timeout=5).text
    match = _LONG_POLLS.search(metrics)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def compose(podman: Podman, images: Images, tmp_path: Path) -> Iterator[ComposeTopology]:
    require_containers(
        None
        if shutil.which("docker-compose")
        else "docker-compose is not installed (apt-get install docker-compose)"
    )
    with ComposeTopology(podman, images, tmp_path / "compose") as topology:
        yield topology


@pytest.fixture
def idp(compose: ComposeTopology) -> Iterator[OidcProvider]:
    """An IdP that knows the proxy's https callback (its port is chosen per run): a web
    client, since native ones may not claim an https URI on a loopback address."""
    callback = f"{compose.url}/callback"
    with OidcProvider(redirect_uris=(callback,), application_type="web") as provider:
        yield provider


@pytest.fixture
def idp_sts(idp: OidcProvider) -> Iterator[StsPeer]:
    with StsPeer(issuer=idp.issuer, audience=idp.client_id, jwks_uri=idp.jwks_uri) as peer:
        yield peer


def test_login_through_caddy_to_two_replicas_survives_killing_the_waiting_one(
    compose: ComposeTopology,
    idp: OidcProvider,
    idp_sts: StsPeer,
    browser: Browser,
    tmp_path: Path,
    say: Say,
) -> None:
    compose.start(allowed_origins=idp.issuer)
    trusting = ssl.create_default_context(cafile=str(compose.ca))
    health = httpx.get(f"{compose.url}/healthz", verify=trusting, timeout=5)
    assert health.status_code == 200
    assert "max-age=63072000" in health.headers["strict-transport-security"]
    for container in compose.relays.values():
        checked = container.healthcheck()
        assert checked.returncode == 0, checked.stdout + checked.stderr

    # The host trusts Caddy's local CA and nothing else for the relay.
    env = HostHome(tmp_path / "host").environ(idp_sts.endpoint_url, SSL_CERT_FILE=str(compose.ca))
    configure_profile(env, issuer=idp.issuer, client_id=idp.client_id, relay=compose.url)
    with HostProcess(remote_login_argv(), env) as host:
        screen = read_sign_in_screen(host)
        assert screen.url.startswith(f"{compose.url}/p/")
        host.wait_for(WAITING_LINE)
        time.sleep(WAIT_BEFORE_KILL)
        holding = [
            name for name in compose.relays if waiting_long_polls(compose.relay_url(name)) >= 1
        ]
        assert len(holding) == 1, f"the host's long-poll is on {holding}"
        (victim,) = holding
        compose.relays[victim].kill()
        say(f"\ncompose: killed {victim} while it held the host's long-poll")

        # The phone: Caddy's local CA is not in Chromium's store, the page is still https.
        context = browser.new_context(locale="en-US", ignore_https_errors=True)
        try:
            sign_in_on_phone(context.new_page(), screen, idp.issuer, login="frank")
        finally:
            context.close()
        assert host.wait(timeout=90) == 0, host.transcript()
        assert host.wait_for(SIGNED_IN_LINE, stream="stdout")
    assert [claims["sub"] for claims in idp_sts.received] == ["frank"]
    survivor = next(name for name in compose.relays if name != victim)
    assert compose.relays[survivor].running
    assert not compose.relays[victim].running
    for container in compose.relays.values():
        assert "Traceback" not in container.logs()
