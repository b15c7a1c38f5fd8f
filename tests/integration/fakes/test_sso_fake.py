"""The IAM Identity Center fake, checked with botocore's own clients and SSO providers.

If botocore's serializers, parsers and credential provider accept the fake, tests of our
`sso` provider that run against it say something about the real service.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3  # type: ignore[import-untyped]
import botocore.credentials  # type: ignore[import-untyped]
import botocore.tokens  # type: ignore[import-untyped]
import httpx
import pytest
from botocore.exceptions import (  # type: ignore[import-untyped]
    ClientError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

from tests.fakes.sso import FakeSettings, SsoFake, run_sso_fake, s256
from tests.fakes.sso.browser import decide_device, sign_in

pytestmark = pytest.mark.integration

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = ["sso:account:access"]
LOOPBACK_REDIRECT = "http://127.0.0.1/oauth/callback"  # registered without a port, as the CLI does
BOTOCORE_TIME = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture
def fake() -> Iterator[SsoFake]:
    with run_sso_fake() as running:
        yield running


def _oidc(fake: SsoFake) -> Any:
    return boto3.client("sso-oidc", endpoint_url=fake.oidc_url, region_name="us-east-1")


def _portal(fake: SsoFake) -> Any:
    return boto3.client("sso", endpoint_url=fake.portal_url, region_name="us-east-1")


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response: Any = exc.value.response
    body_error = response.get("error", "")
    return response["Error"]["Code"], body_error, response["ResponseMetadata"]["HTTPStatusCode"]


def _register_device_client(oidc: Any) -> dict[str, Any]:
    result: dict[str, Any] = oidc.register_client(
        clientName="botocore-client-corp", clientType="public", scopes=SCOPES
    )
    return result


def _register_auth_code_client(oidc: Any, fake: SsoFake) -> dict[str, Any]:
    result: dict[str, Any] = oidc.register_client(
        clientName="botocore-client-corp",
        clientType="public",
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=[LOOPBACK_REDIRECT],
        issuerUrl=fake.settings.start_url,
        scopes=SCOPES,
    )
    return result


def _poll(oidc: Any, client: dict[str, Any], device_code: str) -> dict[str, Any]:
    result: dict[str, Any] = oidc.create_token(
        grantType=DEVICE_GRANT,
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        deviceCode=device_code,
    )
    return result


def _device_sign_in(fake: SsoFake) -> tuple[dict[str, Any], dict[str, Any]]:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = oidc.start_device_authorization(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        startUrl=fake.settings.start_url,
    )
    decide_device(device["verificationUriComplete"])
    return client, _poll(oidc, client, device["deviceCode"])


def _pkce() -> tuple[str, str]:
    alphabet = string.ascii_letters + string.digits + "-._~"
    verifier = "".join(secrets.choice(alphabet) for _ in range(64))
    return verifier, s256(verifier)


def _authorize_url(
    fake: SsoFake, client_id: str, redirect_uri: str, **extra: str
) -> tuple[str, str]:
    verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "st-" + secrets.token_hex(8),
        "code_challenge_method": "S256",
        "scopes": " ".join(SCOPES),
        "code_challenge": challenge,
        **extra,
    }
    return f"{fake.oidc_url}/authorize?{urlencode(params)}", verifier


# ---------------------------------------------------------------- sso-oidc: RegisterClient


def test_register_client_returns_the_modelled_registration(fake: SsoFake) -> None:
    before = int(time.time())
    client = _register_auth_code_client(_oidc(fake), fake)

    assert client["clientId"]
    assert client["clientSecret"]
    assert before <= client["clientIdIssuedAt"] <= before + 5
    assert client["clientSecretExpiresAt"] - client["clientIdIssuedAt"] == 90 * 24 * 3600
    registered = fake.state.clients[client["clientId"]]
    assert registered.redirect_uris == (LOOPBACK_REDIRECT,)
    assert registered.issuer_url == fake.settings.start_url
    assert fake.calls["RegisterClient"] == 1


@pytest.mark.parametrize(
    ("kwargs", "code", "oauth_error"),
    [
        (
            {"clientType": "confidential"},
            "InvalidClientMetadataException",
            "invalid_client_metadata",
        ),
        (
            {"clientType": "public", "scopes": ["s3:everything"]},
            "InvalidScopeException",
            "invalid_scope",
        ),
        (
            {"clientType": "public", "grantTypes": ["authorization_code"]},
            "InvalidRequestException",
            "invalid_request",
        ),
        (
            {"clientType": "public", "grantTypes": ["password"]},
            "UnsupportedGrantTypeException",
            "unsupported_grant_type",
        ),
        (
            {
                "clientType": "public",
                "grantTypes": ["authorization_code"],
                "redirectUris": ["ftp://127.0.0.1/cb"],
            },
            "InvalidRedirectUriException",
            "invalid_redirect_uri",
        ),
    ],
)
def test_register_client_rejects_bad_metadata_with_modelled_errors(
    fake: SsoFake, kwargs: dict[str, Any], code: str, oauth_error: str
) -> None:
    oidc = _oidc(fake)
    with pytest.raises(ClientError) as exc:
        oidc.register_client(clientName="x", **kwargs)
    assert _error(exc) == (code, oauth_error, 400)
    assert isinstance(exc.value, getattr(oidc.exceptions, code))


# ---------------------------------------------------------------- sso-oidc: device flow


@pytest.mark.slow
def test_device_flow_pending_slow_down_then_token_via_the_verification_page(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = oidc.start_device_authorization(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        startUrl=fake.settings.start_url,
    )
    assert device["interval"] == 1
    assert device["expiresIn"] == 600
    assert device["verificationUriComplete"] == (
        f"{fake.oidc_url}/device?user_code={device['userCode']}"
    )

    # Two polls back to back, as the AWS CLI makes them, are both answered pending ...
    for _ in range(2):
        with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
            _poll(oidc, client, device["deviceCode"])
        assert _error(pending) == ("AuthorizationPendingException", "authorization_pending", 400)

    with pytest.raises(oidc.exceptions.SlowDownException) as slow:  # ... a third is too fast
        _poll(oidc, client, device["deviceCode"])
    assert _error(slow) == ("SlowDownException", "slow_down", 400)

    page = httpx.get(device["verificationUriComplete"])
    assert device["userCode"] in page.text
    assert "<form" in page.text
    assert page.headers["cache-control"] == "no-store"
    decide_device(device["verificationUriComplete"])

    time.sleep(device["interval"])
    token = _poll(oidc, client, device["deviceCode"])
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == 3600
    assert fake.state.access_token_is_valid(token["accessToken"])
    assert fake.state.refresh_token_is_valid(token["refreshToken"])

    time.sleep(device["interval"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # a device code is redeemed once
        _poll(oidc, client, device["deviceCode"])
    assert fake.calls[f"CreateToken/{DEVICE_GRANT}"] == 5


def test_forced_device_poll_errors_come_in_order_as_modelled_exceptions(fake: SsoFake) -> None:
    fake.settings.enforce_interval = False
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = oidc.start_device_authorization(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        startUrl=fake.settings.start_url,
    )
    fake.state.decide_device(device["userCode"], approve=True)
    fake.state.force_device_poll_errors(
        "slow_down", "authorization_pending", "access_denied", "expired_token"
    )
    seen = []
    for _ in range(4):
        with pytest.raises(ClientError) as exc:
            _poll(oidc, client, device["deviceCode"])
        seen.append(_error(exc)[:2])
    assert seen == [
        ("SlowDownException", "slow_down"),
        ("AuthorizationPendingException", "authorization_pending"),
        ("AccessDeniedException", "access_denied"),
        ("ExpiredTokenException", "expired_token"),
    ]
    assert "accessToken" in _poll(oidc, client, device["deviceCode"])


def _start_device(fake: SsoFake, oidc: Any, client: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = oidc.start_device_authorization(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        startUrl=fake.settings.start_url,
    )
    return result


def _poll_outcome(oidc: Any, client: dict[str, Any], device_code: str) -> str:
    try:
        _poll(oidc, client, device_code)
    except ClientError as refused:
        return str(refused.response["error"])
    return "token"


def test_a_client_polling_at_the_interval_is_never_slowed_down(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = _start_device(fake, oidc, client)
    outcomes = [_poll_outcome(oidc, client, device["deviceCode"])]
    for _ in range(5):
        fake.state.advance_clock(device["interval"])
        outcomes.append(_poll_outcome(oidc, client, device["deviceCode"]))
    assert outcomes == ["authorization_pending"] * 6


def test_a_client_that_keeps_polling_faster_than_the_interval_is_slowed_down(
    fake: SsoFake,
) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = _start_device(fake, oidc, client)
    outcomes = [_poll_outcome(oidc, client, device["deviceCode"])]
    for _ in range(4):
        fake.state.advance_clock(device["interval"] / 2)
        outcomes.append(_poll_outcome(oidc, client, device["deviceCode"]))
    # A burst of two, then one poll per interval: every second poll at half the pace.
    assert outcomes == [
        "authorization_pending",
        "authorization_pending",
        "authorization_pending",
        "slow_down",
        "authorization_pending",
    ]


def test_the_device_page_takes_the_user_code_as_people_type_it(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = _start_device(fake, oidc, client)
    typed = " " + device["userCode"].replace("-", "").lower() + " "  # RFC 8628 6.1
    decide_device(f"{fake.oidc_url}/device?user_code={typed}")
    fake.state.advance_clock(device["interval"])
    assert "accessToken" in _poll(oidc, client, device["deviceCode"])


@pytest.mark.parametrize(
    "spelling",
    [
        "https://d-9067000000.awsapps.com/start/",
        "https://d-9067000000.awsapps.com/start/#",
        "https://d-9067000000.awsapps.com/start/#/",
        "https://D-9067000000.AWSAPPS.com/start",
    ],
)
def test_start_url_spellings_of_the_same_portal_are_accepted(fake: SsoFake, spelling: str) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    device = oidc.start_device_authorization(
        clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl=spelling
    )
    assert device["deviceCode"]


def test_register_client_takes_what_aws_clients_register(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    toolkit = oidc.register_client(
        clientName="toolkit",
        clientType="public",
        scopes=["sso:account:access", "codewhisperer:conversations", "codecatalyst:read_write"],
    )
    assert toolkit["clientId"]
    ipv6 = oidc.register_client(
        clientName="ipv6",
        clientType="public",
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://[::1]/oauth/callback"],
        scopes=SCOPES,
    )
    url, _ = _authorize_url(fake, ipv6["clientId"], "http://[::1]:50001/oauth/callback")
    assert httpx.get(url).status_code == 200  # registered without a port: any port matches


def test_denied_and_expired_device_codes(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)

    def start() -> dict[str, Any]:
        result: dict[str, Any] = oidc.start_device_authorization(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            startUrl=fake.settings.start_url,
        )
        return result

    denied = start()
    decide_device(denied["verificationUriComplete"], approve=False)
    with pytest.raises(oidc.exceptions.AccessDeniedException) as exc:
        _poll(oidc, client, denied["deviceCode"])
    assert _error(exc) == ("AccessDeniedException", "access_denied", 400)

    fake.settings.device_code_ttl = 600
    expiring = start()
    fake.state.advance_clock(601)
    with pytest.raises(oidc.exceptions.ExpiredTokenException) as exc:
        _poll(oidc, client, expiring["deviceCode"])
    assert _error(exc) == ("ExpiredTokenException", "expired_token", 400)
    assert not fake.state.decide_device(expiring["userCode"], approve=True)


def test_device_start_and_token_check_the_client_and_start_url(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = _register_device_client(oidc)
    with pytest.raises(oidc.exceptions.InvalidClientException) as exc:
        oidc.start_device_authorization(
            clientId=client["clientId"], clientSecret="wrong", startUrl=fake.settings.start_url
        )
    assert _error(exc) == ("InvalidClientException", "invalid_client", 401)
    with pytest.raises(oidc.exceptions.InvalidRequestException):
        oidc.start_device_authorization(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            startUrl="https://d-0000000000.awsapps.com/start",
        )
    with pytest.raises(oidc.exceptions.UnauthorizedClientException) as exc:
        oidc.create_token(
            grantType="authorization_code",
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            code="c",
            redirectUri=LOOPBACK_REDIRECT,
            codeVerifier="v" * 43,
        )
    assert _error(exc) == ("UnauthorizedClientException", "unauthorized_client", 400)
    with pytest.raises(oidc.exceptions.UnsupportedGrantTypeException):
        oidc.create_token(
            grantType="password", clientId=client["clientId"], clientSecret=client["clientSecret"]
        )


# ---------------------------------------------------------------- sso-oidc: authorization code


def test_authorization_code_flow_with_pkce_on_a_loopback_port(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = _register_auth_code_client(oidc, fake)
    redirect_uri = "http://127.0.0.1:49152/oauth/callback"
    url, verifier = _authorize_url(fake, client["clientId"], redirect_uri)

    page = httpx.get(url)
    assert page.status_code == 200
    assert "<form method=post" in page.text
    assert verifier not in page.text
    assert "code_challenge" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"

    location = sign_in(url)
    back = urlsplit(location)
    query = parse_qs(back.query)
    assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri
    assert query["state"] == parse_qs(urlsplit(url).query)["state"]

    def redeem(code: str, code_verifier: str, uri: str = redirect_uri) -> dict[str, Any]:
        result: dict[str, Any] = oidc.create_token(
            grantType="authorization_code",
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            code=code,
            redirectUri=uri,
            codeVerifier=code_verifier,
        )
        return result

    token = redeem(query["code"][0], verifier)
    assert token["refreshToken"]
    assert token["expiresIn"] == 3600
    with pytest.raises(oidc.exceptions.InvalidGrantException) as exc:  # codes are single use
        redeem(query["code"][0], verifier)
    assert _error(exc) == ("InvalidGrantException", "invalid_grant", 400)

    url2, _ = _authorize_url(fake, client["clientId"], redirect_uri)
    code2 = parse_qs(urlsplit(sign_in(url2)).query)["code"][0]
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # wrong verifier: PKCE fails
        redeem(code2, _pkce()[0])

    url3, verifier3 = _authorize_url(fake, client["clientId"], redirect_uri)
    code3 = parse_qs(urlsplit(sign_in(url3)).query)["code"][0]
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # not the authorize redirect_uri
        redeem(code3, verifier3, "http://127.0.0.1:49153/oauth/callback")


def test_authorize_refusals_redirect_with_error_or_stop_on_an_unknown_redirect(
    fake: SsoFake,
) -> None:
    client = _register_auth_code_client(_oidc(fake), fake)
    redirect_uri = "http://127.0.0.1:50000/oauth/callback"

    denied = parse_qs(
        urlsplit(
            sign_in(_authorize_url(fake, client["clientId"], redirect_uri)[0], approve=False)
        ).query
    )
    assert denied["error"] == ["access_denied"]
    assert "code" not in denied
    assert denied["state"]

    # The parameter is `scopes`; a client that sends OAuth's `scope` gets invalid_scope.
    url, _ = _authorize_url(fake, client["clientId"], redirect_uri)
    url = url.replace("scopes=", "scope=")
    answer = httpx.get(url)
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_scope"]

    plain, _ = _authorize_url(fake, client["clientId"], redirect_uri, code_challenge_method="plain")
    answer = httpx.get(plain)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_request"]

    for bad_redirect in ("http://127.0.0.1:50000/elsewhere", "https://evil.example/oauth/callback"):
        answer = httpx.get(_authorize_url(fake, client["clientId"], bad_redirect)[0])
        assert answer.status_code == 400
        assert "location" not in answer.headers


def test_auto_sign_in_knob_redirects_without_the_form(fake: SsoFake) -> None:
    fake.settings.auto_sign_in = True
    client = _register_auth_code_client(_oidc(fake), fake)
    url, _ = _authorize_url(fake, client["clientId"], "http://127.0.0.1:40000/oauth/callback")
    answer = httpx.get(url)
    assert answer.status_code == 302
    assert "code" in parse_qs(urlsplit(answer.headers["location"]).query)


# ---------------------------------------------------------------- sso-oidc: refresh


def test_refresh_rotates_and_a_replayed_refresh_token_is_refused(fake: SsoFake) -> None:
    client, first = _device_sign_in(fake)
    oidc = _oidc(fake)

    def refresh(token: str) -> dict[str, Any]:
        result: dict[str, Any] = oidc.create_token(
            grantType="refresh_token",
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            refreshToken=token,
        )
        return result

    second = refresh(first["refreshToken"])
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(first["refreshToken"])

    other = _register_device_client(oidc)
    with pytest.raises(
        oidc.exceptions.InvalidGrantException
    ):  # bound to the client it was issued to
        oidc.create_token(
            grantType="refresh_token",
            clientId=other["clientId"],
            clientSecret=other["clientSecret"],
            refreshToken=second["refreshToken"],
        )

    fake.settings.rotate_refresh_tokens = False
    assert refresh(second["refreshToken"])["refreshToken"] == second["refreshToken"]

    fake.settings.refresh_allowed = False
    with pytest.raises(oidc.exceptions.InvalidGrantException) as exc:
        refresh(second["refreshToken"])
    assert _error(exc) == ("InvalidGrantException", "invalid_grant", 400)
    assert fake.calls["CreateToken/refresh_token"] == 5


def test_a_client_registered_without_scopes_gets_no_refresh_token(fake: SsoFake) -> None:
    oidc = _oidc(fake)
    client = oidc.register_client(clientName="legacy", clientType="public")
    device = oidc.start_device_authorization(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        startUrl=fake.settings.start_url,
    )
    fake.state.decide_device(device["userCode"], approve=True)
    assert "refreshToken" not in _poll(oidc, client, device["deviceCode"])


# ---------------------------------------------------------------- sso (portal)


def test_accounts_and_roles_paginate_as_modelled(fake: SsoFake) -> None:
    _, token = _device_sign_in(fake)
    sso = _portal(fake)
    access = token["accessToken"]

    first = sso.list_accounts(accessToken=access, maxResults=1)
    assert [a["accountId"] for a in first["accountList"]] == ["111111111111"]
    second = sso.list_accounts(accessToken=access, maxResults=1, nextToken=first["nextToken"])
    assert [a["accountName"] for a in second["accountList"]] == ["prod"]
    assert "nextToken" not in second

    roles = [
        r["roleName"]
        for page in sso.get_paginator("list_account_roles").paginate(
            accessToken=access, accountId="111111111111"
        )
        for r in page["roleList"]
    ]
    assert roles == ["AdministratorAccess", "Developer", "ReadOnly"]
    assert fake.calls["ListAccountRoles"] == 2  # default page size 2: the paginator followed

    with pytest.raises(sso.exceptions.InvalidRequestException) as exc:
        sso.list_accounts(accessToken=access, nextToken="forged")
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"


def test_role_credentials_and_portal_errors(fake: SsoFake) -> None:
    _, token = _device_sign_in(fake)
    sso = _portal(fake)
    access = token["accessToken"]

    before_ms = time.time() * 1000
    creds = sso.get_role_credentials(
        accessToken=access, accountId="222222222222", roleName="Operator"
    )["roleCredentials"]
    issued = fake.issued_credentials[-1]
    assert (issued.account_id, issued.role_name) == ("222222222222", "Operator")
    assert creds["accessKeyId"] == issued.access_key_id
    assert creds["accessKeyId"].startswith("ASIA")
    assert creds["sessionToken"] == issued.session_token
    assert 3590_000 < creds["expiration"] - before_ms < 3610_000  # epoch milliseconds

    with pytest.raises(ClientError) as exc:
        sso.get_role_credentials(accessToken=access, accountId="222222222222", roleName="Developer")
    assert _error(exc)[0::2] == ("ForbiddenException", 403)

    with pytest.raises(sso.exceptions.UnauthorizedException) as unauthorized:
        sso.list_accounts(accessToken="aoa-not-issued")
    assert unauthorized.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401

    raw = httpx.get(f"{fake.portal_url}/assignment/accounts")  # no bearer header at all
    assert raw.status_code == 401
    assert raw.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert raw.json() == {"message": "Session token not found or invalid"}

    fake.state.expire_access_tokens()
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=access)


def test_role_credentials_minted_by_sts_name_the_signed_in_user(sts: Any) -> None:
    """With `sts_url`, botocore's GetCallerIdentity on the role credentials answers what
    the real service's do: the reserved role of the permission set, and the user."""
    with run_sso_fake(FakeSettings(sts_url=sts.endpoint_url)) as fake:
        oidc = _oidc(fake)
        client = _register_device_client(oidc)
        device = oidc.start_device_authorization(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            startUrl=fake.settings.start_url,
        )
        decide_device(device["verificationUriComplete"], user="bob")
        token = _poll(oidc, client, device["deviceCode"])
        creds = _portal(fake).get_role_credentials(
            accessToken=token["accessToken"], accountId="222222222222", roleName="Operator"
        )["roleCredentials"]
        assert fake.endpoint_env()["AWS_ENDPOINT_URL_STS"] == sts.endpoint_url
    caller = boto3.client(
        "sts",
        endpoint_url=sts.endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    ).get_caller_identity()
    assert caller["Account"] == "222222222222"
    assert re.fullmatch(
        r"arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Operator_[0-9a-f]{16}/bob",
        caller["Arn"],
    )


def test_logout_ends_the_sign_in_and_its_refresh_token(fake: SsoFake) -> None:
    _, token = _device_sign_in(fake)
    sso = _portal(fake)
    answer = sso.logout(accessToken=token["accessToken"])
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert not fake.state.access_token_is_valid(token["accessToken"])
    assert not fake.state.refresh_token_is_valid(token["refreshToken"])
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.logout(accessToken=token["accessToken"])
    assert fake.calls["Logout"] == 2


# ---------------------------------------------------------------- botocore's own SSO provider


def _botocore_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: SsoFake) -> Path:
    """Config + endpoints for botocore; its SSO cache directory is fixed at import, so patch it."""
    cache_dir = tmp_path / ".aws" / "sso" / "cache"
    monkeypatch.setattr(botocore.tokens.SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", str(cache_dir))
    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache_dir))
    config = tmp_path / "config"
    config.write_text(
        "[profile dev]\n"
        "sso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Developer\n"
        "region = us-east-1\n\n"
        "[profile prod-ro]\n"
        "sso_session = corp\nsso_account_id = 222222222222\nsso_role_name = ReadOnly\n\n"
        "[sso-session corp]\n"
        f"sso_start_url = {fake.settings.start_url}\nsso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n"
    )
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name, value in fake.endpoint_env().items():
        monkeypatch.setenv(name, value)
    return cache_dir


def _write_token_cache(
    cache_dir: Path,
    fake: SsoFake,
    client: dict[str, Any],
    token: dict[str, Any],
    expires_in: int,
) -> Path:
    """The file `aws sso login` (and our provider) leaves: sha1 of the sso-session name."""
    now = dt.datetime.now(dt.UTC)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / (hashlib.sha1(b"corp").hexdigest() + ".json")
    path.write_text(
        json.dumps(
            {
                "startUrl": fake.settings.start_url,
                "region": "us-east-1",
                "accessToken": token["accessToken"],
                "expiresAt": (now + dt.timedelta(seconds=expires_in)).strftime(BOTOCORE_TIME),
                "clientId": client["clientId"],
                "clientSecret": client["clientSecret"],
                "registrationExpiresAt": dt.datetime.fromtimestamp(
                    client["clientSecretExpiresAt"], dt.UTC
                ).strftime(BOTOCORE_TIME),
                "refreshToken": token["refreshToken"],
            }
        )
    )
    return path


def test_botocore_sso_provider_gets_role_credentials_for_every_profile_of_the_session(
    fake: SsoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = _botocore_home(tmp_path, monkeypatch, fake)
    client, token = _device_sign_in(fake)
    _write_token_cache(cache_dir, fake, client, token, expires_in=3600)
    refreshes_before = fake.calls["CreateToken/refresh_token"]

    dev = boto3.Session(profile_name="dev").get_credentials()
    assert dev is not None
    assert dev.method == "sso"
    frozen = dev.get_frozen_credentials()
    issued = fake.issued_credentials[-1]
    assert (issued.account_id, issued.role_name) == ("111111111111", "Developer")
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token,
    )

    prod = boto3.Session(profile_name="prod-ro").get_credentials()
    assert prod is not None
    assert prod.get_frozen_credentials().access_key == (fake.issued_credentials[-1].access_key_id)
    assert fake.issued_credentials[-1].account_id == "222222222222"
    assert fake.calls["CreateToken/refresh_token"] == refreshes_before  # token still fresh


def test_botocore_refreshes_a_token_near_expiry_against_the_fake_and_writes_the_cache(
    fake: SsoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = _botocore_home(tmp_path, monkeypatch, fake)
    client, token = _device_sign_in(fake)
    path = _write_token_cache(cache_dir, fake, client, token, expires_in=300)  # < 15 min left

    creds = boto3.Session(profile_name="dev").get_credentials()
    assert creds is not None
    assert creds.get_frozen_credentials().access_key

    assert fake.calls["CreateToken/refresh_token"] == 1
    written = json.loads(path.read_text())
    assert set(written) == {
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    }
    assert written["accessToken"] != token["accessToken"]
    assert fake.state.access_token_is_valid(written["accessToken"])
    assert written["refreshToken"] != token["refreshToken"]  # rotated token saved
    assert fake.state.refresh_token_is_valid(written["refreshToken"])
    assert not fake.state.refresh_token_is_valid(token["refreshToken"])
    expires = dt.datetime.strptime(written["expiresAt"], BOTOCORE_TIME).replace(tzinfo=dt.UTC)
    assert 3500 < (expires - dt.datetime.now(dt.UTC)).total_seconds() <= 3600


def test_botocore_gives_up_when_the_token_expired_and_refresh_is_refused(
    fake: SsoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = _botocore_home(tmp_path, monkeypatch, fake)
    client, token = _device_sign_in(fake)
    _write_token_cache(cache_dir, fake, client, token, expires_in=-10)
    fake.settings.refresh_allowed = False

    with pytest.raises(TokenRetrievalError, match="Token has expired and refresh failed"):
        boto3.Session(profile_name="dev").get_credentials().get_frozen_credentials()
    assert fake.calls["CreateToken/refresh_token"] == 1
    assert fake.calls["GetRoleCredentials"] == 0


def test_botocore_does_not_refresh_with_an_expired_registration(
    fake: SsoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = _botocore_home(tmp_path, monkeypatch, fake)
    client, token = _device_sign_in(fake)
    path = _write_token_cache(cache_dir, fake, client, token, expires_in=300)
    cached = json.loads(path.read_text())
    cached["registrationExpiresAt"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(cached))

    creds = boto3.Session(profile_name="dev").get_credentials()
    assert creds.get_frozen_credentials().access_key == fake.issued_credentials[-1].access_key_id
    assert fake.calls["CreateToken/refresh_token"] == 0
    assert json.loads(path.read_text()) == cached  # nothing written back


def test_botocore_reports_an_ended_sign_in_as_unauthorized(
    fake: SsoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = _botocore_home(tmp_path, monkeypatch, fake)
    client, token = _device_sign_in(fake)
    _write_token_cache(cache_dir, fake, client, token, expires_in=3600)
    _portal(fake).logout(accessToken=token["accessToken"])

    creds = boto3.Session(profile_name="dev").get_credentials()
    assert creds is not None
    with pytest.raises(UnauthorizedSSOTokenError):
        creds.get_frozen_credentials()


def test_fake_settings_can_be_given_at_start() -> None:
    with run_sso_fake(FakeSettings(device_interval=7, access_token_ttl=60)) as fake:
        client, token = _device_sign_in(fake)
        assert token["expiresIn"] == 60
        device = _oidc(fake).start_device_authorization(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            startUrl=fake.settings.start_url,
        )
        assert device["interval"] == 7
