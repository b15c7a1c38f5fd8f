"""The IAM Identity Center portal's answers that are no sane answer: error fields that are
no text, pages in circles, lists that are no list, expirations out of this world."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from awslogin.errors import ProviderError
from awslogin.providers.sso_api import PortalClient, SsoOidcClient, SsoOidcError

pytestmark = pytest.mark.unit


PORTAL = "https://portal.sso.us-east-1.amazonaws.com"


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
