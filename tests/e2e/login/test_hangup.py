"""An SSH session that drops while `awslogin login --remote` waits: sshd hangs the session
up, the host gets SIGHUP, and the pairing is cancelled on the relay at once instead of
staying live for ten minutes. A real sshd on 127.0.0.1, `ssh -tt` (the host has a real
pseudo-terminal, as a person's session does), the real relay."""

from __future__ import annotations

import os
import re
import shlex
import signal
import time

import httpx
import pytest

from tests.e2e.host import HostProcess
from tests.e2e.journey import remote_login_argv
from tests.peers.relay import RelayServer
from tests.peers.sshd import SshServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# What the remote command needs of the host's environment (a session starts empty).
_PASSED = (
    "HOME",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWSLOGIN_CACHE_DIR",
    "AWS_ENDPOINT_URL_STS",
    "PATH",
    "PYTHONPATH",
    "LANG",
)
# On a pty, lines end in \r\n.
LINK = re.compile(r"^ {6}(http://\S+/p/(\w+))\r?$")
CODE = re.compile(r"Check that the page shows this code:\s+\S+")


def test_a_dropped_ssh_session_cancels_the_pairing(
    configured: bytes,
    host_env: dict[str, str],
    idp_relay_process: RelayServer,
    ssh_server: SshServer,
) -> None:
    passed = " ".join(
        f"{name}={shlex.quote(value)}" for name, value in host_env.items() if name in _PASSED
    )
    command = f"exec env {passed} TERM=xterm {shlex.join(remote_login_argv('--no-qr'))}"
    with HostProcess(ssh_server.ssh_argv(command, tty=True), host_env) as ssh:
        link = ssh.wait_for(LINK, stream="stdout")
        ssh.wait_for(CODE, stream="stdout")
        pairing_id = link.group(2)
        status = f"{idp_relay_process.url}/p/{pairing_id}/status"
        assert httpx.get(status).json()["status"] == "pending"
        os.kill(ssh.pid, signal.SIGKILL)  # the connection drops, as a closed laptop's does
        deadline = time.monotonic() + 15
        while httpx.get(status).json()["status"] != "cancelled":
            assert time.monotonic() < deadline, "the pairing was not cancelled"
            time.sleep(0.1)
