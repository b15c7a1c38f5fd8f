"""Fixtures shared by the end-to-end folders: a host with a home of its own, pointed at
the session's real peers, and `awslogin login --remote` started on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.host import HostHome, HostProcess, StartLogin
from tests.e2e.journey import remote_login_argv
from tests.peers.sts import StsPeer


@pytest.fixture
def host_home(tmp_path: Path) -> HostHome:
    return HostHome(tmp_path / "host")


@pytest.fixture
def host_env(host_home: HostHome, sts: StsPeer) -> dict[str, str]:
    """The host's shell: own HOME, config and cache; STS at the proxy; no display."""
    return host_home.environ(sts.endpoint_url)


@pytest.fixture
def start_login(host_env: dict[str, str]) -> Iterator[StartLogin]:
    """Start `awslogin login --remote --profile dev [extra...]`; killed after the test."""
    started: list[HostProcess] = []

    def start(*extra: str, env: dict[str, str] | None = None, **options: Any) -> HostProcess:
        host = HostProcess(remote_login_argv(*extra, **options), env or host_env)
        started.append(host)
        return host.start()

    try:
        yield start
    finally:
        for host in started:
            host.stop()
