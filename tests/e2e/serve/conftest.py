"""Peers for `awslogin serve` as people use it: podman running a container with an AWS
SDK (the real sshd for `ssh -R` is the shared `ssh_server` fixture), and a signed-in
oidc profile built as the serve integration tests build theirs (tests/support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peers import podman as podman_peer
from tests.peers.ci import require_peer
from tests.peers.oidc import OidcProvider
from tests.peers.sdk_container import SdkContainer
from tests.support.oidc_profile import oidc_environ, renew_through, sign_in_oidc

# The session of `renewing_env`: each sign-in ends this long after it (the renewal link
# goes out `--renew-before` earlier).
SESSION_SECONDS = 90


@pytest.fixture
def oidc_env(tmp_path: Path, oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """Profile `dev` (provider oidc) signed in; the environment of the commands."""
    env = oidc_environ(tmp_path, oidc_provider, sts.endpoint_url)
    sign_in_oidc(env, oidc_provider)
    return env


@pytest.fixture
def renewing_env(
    tmp_path: Path, oidc_provider: OidcProvider, sts: Any, relay_process: Any
) -> Iterator[dict[str, str]]:
    """Profile `dev` signed in, with a relay to renew through and a session of
    SESSION_SECONDS; STS's credentials last 60 s, so that serve fetches new ones
    all along and a client's SDK asks serve again at every call (botocore refreshes
    credentials that end within 15 minutes)."""
    env = oidc_environ(tmp_path, oidc_provider, sts.endpoint_url)
    relay = relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)
    renew_through(env, relay.url, SESSION_SECONDS)
    sts.credential_seconds = 60
    sign_in_oidc(env, oidc_provider)
    yield env
    sts.credential_seconds = None


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
