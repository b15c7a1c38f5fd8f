"""Fixtures shared by the integration folders: hosts whose profile `dev` points at the
shared peers or at a fake, and the token proxy in front of the IdP.

The builders behind them live in tests/support (one home per concept); the peers
themselves come from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.federation import FederationFake, run_federation_fake
from tests.fakes.sso import FakeSettings, SsoFake, run_sso_fake
from tests.peers.oidc import OidcProvider
from tests.support.oidc_profile import oidc_environ
from tests.support.sso_profile import sso_environ
from tests.support.token_proxy import TokenProxy, token_proxy_for


@pytest.fixture
def cli_env(tmp_path: Path, oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """A config with profile `dev` for the OIDC peer and STS peer; a private cache dir."""
    return oidc_environ(tmp_path, oidc_provider, sts.endpoint_url)


@pytest.fixture
def token_proxy(oidc_provider: OidcProvider) -> Iterator[TokenProxy]:
    """A counting proxy in front of the IdP's token endpoint (tests/support/token_proxy.py)."""
    with token_proxy_for(oidc_provider.token_endpoint) as proxy:
        yield proxy


@pytest.fixture
def sso_fake(sts: Any) -> Iterator[SsoFake]:
    """IAM Identity Center whose role credentials moto STS mints for the signed-in user."""
    with run_sso_fake(FakeSettings(sts_url=sts.endpoint_url)) as fake:
        yield fake


@pytest.fixture
def sso_env(tmp_path: Path, sso_fake: SsoFake) -> dict[str, str]:
    """Profiles dev, dev-ro and prod of one sso-session at the fake; HOME under tmp_path."""
    return sso_environ(tmp_path, sso_fake)


@pytest.fixture
def federation_fake() -> Iterator[FederationFake]:
    """The AWS federation endpoint's fake (tests/fakes/federation)."""
    with run_federation_fake() as fake:
        yield fake
