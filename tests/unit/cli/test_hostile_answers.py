"""What an identity provider or AWS may send that is well-formed HTTP but no sane answer:
each ends in one clear error (or is taken for what it can mean), never an exception."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

from awslogin.adapters.http import json_answer
from awslogin.crypto.jwt_claims import id_token_claims
from awslogin.errors import ProviderError, Unavailable
from awslogin.providers.oidc_discovery import discover
from awslogin.providers.oidc_tokens import token_request
from awslogin.providers.sso_api import PortalClient, SsoOidcClient, SsoOidcError

pytestmark = pytest.mark.unit

ISSUER = "https://idp.example.test"
PORTAL = "https://portal.sso.us-east-1.amazonaws.com"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_with_a_non_finite_number_is_no_answer(constant: str) -> None:
    with pytest.raises(ValueError, match="no number"):
        json_answer(httpx.Response(200, content=f'{{"expires_in": {constant}}}'.encode()))


def test_an_id_token_nested_too_deep_reads_as_no_claims() -> None:
    payload = base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=").decode()
    assert id_token_claims(f"e30.{payload}.sig") == {}


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


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_token_endpoint_that_asks_to_come_back_later_is_unavailable(status: int) -> None:
    """So that a device code's poll waits through it instead of ending the login."""
    with respx.mock() as router, httpx.Client() as client:
        router.post(f"{ISSUER}/token").respond(status, headers={"Retry-After": "3"})
        with pytest.raises(Unavailable) as failure:
            token_request(client, f"{ISSUER}/token", {"grant_type": "x"}, refreshing_for=None)
    assert failure.value.retry_after == 3


@pytest.mark.parametrize("error", [5, ["x"], {"a": 1}, None])
def test_an_error_field_that_is_no_text_is_told_by_its_status(error: object) -> None:
    endpoint = "https://oidc.us-east-1.amazonaws.com"
    with respx.mock() as router, httpx.Client() as client:
        router.post(f"{endpoint}/token").respond(400, json={"error": error})
        with pytest.raises(SsoOidcError) as failure:
            SsoOidcClient(client, endpoint).create_token({"grantType": "x"})
    assert failure.value.error == "HTTP 400"


def test_a_portal_that_pages_in_circles_ends_with_what_it_sent() -> None:
    page = {"accountList": [{"accountId": "123456789012", "accountName": "a"}], "nextToken": "t"}
    with respx.mock() as router, httpx.Client() as client:
        route = router.get(f"{PORTAL}/assignment/accounts").respond(json=page)
        accounts = PortalClient(client, PORTAL).list_accounts("token")
    assert [account.account_id for account in accounts] == ["123456789012"] * 2
    assert route.call_count == 2  # the first page, then the repeated token: no third


def test_a_portal_list_that_is_no_list_reads_as_empty() -> None:
    with respx.mock() as router, httpx.Client() as client:
        router.get(f"{PORTAL}/assignment/accounts").respond(json={"accountList": 5})
        assert PortalClient(client, PORTAL).list_accounts("token") == []


@pytest.mark.parametrize("expiration", [1e300, -1, 10**400])
def test_role_credentials_expiring_out_of_this_world_are_refused(expiration: object) -> None:
    body = json.dumps(
        {
            "roleCredentials": {
                "accessKeyId": "AKIA",
                "secretAccessKey": "s",
                "sessionToken": "t",
                "expiration": expiration,
            }
        }
    )
    with respx.mock() as router, httpx.Client() as client:
        router.get(f"{PORTAL}/federation/credentials").respond(content=body.encode())
        with pytest.raises(ProviderError, match="incomplete role credentials"):
            PortalClient(client, PORTAL).get_role_credentials("token", "123456789012", "dev")
