"""Signed-in profiles of each provider for the serve and exec tests.

`cli_env` (provider oidc, node-oidc-provider and the STS peer) comes from the CLI tests'
conftest; the aws-signin and sso sessions from the fakes the provider tests use.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.integration.cli.conftest import cli_env, finish_at_idp, in_background
from tests.integration.serve.token_proxy import TokenProxy, token_proxy_for
from tests.integration.sso.conftest import sso_env, sso_fake
from tests.peers.oidc import OidcProvider

__all__ = ["cli_env", "sso_env", "sso_fake"]  # fixtures, used by name in this folder


def sign_in_oidc(env: dict[str, str], oidc_provider: OidcProvider) -> None:
    def browser(url: str) -> bool:
        in_background(lambda: httpx.get(finish_at_idp(oidc_provider, url), timeout=10))
        return True

    login(
        LoginOptions(profile="dev", timeout=30),
        env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=browser,
    )


@pytest.fixture
def oidc_env(cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any) -> dict[str, str]:
    """Profile `dev` (provider oidc) signed in; the environment of the commands."""
    sign_in_oidc(cli_env, oidc_provider)
    return cli_env


@pytest.fixture
def oidc_cache(oidc_env: dict[str, str]) -> Path:
    return Path(oidc_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"


@pytest.fixture
def token_proxy(oidc_provider: OidcProvider) -> Iterator[TokenProxy]:
    with token_proxy_for(oidc_provider.token_endpoint) as proxy:
        yield proxy
