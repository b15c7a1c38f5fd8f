"""The environment `awslogin` runs in as a test's host: the runner's variables minus those
that would change what the CLI does, and the `awslogin` script of this interpreter."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

# Variables of the test runner that would change what the host does: its AWS and
# awslogin settings, an SSH session (which turns on remote login), a browser or display.
DROPPED_PREFIXES = ("AWS_", "AWSLOGIN_", "SSH_")
DROPPED = frozenset({"BROWSER", "DISPLAY"})

# A desktop on the host (so the CLI may open a browser), and peers reached directly.
DESKTOP = {"DISPLAY": ":0", "NO_PROXY": "127.0.0.1,localhost"}


def bin_dir() -> Path:
    """Where this interpreter's console scripts (awslogin, aws, awslogin-relay) live."""
    return Path(sys.executable).parent


def awslogin_script() -> str:
    """The console script installed beside this interpreter."""
    return str(bin_dir() / "awslogin")


def host_environ(*, also_dropped: Iterable[str] = (), **settings: str) -> dict[str, str]:
    """The runner's environment without its AWS, awslogin, SSH and display variables
    (nor `also_dropped`), this interpreter's scripts first on PATH, then `settings`."""
    dropped = DROPPED | frozenset(also_dropped)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(DROPPED_PREFIXES) and key not in dropped
    }
    env["PATH"] = f"{bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"
    env.update(settings)
    return env
