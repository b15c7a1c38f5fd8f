"""OIDC discovery: an endpoint that is no web address is refused."""

from __future__ import annotations

import httpx
import pytest
import respx

from awslogin.errors import ProviderError
from awslogin.providers.oidc_discovery import discover

pytestmark = pytest.mark.unit


ISSUER = "https://idp.example.test"


@pytest.mark.parametrize(
    "endpoint", ["https://idp.example.test/tok\x1b[2J", "javascript:alert(1)", "/token", 5]
)
def test_a_discovery_endpoint_that_is_no_web_address_is_refused(endpoint: object) -> None:
    metadata = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": endpoint,
        "jwks_uri": f"{ISSUER}/jwks",
    }
    with respx.mock() as router, httpx.Client() as client:
        router.get(f"{ISSUER}/.well-known/openid-configuration").respond(json=metadata)
        with pytest.raises(ProviderError, match="no usable token_endpoint"):
            discover(client, ISSUER)
