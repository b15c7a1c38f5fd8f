"""No open redirect, and only PKCE S256 requests with a high-entropy state."""

from __future__ import annotations

from typing import Any

import pytest

from awslogin_protocol.sealing import HostKey
from tests.support.relay_app import IDP, Relay, authorize_url, pkce_challenge

pytestmark = pytest.mark.unit


async def _create(relay_app: Relay, url: str, mode: str = "redirect") -> Any:
    return await relay_app.client.post(
        "/v1/pairings",
        json={
            "authorize_url": url,
            "mode": mode,
            "public_key": HostKey().public_key,
            "host": {"hostname": "h"},
        },
    )


@pytest.mark.parametrize(
    "base",
    [
        "https://evil.test/authorize",
        "https://idp.test@evil.test/authorize",  # userinfo trick: the host is evil.test
        "https://user:pw@idp.test/authorize",  # userinfo on the right host: refused anyway
        "http://idp.test/authorize",  # other scheme
        "https://idp.test:444/authorize",  # other port
        "https://login.test/authorize",  # allowed only on 8443
        "https://idp.test.evil.test/authorize",
        "https://evil.test\\@idp.test/authorize",
        "javascript://idp.test/authorize",
        "//idp.test/authorize",
        "/authorize",
    ],
)
async def test_refuses_origins_not_on_the_allow_list(relay_app: Relay, base: str) -> None:
    response = await _create(relay_app, authorize_url(base))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "base",
    [
        "https://IDP.test/authorize",
        "https://idp.test:443/authorize",
        "https://login.test:8443/oauth2/authorize",
    ],
)
async def test_accepts_allowed_origins_in_equivalent_spellings(relay_app: Relay, base: str) -> None:
    assert (await _create(relay_app, authorize_url(base))).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "drop", "complaint"),
    [
        ({}, ("state",), "state"),
        ({"state": "short"}, (), "state"),
        ({"state": "x" * 513}, (), "state"),
        ({"state": "has spaces in the state value!!"}, (), "state"),
        ({}, ("code_challenge",), "code_challenge"),
        ({"code_challenge": "tooshort"}, (), "code_challenge"),
        ({"code_challenge": pkce_challenge() + "A"}, (), "code_challenge"),
        ({"code_challenge_method": "plain"}, (), "S256"),
        ({}, ("code_challenge_method",), "code_challenge_method"),
        ({"response_type": "token"}, (), "response_type"),
        ({}, ("client_id",), "client_id"),
        ({"redirect_uri": "https://evil.test/callback"}, (), "redirect_uri"),
        ({"redirect_uri": "https://relay.test/callback/extra"}, (), "redirect_uri"),
        ({}, ("redirect_uri",), "redirect_uri"),
    ],
)
async def test_refuses_weak_authorization_requests(
    relay_app: Relay, overrides: dict[str, str], drop: tuple[str, ...], complaint: str
) -> None:
    response = await _create(relay_app, authorize_url(drop=drop, **overrides))
    assert response.status_code == 400
    assert complaint in response.json()["error_description"]


async def test_accepts_aws_sign_in_name_for_s256(relay_app: Relay) -> None:
    url = authorize_url(code_challenge_method="SHA-256")
    assert (await _create(relay_app, url)).status_code == 201


async def test_refuses_repeated_parameters_and_fragments(relay_app: Relay) -> None:
    url = authorize_url()
    assert (await _create(relay_app, url + "&state=" + "B" * 30)).status_code == 400
    assert (await _create(relay_app, url + "#frag")).status_code == 400
    assert (await _create(relay_app, url.replace("?", "?%20x=1&", 1) + " ")).status_code == 400


async def test_paste_mode_accepts_the_providers_own_redirect_uri(relay_app: Relay) -> None:
    url = authorize_url(redirect_uri=f"{IDP}/show-code")
    assert (await _create(relay_app, url, mode="paste")).status_code == 201
    assert (await _create(relay_app, authorize_url(redirect_uri=f"{IDP}/x"))).status_code == 400


async def test_empty_allow_list_refuses_everything(make_relay_app: Any) -> None:
    relay_app = make_relay_app(RELAY_ALLOWED_ORIGINS="")
    async with relay_app.client:
        response = await _create(relay_app, authorize_url())
        assert response.status_code == 400
        assert "not allowed" in response.json()["error_description"]
