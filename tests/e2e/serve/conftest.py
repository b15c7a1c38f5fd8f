"""Peers for `awslogin serve` as people use it: podman running a container with an AWS
SDK (the real sshd for `ssh -R` is the shared `ssh_server` fixture), and a signed-in
oidc profile built as the serve integration tests build theirs (tests/support)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.peers import podman as podman_peer
from tests.peers.ci import require_peer
from tests.peers.oidc import OidcProvider
from tests.peers.sdk_container import SdkContainer
from tests.support.oidc_profile import oidc_environ, sign_in_oidc


@pytest.fixture
def oidc_env(tmp_path: Path, oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """Profile `dev` (provider oidc) signed in; the environment of the commands."""
    env = oidc_environ(tmp_path, oidc_provider, sts.endpoint_url)
    sign_in_oidc(env, oidc_provider)
    return env


@pytest.fixture
def oidc_cache(oidc_env: dict[str, str]) -> Path:
    return Path(oidc_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"


@pytest.fixture(scope="session")
def sdk_container(_peer_scratch: None) -> SdkContainer:
    """podman with a Debian image that has python3-boto3 (built once, kept in .peers/)."""
    why = podman_peer.missing()
    require_peer(why is None, f"podman ({why})")
    container = SdkContainer(podman_peer.Podman())
    container.ensure_image()
    return container
