"""A signed-in oidc profile for the serve and exec tests (`cli_env`, `sso_env` and
`token_proxy` come from tests/integration/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.peers.oidc import OidcProvider
from tests.support.oidc_profile import sign_in_oidc


@pytest.fixture
def oidc_env(cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """Profile `dev` (provider oidc) signed in; the environment of the commands."""
    sign_in_oidc(cli_env, oidc_provider)
    return cli_env


@pytest.fixture
def oidc_cache(oidc_env: dict[str, str]) -> Path:
    return Path(oidc_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
