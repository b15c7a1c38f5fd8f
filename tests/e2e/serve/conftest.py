"""Peers for `awslogin serve` as people use it: a real sshd for `ssh -R`, and podman
running a container with an AWS SDK. A signed-in oidc profile comes from the serve
integration tests' fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.serve.conftest import cli_env, oidc_cache, oidc_env
from tests.peers import podman as podman_peer
from tests.peers import sshd as sshd_peer
from tests.peers.ci import require_peer
from tests.peers.sdk_container import SdkContainer

__all__ = ["cli_env", "oidc_cache", "oidc_env"]  # fixtures, used by name in this folder


@pytest.fixture(scope="session")
def ssh_server(_peer_scratch: None) -> Iterator[sshd_peer.SshServer]:
    """Debian's sshd on a free 127.0.0.1 port, logging in this user with a test key."""
    require_peer(sshd_peer.available(), "openssh-server (sshd, as root)")
    with sshd_peer.SshServer() as server:
        yield server


@pytest.fixture(scope="session")
def sdk_container(_peer_scratch: None) -> SdkContainer:
    """podman with a Debian image that has python3-boto3 (built once, kept in .peers/)."""
    why = podman_peer.missing()
    require_peer(why is None, f"podman ({why})")
    container = SdkContainer(podman_peer.Podman())
    container.ensure_image()
    return container
