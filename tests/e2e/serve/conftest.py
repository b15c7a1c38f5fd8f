"""Peers for `awslogin serve` as people use it: podman running a container with an AWS
SDK (the real sshd for `ssh -R` is the shared `ssh_server` fixture). A signed-in oidc
profile comes from the serve integration tests' fixtures."""

from __future__ import annotations

import pytest

from tests.integration.serve.conftest import cli_env, oidc_cache, oidc_env
from tests.peers import podman as podman_peer
from tests.peers.ci import require_peer
from tests.peers.sdk_container import SdkContainer

__all__ = ["cli_env", "oidc_cache", "oidc_env"]  # fixtures, used by name in this folder


@pytest.fixture(scope="session")
def sdk_container(_peer_scratch: None) -> SdkContainer:
    """podman with a Debian image that has python3-boto3 (built once, kept in .peers/)."""
    why = podman_peer.missing()
    require_peer(why is None, f"podman ({why})")
    container = SdkContainer(podman_peer.Podman())
    container.ensure_image()
    return container
