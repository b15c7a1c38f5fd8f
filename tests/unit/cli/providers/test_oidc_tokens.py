"""The token endpoint: an answer that asks to come back later means unavailable."""

from __future__ import annotations

import httpx
import pytest
import respx

from awslogin.errors import Unavailable
from awslogin.providers.oidc_tokens import token_request

pytestmark = pytest.mark.unit


ISSUER = "https://idp.example.test"


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_token_endpoint_that_asks_to_come_back_later_is_unavailable(status: int) -> None:
    """So that a device code's poll waits through it instead of ending the login."""
    with respx.mock() as router, httpx.Client() as client:
        router.post(f"{ISSUER}/token").respond(status, headers={"Retry-After": "3"})
        with pytest.raises(Unavailable) as failure:
            token_request(client, f"{ISSUER}/token", {"grant_type": "x"}, refreshing_for=None)
    assert failure.value.retry_after == 3
