"""`scripts/demo` plays the whole remote login with local peers and exits 0."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.peers import browser, oidc, relay, sts
from tests.peers.ci import require_peer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[3]
PEER_URL = re.compile(r"\| +(?:IdP|STS|relay) at http://127\.0\.0\.1:(\d+)$", re.MULTILINE)


def test_demo_signs_in_remotely_prints_each_step_and_stops_its_peers() -> None:
    for module, what in ((oidc, "node-oidc-provider"), (sts, "moto[server]")):
        require_peer(module.available(), what)
    require_peer(relay.available(), "awslogin-relay")
    require_peer(browser.available(), "/usr/bin/chromium with playwright")
    demo = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        out, err = demo.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        demo.send_signal(signal.SIGTERM)  # the demo stops its peers on SIGTERM
        out, err = demo.communicate(timeout=30)
    assert demo.returncode == 0, out + err

    assert "phone | scans the QR code in the terminal: http://127.0.0.1:" in out
    assert re.search(r"host {2}\| +Check that the page shows this code: +(\S+)", out)
    assert re.search(r"phone \| page \"Is this your terminal\?\" shows the code \S+", out)
    assert "phone | the relay bound this sign-in to the phone's browser" in out
    assert "host  | Signed in as arn:aws:sts::123456789012:assumed-role/dev/alice" in out
    assert '"Arn": "arn:aws:sts::123456789012:assumed-role/dev/alice"' in out
    assert "STS was given the IdP's signed ID token: " in out
    assert out.rstrip().endswith("done: signed in remotely and called AWS with profile dev")
    # Every peer the demo started is gone: nothing answers on their ports any more.
    ports = [int(port) for port in PEER_URL.findall(out)]
    assert len(ports) == 3, out
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
