"""The netns helper: the namespace reaches the root side of its link and nothing else,
and nothing it serves is reachable from the root namespace (the host needs no inbound
connection)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.peers.netns import NetnsHost
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(60)]

_FETCH = """
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
"""
_CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
    print("connected")
except OSError as exc:
    print(type(exc).__name__, exc.errno)
"""
_LISTEN = """
import socket, sys
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
print("listening", flush=True)
sys.stdin.read()
"""


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the root namespace"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


def _serve(address: str) -> Iterator[int]:
    server = ThreadingHTTPServer((address, 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def root_link_server(netns_host: NetnsHost) -> Iterator[int]:
    """An HTTP server on the root side of the namespace's link."""
    yield from _serve(netns_host.root_address)


@pytest.fixture
def root_loopback_server() -> Iterator[int]:
    yield from _serve("127.0.0.1")


def test_the_namespace_reaches_a_server_on_the_root_side_of_its_link(
    netns_host: NetnsHost, root_link_server: int
) -> None:
    url = f"http://{netns_host.root_address}:{root_link_server}/"
    result = netns_host.run([sys.executable, "-c", _FETCH, url])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello from the root namespace"


def test_the_namespace_cannot_reach_root_loopback_or_other_networks(
    netns_host: NetnsHost, root_loopback_server: int
) -> None:
    own_loopback = netns_host.run(
        [sys.executable, "-c", _CONNECT, "127.0.0.1", str(root_loopback_server)]
    )
    assert own_loopback.stdout.split()[0] == "ConnectionRefusedError"
    # No default route: anything outside the /30 is unreachable without sending a packet.
    elsewhere = netns_host.run([sys.executable, "-c", _CONNECT, "192.0.2.1", "80"])
    assert elsewhere.stdout.split()[0] == "OSError"
    assert elsewhere.stdout.split()[1] == "101"  # ENETUNREACH


def test_a_server_inside_the_namespace_is_not_reachable_from_the_root(
    netns_host: NetnsHost, free_port: int
) -> None:
    inside = subprocess.Popen(
        netns_host.argv([sys.executable, "-c", _LISTEN, str(free_port)]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert inside.stdout is not None
        assert inside.stdout.readline().strip() == "listening"
        for address in ("127.0.0.1", netns_host.netns_address):
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((address, free_port), timeout=3).close()
    finally:
        inside.kill()
        inside.wait()


def test_leaving_the_context_deletes_the_namespace_and_its_processes() -> None:
    from tests.peers.ci import require_peer
    from tests.peers.netns import netns_available

    require_peer(netns_available(), "network namespaces (root + iproute2)")
    with NetnsHost() as host:
        sleeper = subprocess.Popen(host.argv(["sleep", "300"]))
        name, interface = host.name, host.root_interface

        def inside() -> bool:
            listed = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
            return str(sleeper.pid) in listed.stdout.split()

        wait_until(inside, "the sleeper inside the namespace")  # a loaded machine is slow
    assert sleeper.wait(timeout=5) != 0
    assert (
        name not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    )
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert interface not in links
