"""A host's profile `dev` for the oidc provider, pointed at the shared peers
(node-oidc-provider and moto STS behind the token-checking proxy), and its person who
signs in at the IdP."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.peers.oidc import OidcProvider
from tests.support.background import in_background
from tests.support.host import DESKTOP, host_environ
from tests.support.token_proxy import TokenProxy, route_refreshes

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
USER = "alice"
# Credentials that end this soon are inside the CLI's 5-minute refresh margin.
NEAR_EXPIRY_SECONDS = 60


def oidc_environ(tmp_path: Path, oidc_provider: OidcProvider, sts_endpoint: str) -> dict[str, str]:
    """A config with profile `dev` for the OIDC peer and STS peer; a private cache dir."""
    config = tmp_path / "config"
    config.write_text(
        "# written by the test\n[profile dev]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {oidc_provider.issuer}\n"
        f"awslogin_client_id = {oidc_provider.client_id}\n"
        f"awslogin_role_arn = {ROLE_ARN}\nregion = us-east-1\n"
        "credential_process = awslogin credential-process --profile dev\n"
    )
    return host_environ(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWSLOGIN_CACHE_DIR=str(tmp_path / "cache"),
        AWS_ENDPOINT_URL_STS=sts_endpoint,
        **DESKTOP,
    )


def finish_at_idp(oidc_provider: OidcProvider, authorize_url: str, *, deny: bool = False) -> str:
    """Sign in (or cancel) at the IdP; the URL the IdP sends the browser back to."""
    return oidc_provider.complete_login(authorize_url, USER, deny=deny)


def sign_in_oidc(env: dict[str, str], oidc_provider: OidcProvider) -> Path:
    """Same-device login of profile `dev`, in process, the person answering in a browser
    of their own (loopback redirect); the session's cache file."""

    def browser(url: str) -> bool:
        in_background(lambda: httpx.get(finish_at_idp(oidc_provider, url), timeout=10))
        return True

    login(
        LoginOptions(profile="dev", timeout=30),
        env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=browser,
    )
    return Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"


def signed_in_near_expiry(
    env: dict[str, str], oidc_provider: OidcProvider, token_proxy: TokenProxy
) -> Path:
    """Profile dev signed in, its credentials due for refresh through the proxy."""
    cache = sign_in_oidc(env, oidc_provider)
    route_refreshes(cache, token_proxy, expires_in=NEAR_EXPIRY_SECONDS)
    return cache


def renew_through(env: dict[str, str], relay_url: str, session_seconds: int) -> None:
    """Give profile dev a relay to renew through and a session that ends `session_seconds`
    after each sign-in (`awslogin_session_limit`); sign in after this."""
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text()
        + f"awslogin_relay = {relay_url}\nawslogin_session_limit = {session_seconds}\n"
    )


def session_started(env: dict[str, str]) -> int:
    """When profile dev's saved session was signed in (a renewal saves a later one)."""
    cache = Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    return int(json.loads(cache.read_text())["session"]["startedAt"])
