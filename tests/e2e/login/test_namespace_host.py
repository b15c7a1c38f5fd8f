"""The host in its own network namespace: it signs in with outbound connections only.

Layout, made by the test: a namespace joined to the root namespace by a veth /30 and
with no default route (tests/peers/netns.py). The IdP, STS and the relay run on
127.0.0.1 of the root namespace, where the browser reaches them; the same ports on the
root side of the link forward to them (tests/e2e/forwarder.py), like a router in front
of public services. Inside the namespace, the name `localhost` is mapped to that root
address (`ip netns exec` reads /etc/netns/<name>/hosts), so host and browser use the
same URLs — http://localhost:<port> — and the CLI's rule "plain http only for a local
relay or IdP" holds on both sides. Nothing listens inside the namespace and nothing in
the root namespace can connect into it: the login still completes.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.e2e.forwarder import PortForwarder
from tests.e2e.host import HostHome, HostProcess
from tests.e2e.journey import (
    SIGNED_IN_LINE,
    USER,
    WAITING_LINE,
    configure_profile,
    read_sign_in_screen,
    remote_login_argv,
    sign_in_on_phone,
)
from tests.peers.netns import NetnsHost
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory, RelayServer
from tests.peers.sts import StsPeer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@dataclass(frozen=True)
class RemotePeers:
    idp: OidcProvider
    sts: StsPeer
    relay: RelayServer


@pytest.fixture
def localhost_is_the_link(netns_host: NetnsHost) -> Iterator[None]:
    """Inside the namespace, `localhost` resolves to the root side of its link."""
    folder = Path("/etc/netns") / netns_host.name
    folder.mkdir(parents=True, exist_ok=False)
    try:
        (folder / "hosts").write_text(f"{netns_host.root_address} localhost\n")
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def remote_peers(
    netns_host: NetnsHost, relay_process: RelayFactory, _peer_scratch: None
) -> Iterator[RemotePeers]:
    """IdP, STS and relay named http://localhost:<port>, reachable from the namespace."""
    with ExitStack() as stack:
        idp = stack.enter_context(OidcProvider(host="localhost"))
        sts = stack.enter_context(
            StsPeer(issuer=idp.issuer, audience=idp.client_id, jwks_uri=idp.jwks_uri)
        )
        relay = relay_process(host="localhost", RELAY_ALLOWED_ORIGINS=idp.issuer)
        sts_port = urlsplit(sts.endpoint_url).port
        assert sts_port is not None
        for port in (idp.port, relay.port, sts_port):
            stack.enter_context(PortForwarder(netns_host.root_address, port))
        yield RemotePeers(idp=idp, sts=sts, relay=relay)


def listening_sockets(netns_host: NetnsHost) -> str:
    listed = netns_host.run(["ss", "-Htuln"])
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.strip()


def test_host_in_a_namespace_signs_in_with_outbound_connections_only(
    netns_host: NetnsHost,
    localhost_is_the_link: None,
    remote_peers: RemotePeers,
    tmp_path: Path,
    page: Page,
) -> None:
    idp, sts, relay = remote_peers.idp, remote_peers.sts, remote_peers.relay
    sts_port = urlsplit(sts.endpoint_url).port
    env = HostHome(tmp_path / "host").environ(f"http://localhost:{sts_port}")
    configure_profile(env, issuer=idp.issuer, client_id=idp.client_id, relay=relay.url)

    with HostProcess(remote_login_argv(prefix=netns_host.argv([])), env) as host:
        screen = read_sign_in_screen(host)
        assert screen.url.startswith(f"http://localhost:{relay.port}/p/")
        host.wait_for(WAITING_LINE)

        # While the host waits: it holds a connection out to the relay's forwarded port...
        established = netns_host.run(["ss", "-Htn", "state", "established"]).stdout
        assert f"{netns_host.root_address}:{relay.port}" in established
        # ...nothing listens anywhere in its namespace...
        assert listening_sockets(netns_host) == ""
        # ...and the browser's side cannot open a connection into the namespace.
        for port in (relay.port, idp.port):
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((netns_host.netns_address, port), timeout=5).close()

        sign_in_on_phone(page, screen, idp.issuer)
        assert host.wait(timeout=30) == 0, host.transcript()
        host.wait_for(SIGNED_IN_LINE, stream="stdout")

    assert [claims["sub"] for claims in sts.received] == [USER]
    assert sts.received[0]["iss"] == idp.issuer
