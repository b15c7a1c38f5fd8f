"""A host with a configured profile, pointed at the session's real peers.

The peers (node-oidc-provider, moto STS behind the token-checking proxy, the relay
process, Chromium) come from tests/conftest.py; here they are only wired to one host.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.host import StartLogin
from tests.e2e.journey import (
    SIGNED_IN_LINE,
    configure_profile,
    read_sign_in_screen,
    sign_in_on_phone,
)
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory, RelayServer


@pytest.fixture
def idp_relay_process(relay_process: RelayFactory, oidc_provider: OidcProvider) -> RelayServer:
    """`awslogin-relay` with its defaults, allowed to send browsers to the IdP only."""
    return relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)


@pytest.fixture
def configured(
    host_env: dict[str, str], oidc_provider: OidcProvider, idp_relay_process: RelayServer
) -> bytes:
    """Run `awslogin configure` for profile dev; the config file as it wrote it."""
    configure_profile(
        host_env,
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        relay=idp_relay_process.url,
    )
    return Path(host_env["AWS_CONFIG_FILE"]).read_bytes()


@pytest.fixture
def signed_in(
    configured: bytes,
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
    idp_relay_process: RelayServer,
) -> str:
    """Profile dev after a whole remote login on the phone; the assumed-role ARN."""
    host = start_login()
    screen = read_sign_in_screen(host)
    sign_in_on_phone(page, screen, oidc_provider.issuer)
    assert host.wait(timeout=30) == 0, host.transcript()
    return host.wait_for(SIGNED_IN_LINE, stream="stdout").group(1)
