"""The awslogin relay as a real uvicorn process (`awslogin-relay`) on loopback.

The relay is started the way an operator starts it: the `awslogin-relay` console
script with settings in the environment. `restart()` keeps the port and settings, so
a test can check what survives a restart (nothing with the memory store; pending
pairings with a Redis store).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from tests.peers._process import (
    LOOPBACK,
    PeerProcess,
    ProcessPeer,
    free_port,
    http_ready,
)

SCRIPT = "awslogin-relay"
# The gauge of waiting long-polls (awslogin_relay/metrics.py).
LONG_POLLS_METRIC = "awslogin_relay_active_long_polls"


def relay_script() -> str | None:
    """The console script beside this interpreter (same environment), else on PATH."""
    beside = Path(sys.executable).parent / SCRIPT
    return str(beside) if beside.is_file() else shutil.which(SCRIPT)


def available() -> bool:
    """The console script is installed and its module exists."""
    try:
        has_module = importlib.util.find_spec("awslogin_relay.__main__") is not None
    except ModuleNotFoundError:
        has_module = False
    return has_module and relay_script() is not None


class RelayServer(ProcessPeer):
    """`awslogin-relay` on <host>:<free port>, ready once /healthz answers 200 there.

    `host` is 127.0.0.1, ::1, or the root side of a netns link (NetnsHost.root_address) when
    the host under test runs in a namespace. `env` adds to or overrides the defaults
    RELAY_HOST, RELAY_PORT and RELAY_PUBLIC_URL (http://<host>:<port>). `open_files`
    starts it under that (soft, hard) open-file limit (util-linux `prlimit`, which execs
    the relay: `pid` is the relay's).
    """

    missing = "awslogin-relay is not installed"
    installed = staticmethod(available)

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        host: str = LOOPBACK,
        open_files: tuple[int, int] | None = None,
    ) -> None:
        self.port = free_port()
        shown = f"[{host}]" if ":" in host else host  # an IPv6 listener such as ::1
        self.url = f"http://{shown}:{self.port}"
        self.env = {
            "RELAY_HOST": host,
            "RELAY_PORT": str(self.port),
            "RELAY_PUBLIC_URL": self.url,
            **(env or {}),
        }
        argv = [relay_script() or SCRIPT]
        if open_files is not None:  # (soft, hard) RLIMIT_NOFILE, as a service manager sets it
            argv = ["prlimit", f"--nofile={open_files[0]}:{open_files[1]}", *argv]
        self._process = PeerProcess(
            "relay",
            argv,
            env=self.env,
            ready=http_ready(f"{self.url}/healthz", ok_status=200),
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def log_path(self) -> Path:
        """Everything the relay wrote (its log lines, the audit, uvicorn's), for tests that
        check what it never logs."""
        return self._process.log_path

    def long_polls(self) -> int:
        """Long-polls waiting in this relay now, from its /metrics: tests wait on this
        instead of sleeping until a poll they started is surely waiting."""
        metrics = httpx.get(f"{self.url}/metrics", timeout=5, trust_env=False).text
        for line in metrics.splitlines():
            if line.startswith(f"{LONG_POLLS_METRIC} "):
                return int(float(line.split()[1]))
        return 0

    def restart(self) -> None:
        self.stop()
        self.start()


# What the `relay_process` fixture returns: call it with RELAY_* settings as keywords
# (and optionally host=...).
RelayFactory = Callable[..., RelayServer]
