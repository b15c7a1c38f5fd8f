"""The OpenID provider peer: discovery, headless login with PKCE, deny, loopback ports,
device codes, the refresh tokens it issued and whether they still work."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.peers.ci import require_peer
from tests.peers.oidc import LoginError, OidcProvider, available, pkce_pair

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _authorize(provider: OidcProvider, redirect_uri: str) -> tuple[str, str, str]:
    """(authorize URL, state, verifier) for a fresh PKCE request."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    url = provider.authorize_url(
        redirect_uri=redirect_uri, state=state, code_challenge=challenge, nonce="n-123"
    )
    return url, state, verifier


def _exchange(
    provider: OidcProvider, code: str, verifier: str, redirect_uri: str
) -> httpx.Response:
    return httpx.post(
        provider.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": provider.client_id,
            "code_verifier": verifier,
        },
    )


def _verified_id_token(provider: OidcProvider, id_token: str) -> dict[str, Any]:
    key = jwt.PyJWKClient(provider.jwks_uri).get_signing_key_from_jwt(id_token)
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience=provider.client_id,
        issuer=provider.issuer,
    )
    return claims


def test_discovery_describes_a_pkce_s256_provider(oidc_provider: OidcProvider) -> None:
    discovery = httpx.get(f"{oidc_provider.issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == oidc_provider.issuer
    assert discovery["jwks_uri"] == oidc_provider.jwks_uri
    assert discovery["token_endpoint"] == oidc_provider.token_endpoint
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["authorization_response_iss_parameter_supported"] is True


def test_headless_login_gives_a_code_that_pkce_exchanges(oidc_provider: OidcProvider) -> None:
    redirect_uri = "http://127.0.0.1:49152/callback"
    url, state, verifier = _authorize(oidc_provider, redirect_uri)

    final = oidc_provider.complete_login(url, "alice")

    assert final.startswith(redirect_uri + "?")
    params = _query(final)
    assert params["state"] == state
    assert params["iss"] == oidc_provider.issuer
    wrong_verifier = _exchange(oidc_provider, params["code"], "x" * 64, redirect_uri)
    assert wrong_verifier.status_code == 400
    assert wrong_verifier.json()["error"] == "invalid_grant"

    # A failed exchange revokes the code, so sign in again for the successful one.
    url, state, verifier = _authorize(oidc_provider, redirect_uri)
    params = _query(oidc_provider.complete_login(url, "alice"))
    tokens = _exchange(oidc_provider, params["code"], verifier, redirect_uri)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["refresh_token"]
    claims = _verified_id_token(oidc_provider, body["id_token"])
    assert claims["sub"] == "alice"
    assert claims["nonce"] == "n-123"
    assert claims["email"] == "alice@example.test"


def test_it_lists_the_refresh_tokens_it_issued_and_a_revoked_one_stops_working(
    oidc_provider: OidcProvider,
) -> None:
    account = f"peer-{secrets.token_hex(4)}"
    first = oidc_provider.login_tokens(account)["refresh_token"]
    assert oidc_provider.refresh_tokens_of(account) == [first]

    rotated = oidc_provider.refresh(first)
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert oidc_provider.refresh_tokens_of(account) == [first, second]

    revoked = httpx.post(
        f"{oidc_provider.issuer}/token/revocation",
        data={"token": second, "client_id": oidc_provider.client_id},
        timeout=10,
    )
    assert revoked.status_code == 200
    assert oidc_provider.refresh(second).json()["error"] == "invalid_grant"
    assert oidc_provider.refresh_tokens_of("nobody") == []


def test_deny_returns_access_denied_with_the_state(oidc_provider: OidcProvider) -> None:
    url, state, _ = _authorize(oidc_provider, "http://127.0.0.1:49153/callback")

    params = _query(oidc_provider.complete_login(url, "alice", deny=True))

    assert params["error"] == "access_denied"
    assert params["state"] == state
    assert params["iss"] == oidc_provider.issuer
    assert "code" not in params


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:1024/callback",
        "http://127.0.0.1:65000/callback",
        "http://127.0.0.1/callback",
        "http://localhost:8080/oauth/callback",
    ],
)
def test_a_registered_loopback_path_matches_on_any_port(
    oidc_provider: OidcProvider, redirect_uri: str
) -> None:
    url, _, _ = _authorize(oidc_provider, redirect_uri)
    assert oidc_provider.complete_login(url, "bob").startswith(redirect_uri + "?code=")


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:8080/other", "http://example.test/callback", "https://127.0.0.1/callback"],
)
def test_an_unregistered_redirect_uri_is_refused(
    oidc_provider: OidcProvider, redirect_uri: str
) -> None:
    url, _, _ = _authorize(oidc_provider, redirect_uri)
    with pytest.raises(LoginError, match="redirect_uri did not match"):
        oidc_provider.complete_login(url, "bob")


def test_plain_pkce_is_refused(oidc_provider: OidcProvider) -> None:
    verifier = secrets.token_urlsafe(48)
    url = oidc_provider.authorize_url(
        redirect_uri="http://127.0.0.1:1/callback", state="s" * 32, code_challenge=verifier
    ).replace("code_challenge_method=S256", "code_challenge_method=plain")
    params = _query(oidc_provider.complete_login(url, "bob"))
    assert params["error"] == "invalid_request"


def test_without_auto_consent_both_forms_are_answered_and_deny_still_works() -> None:
    """Without auto-consent a consent form follows the login form; the flow completes,
    and deny (the Cancel link of the first page) still ends in access_denied."""
    require_peer(available(), "node-oidc-provider (npm)")
    with OidcProvider(auto_consent=False) as provider:
        redirect_uri = "http://127.0.0.1:1/callback"
        url, state, _ = _authorize(provider, redirect_uri)
        assert "code" in _query(provider.complete_login(url, "carol"))

        url, state, _ = _authorize(provider, redirect_uri)
        denied = _query(provider.complete_login(url, "carol", deny=True))
        assert denied["error"] == "access_denied"
        assert denied["state"] == state


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _device_authorization(provider: OidcProvider) -> dict[str, Any]:
    started = httpx.post(
        f"{provider.issuer}/device/auth",
        data={"client_id": provider.client_id, "scope": "openid offline_access"},
        timeout=10,
    )
    assert started.status_code == 200, started.text
    answer: dict[str, Any] = started.json()
    return answer


def _poll(provider: OidcProvider, device_code: str) -> httpx.Response:
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": provider.client_id}
    return httpx.post(provider.token_endpoint, data=form, timeout=10)


def test_device_codes_are_offered_and_give_an_id_token(oidc_provider: OidcProvider) -> None:
    discovery = httpx.get(f"{oidc_provider.issuer}/.well-known/openid-configuration").json()
    assert discovery["device_authorization_endpoint"] == oidc_provider.device_authorization_endpoint
    device = _device_authorization(oidc_provider)
    assert device["interval"] == 1
    assert device["verification_uri_complete"].startswith(f"{oidc_provider.issuer}/device?")
    assert _poll(oidc_provider, device["device_code"]).json()["error"] == "authorization_pending"

    ended_on = oidc_provider.complete_device_login(device["verification_uri_complete"], "erin")

    assert "Sign-in Success" in ended_on
    tokens = _poll(oidc_provider, device["device_code"]).json()
    assert "refresh_token" in tokens
    claims = _verified_id_token(oidc_provider, tokens["id_token"])
    assert claims["sub"] == "erin"
    assert "nonce" not in claims


def test_an_aborted_device_code_is_access_denied(oidc_provider: OidcProvider) -> None:
    device = _device_authorization(oidc_provider)
    oidc_provider.complete_device_login(device["verification_uri_complete"], "erin", deny=True)
    assert _poll(oidc_provider, device["device_code"]).json()["error"] == "access_denied"


def test_a_provider_without_device_codes_says_nothing_of_them() -> None:
    require_peer(available(), "node-oidc-provider (npm)")
    with OidcProvider(device_flow=False) as provider:
        discovery = httpx.get(f"{provider.issuer}/.well-known/openid-configuration").json()
        assert "device_authorization_endpoint" not in discovery
        assert DEVICE_GRANT not in discovery["grant_types_supported"]


def test_pkce_pair_is_s256() -> None:
    verifier, challenge = pkce_pair()
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(verifier) <= 128
