"""The checks of an authorization response, shared by every provider and the relay flow."""

from __future__ import annotations

import pytest

from awslogin.errors import ProviderError
from awslogin.flows.base import AuthorizationRequest
from awslogin.flows.callback import (
    check_callback,
    redirect_params,
    sign_in_refused,
    unheard_loopback_redirect,
)

pytestmark = pytest.mark.unit

REQUEST = AuthorizationRequest.for_code(
    "https://idp.example.test/auth?tenant=t",
    client_id="cli",
    redirect_uri="http://127.0.0.1:5555/oauth/callback",
    state="S" * 43,
    scope="openid",
)


def test_the_request_carries_what_the_token_request_repeats() -> None:
    assert REQUEST.url.startswith("https://idp.example.test/auth?tenant=t&response_type=code&")
    assert (REQUEST.client_id, REQUEST.redirect_uri) == (
        "cli",
        "http://127.0.0.1:5555/oauth/callback",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code": "c"}, "state mismatch"),
        ({"code": "c", "state": "S" * 42}, "state mismatch"),
        ({"code": "c", "state": "S" * 43, "iss": "https://evil.test"}, "iss mismatch"),
        ({"code": "c", "state": "S" * 43}, "lacks the issuer"),
        ({"state": "S" * 43, "iss": "https://idp.example.test"}, "no authorization code"),
        (
            {"state": "S" * 43, "error": "access_denied", "iss": "https://idp.example.test"},
            r"^sign-in was denied at the identity provider$",
        ),
    ],
)
def test_what_a_response_must_satisfy(params: dict[str, str], message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        check_callback(
            params,
            REQUEST,
            party="the identity provider",
            issuer="https://idp.example.test",
            issuer_promised=True,
        )


def test_a_good_response_gives_its_code_and_iss_is_optional_without_an_issuer() -> None:
    assert check_callback({"code": "c", "state": "S" * 43}, REQUEST, party="AWS Sign-In") == "c"


def test_refusals_are_one_line_whoever_sends_them() -> None:
    denied = sign_in_refused("access_denied", "User\nsaid no", party="AWS Sign-In")
    assert denied.message == "sign-in was denied at AWS Sign-In: User said no"
    failed = sign_in_refused("invalid_scope\r\n", "", party="IAM Identity Center")
    assert failed.message == "IAM Identity Center returned an error: invalid_scope"


def test_a_pasted_redirect_is_read_from_the_address_or_its_query_string() -> None:
    pasted = "  http://127.0.0.1:5555/oauth/callback?code=c-1&state=s-1&iss=https%3A%2F%2Fi  "
    assert redirect_params({"pasted": pasted}, REQUEST) == {
        "code": "c-1",
        "state": "s-1",
        "iss": "https://i",
    }
    assert redirect_params({"pasted": "?code=c-2&state=s-2"}, REQUEST) == {
        "code": "c-2",
        "state": "s-2",
    }
    # A redirect received by a listener is taken as it came.
    assert redirect_params({"code": "c-3", "state": "s"}, REQUEST) == {"code": "c-3", "state": "s"}


@pytest.mark.parametrize(
    "address",
    [
        "https://evil.example/oauth/callback?code=c&state=s",
        "http://127.0.0.1:5556/oauth/callback?code=c&state=s",  # another login's port
        "http://127.0.0.1:5555/callback?code=c&state=s",
        "https://127.0.0.1:5555/oauth/callback?code=c&state=s",
        "http://127.0.0.1:port/oauth/callback?code=c&state=s",
    ],
)
def test_a_pasted_address_must_be_the_requests_redirect(address: str) -> None:
    with pytest.raises(ProviderError, match="pasted text is not the") as refused:
        redirect_params({"pasted": address}, REQUEST)
    assert "code=c" not in refused.value.message  # the pasted text is never quoted back


def test_an_unheard_loopback_redirect_is_a_random_dynamic_port() -> None:
    redirects = {unheard_loopback_redirect() for _ in range(20)}
    assert len(redirects) > 1
    for redirect in redirects:
        assert redirect.startswith("http://127.0.0.1:")
        assert redirect.endswith("/oauth/callback")
        assert 49152 <= int(redirect.split(":")[2].split("/")[0]) <= 65535
