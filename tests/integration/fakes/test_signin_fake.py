"""The sign-in fake keeps the `aws login` protocol: checked with raw HTTP and with botocore."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import boto3
import botocore.session
import httpx
import jwt
import pytest
from awscrt.crypto import EC
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import _build_add_dpop_header_handler
from botocore.exceptions import ClientError, LoginRefreshRequired
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Page, Route

from tests.fakes.signin import (
    CROSS_DEVICE_CLIENT,
    SAME_DEVICE_CLIENT,
    SigninFake,
    run_signin_fake,
)
from tests.fakes.signin.dpop import jwk_thumbprint, normalize_htu
from tests.fakes.signin.person import answer_sign_in, read_verification_code
from tests.fakes.signin.proofs import dpop_proof, pkce_pair, public_jwk
from tests.support.signin_profile import ALICE, BOB, LOOPBACK_REDIRECT

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[SigninFake]:
    with run_signin_fake(accounts={"alice": ALICE, "bob": BOB}) as running:
        yield running


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def obtain_code(
    fake: SigninFake, *, cross_device: bool = False, username: str = "alice"
) -> tuple[str, str, str]:
    """Sign in through the pages; return (code, verifier, redirect_uri)."""
    verifier, challenge = pkce_pair()
    url = fake.authorize_url(
        state="st-1",
        code_challenge=challenge,
        redirect_uri=LOOPBACK_REDIRECT,
        cross_device=cross_device,
    )
    location = answer_sign_in(url, username=username)
    code = parse_qs(urlsplit(location).query)["code"][0]
    return code, verifier, fake.confirmation_url if cross_device else LOOPBACK_REDIRECT


def token_call(fake: SigninFake, body: dict[str, Any], proof: str | None) -> httpx.Response:
    headers = {"DPoP": proof} if proof is not None else {}
    return httpx.post(fake.token_url, json=body, headers=headers, timeout=5)


def code_body(
    code: str, verifier: str, redirect_uri: str, client: str = SAME_DEVICE_CLIENT
) -> dict[str, str]:
    return {
        "clientId": client,
        "grantType": "authorization_code",
        "code": code,
        "redirectUri": redirect_uri,
        "codeVerifier": verifier,
    }


def refresh_body(refresh_token: str, client: str = SAME_DEVICE_CLIENT) -> dict[str, str]:
    return {"clientId": client, "grantType": "refresh_token", "refreshToken": refresh_token}


def signed_in(fake: SigninFake, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    code, verifier, redirect_uri = obtain_code(fake)
    response = token_call(
        fake, code_body(code, verifier, redirect_uri), dpop_proof(key, fake.token_url)
    )
    assert response.status_code == 200, response.text
    output: dict[str, Any] = response.json()
    return output


def assert_refused(
    response: httpx.Response, status: int, shape: str, error: str, words: str
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["x-amzn-errortype"] == shape
    body = response.json()
    assert body["error"] == error
    assert words in body["message"]


# authorization ----------------------------------------------------------------


def test_same_device_sign_in_redirects_to_the_loopback_with_code_and_state(
    fake: SigninFake,
) -> None:
    _, challenge = pkce_pair()
    url = fake.authorize_url(
        state="abc-123", code_challenge=challenge, redirect_uri=LOOPBACK_REDIRECT
    )
    page = httpx.get(url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "<form" in page.text
    assert "id='deny'" in page.text

    location = urlsplit(answer_sign_in(url))
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == LOOPBACK_REDIRECT
    assert query["state"] == ["abc-123"]
    assert len(query["code"][0]) >= 32


@pytest.mark.slow
def test_cross_device_confirmation_shows_a_code_that_aws_login_remote_decodes(
    fake: SigninFake,
) -> None:
    verifier, challenge = pkce_pair()
    url = fake.authorize_url(state="f1e2d3c4", code_challenge=challenge, cross_device=True)
    location = answer_sign_in(url)
    assert location.startswith(fake.confirmation_url + "?")

    pasted = read_verification_code(location)
    # What `aws login --remote` does with the pasted text: base64, then a query string.
    fields = dict(parse_qsl(base64.b64decode(pasted).decode("utf-8")))
    assert fields["state"] == "f1e2d3c4"
    response = token_call(
        fake,
        code_body(fields["code"], verifier, fake.confirmation_url, CROSS_DEVICE_CLIENT),
        dpop_proof(new_key(), fake.token_url),
    )
    assert response.status_code == 200, response.text
    assert fake.sessions[0].client_id == CROSS_DEVICE_CLIENT


@pytest.mark.slow
def test_the_pages_work_in_chromium(fake: SigninFake, page: Page) -> None:
    callbacks: list[str] = []

    def loopback(route: Route) -> None:
        callbacks.append(route.request.url)
        route.fulfill(status=200, body="done")

    page.route(LOOPBACK_REDIRECT + "*", loopback)
    _, challenge = pkce_pair()
    page.goto(
        fake.authorize_url(state="b-1", code_challenge=challenge, redirect_uri=LOOPBACK_REDIRECT)
    )
    page.click("#allow")
    page.wait_for_url(LOOPBACK_REDIRECT + "*")
    assert parse_qs(urlsplit(callbacks[0]).query)["state"] == ["b-1"]

    page.goto(fake.authorize_url(state="b-2", code_challenge=challenge, cross_device=True))
    page.fill("#username", "bob")
    page.click("#allow")
    shown = page.inner_text("#verification-code")
    fields = dict(parse_qsl(base64.b64decode(shown).decode("utf-8")))
    assert fields["state"] == "b-2"
    assert fake.service.knows_code(fields["code"])


@pytest.mark.parametrize("cross_device", [False, True])
def test_deny_returns_access_denied_and_no_code(fake: SigninFake, cross_device: bool) -> None:
    _, challenge = pkce_pair()
    url = fake.authorize_url(
        state="s-9",
        code_challenge=challenge,
        redirect_uri=LOOPBACK_REDIRECT,
        cross_device=cross_device,
    )
    location = answer_sign_in(url, allow=False)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s-9"]
    assert "code" not in query
    if cross_device:
        page = httpx.get(location)
        assert "verification-code" not in page.text
        assert "access_denied" in page.text


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"client_id": "arn:aws:signin:::devtools/other"}, "client_id"),
        ({"redirect_uri": "https://evil.example/oauth/callback"}, "redirect_uri"),
        ({"redirect_uri": "http://localhost:8080/oauth/callback"}, "redirect_uri"),
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"code_challenge": "short"}, "code_challenge"),
        ({"state": ""}, "state"),
        ({"response_type": "token"}, "response_type"),
        ({"scope": "profile"}, "scope"),
    ],
)
def test_authorize_refuses_bad_requests_without_redirecting(
    fake: SigninFake, change: dict[str, str], words: str
) -> None:
    _, challenge = pkce_pair()
    url = urlsplit(
        fake.authorize_url(state="s", code_challenge=challenge, redirect_uri=LOOPBACK_REDIRECT)
    )
    params = dict(parse_qsl(url.query))
    params.update(change)
    page = httpx.get(f"{fake.base_url}/v1/authorize", params=params)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert words in page.text


def test_cross_device_requires_the_confirmation_redirect(fake: SigninFake) -> None:
    _, challenge = pkce_pair()
    url = fake.authorize_url(state="s", code_challenge=challenge, cross_device=True)
    page = httpx.get(url.replace("sessions%2Fconfirmation", "sessions%2Fother"))
    assert page.status_code == 400


def test_s256_method_name_is_accepted_as_well_as_the_cli_spelling(fake: SigninFake) -> None:
    _, challenge = pkce_pair()
    url = fake.authorize_url(
        state="s", code_challenge=challenge, redirect_uri=LOOPBACK_REDIRECT, method="S256"
    )
    assert httpx.get(url).status_code == 200


# code exchange --------------------------------------------------------------------


def test_code_exchange_with_a_valid_proof_issues_credentials_and_id_token(fake: SigninFake) -> None:
    key = new_key()
    code, verifier, redirect_uri = obtain_code(fake, username="bob")
    response = token_call(
        fake, code_body(code, verifier, redirect_uri), dpop_proof(key, fake.token_url)
    )

    assert response.status_code == 200, response.text
    output = response.json()
    assert set(output) == {"accessToken", "tokenType", "expiresIn", "refreshToken", "idToken"}
    assert set(output["accessToken"]) == {"accessKeyId", "secretAccessKey", "sessionToken"}
    assert output["accessToken"]["accessKeyId"].startswith("ASIA")
    assert output["tokenType"] == "aws_sigv4"
    assert 1 <= output["expiresIn"] <= 900
    claims = jwt.decode(
        output["idToken"],
        fake.service.id_token_key.public_key(),
        algorithms=["ES256"],
        audience=SAME_DEVICE_CLIENT,
        issuer=fake.base_url,
    )
    assert claims["sub"] == BOB
    (session,) = fake.sessions
    assert session.account_id == "210987654321"
    assert session.jkt == jwk_thumbprint(public_jwk(key))
    assert fake.token_calls == 1


@pytest.mark.parametrize(
    ("proof_kwargs", "words"),
    [
        ({"header_jwk_key": new_key()}, "signature does not verify"),
        ({"htm": "GET"}, "htm"),
        ({"htu": "http://127.0.0.1:1/v1/token"}, "htu"),
        ({"htu_path": "/v1/authorize"}, "htu"),
        ({"iat": int(time.time()) - 3600}, "too old"),
        ({"iat": int(time.time()) + 3600}, "in the future"),
        ({"extra_header": {"typ": "JWT"}}, "typ"),
        ({"missing": True}, "missing"),
    ],
)
def test_code_exchange_refuses_a_bad_dpop_proof(
    fake: SigninFake, proof_kwargs: dict[str, Any], words: str
) -> None:
    code, verifier, redirect_uri = obtain_code(fake)
    kwargs = dict(proof_kwargs)
    htu = kwargs.pop("htu", fake.token_url)
    if "htu_path" in kwargs:
        htu = fake.base_url + kwargs.pop("htu_path")
    proof = None if kwargs.pop("missing", False) else dpop_proof(new_key(), htu, **kwargs)
    response = token_call(fake, code_body(code, verifier, redirect_uri), proof)
    assert_refused(response, 400, "ValidationException", "INVALID_REQUEST", words)
    assert fake.sessions == []


def test_htu_ignores_query_and_fragment(fake: SigninFake) -> None:
    code, verifier, redirect_uri = obtain_code(fake)
    proof = dpop_proof(new_key(), fake.token_url + "?x=1#frag")
    assert token_call(fake, code_body(code, verifier, redirect_uri), proof).status_code == 200


def test_a_replayed_jti_is_refused(fake: SigninFake) -> None:
    key = new_key()
    first = obtain_code(fake)
    second = obtain_code(fake)
    proof_a = dpop_proof(key, fake.token_url, jti="same-jti")
    assert token_call(fake, code_body(*first), proof_a).status_code == 200
    proof_b = dpop_proof(key, fake.token_url, jti="same-jti")
    assert_refused(
        token_call(fake, code_body(*second), proof_b),
        400,
        "ValidationException",
        "INVALID_REQUEST",
        "jti",
    )


def test_a_proof_sent_with_a_failed_call_may_come_again(fake: SigninFake) -> None:
    """botocore resends the same proof when it retries a 500 or a 429."""
    key = new_key()
    first = obtain_code(fake)
    proof = dpop_proof(key, fake.token_url, jti="retried-jti")
    fake.fail_next("InternalServerException")
    failed = token_call(fake, code_body(*first), proof)
    assert_refused(failed, 500, "InternalServerException", "server_error", "forced")
    assert token_call(fake, code_body(*first), proof).status_code == 200


@pytest.mark.parametrize(
    ("typ", "iat_offset"),
    [
        ("application/DPoP+JWT", 0),  # RFC 7515 4.1.9: any case, optional "application/"
        ("dpop+jwt", -120),  # a clock two minutes slow
        ("dpop+jwt", 120),  # or fast
    ],
)
def test_proofs_within_the_rfcs_and_a_clock_a_little_off_are_taken(
    fake: SigninFake, typ: str, iat_offset: int
) -> None:
    code, verifier, redirect_uri = obtain_code(fake)
    # iat keeps its fraction: a NumericDate need not be whole seconds (RFC 7519 2).
    iat = time.time() + iat_offset
    proof = dpop_proof(new_key(), fake.token_url, iat=iat, extra_header={"typ": typ})
    response = token_call(fake, code_body(code, verifier, redirect_uri), proof)
    assert response.status_code == 200, response.text


def test_htu_is_compared_after_rfc_3986_normalization() -> None:
    assert normalize_htu("HTTPS://Signin.Example:443/v1/token?x=1#f") == normalize_htu(
        "https://signin.example/v1/token"
    )
    assert normalize_htu("https://signin.example:8443/v1/token") != normalize_htu(
        "https://signin.example/v1/token"
    )


def test_the_token_endpoint_takes_a_form_body_with_oauth_names(fake: SigninFake) -> None:
    """The operation's documentation: application/json or application/x-www-form-urlencoded."""
    key = new_key()
    code, verifier, redirect_uri = obtain_code(fake)
    form = {
        "client_id": SAME_DEVICE_CLIENT,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    answer = httpx.post(
        fake.token_url, data=form, headers={"DPoP": dpop_proof(key, fake.token_url)}, timeout=5
    )
    assert answer.status_code == 200, answer.text
    refresh = {
        "client_id": SAME_DEVICE_CLIENT,
        "grant_type": "refresh_token",
        "refresh_token": answer.json()["refreshToken"],
    }
    again = httpx.post(
        fake.token_url, data=refresh, headers={"DPoP": dpop_proof(key, fake.token_url)}, timeout=5
    )
    assert again.status_code == 200, again.text
    missing = httpx.post(
        fake.token_url,
        data={"client_id": SAME_DEVICE_CLIENT, "grant_type": "refresh_token"},
        headers={"DPoP": dpop_proof(key, fake.token_url)},
        timeout=5,
    )
    assert_refused(missing, 400, "ValidationException", "INVALID_REQUEST", "refreshToken")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"codeVerifier": "x" * 64}, "codeVerifier does not match"),
        ({"redirectUri": "http://127.0.0.1:9999/oauth/callback"}, "redirectUri"),
        ({"clientId": CROSS_DEVICE_CLIENT}, "clientId"),
        ({"codeVerifier": "short"}, "43-128"),
        ({"grantType": "password"}, "grantType"),
        ({"clientId": "arn:aws:signin:::console/x"}, "clientId"),
    ],
)
def test_code_exchange_refuses_a_mismatch_with_the_authorization(
    fake: SigninFake, change: dict[str, str], words: str
) -> None:
    code, verifier, redirect_uri = obtain_code(fake)
    body = code_body(code, verifier, redirect_uri) | change
    response = token_call(fake, body, dpop_proof(new_key(), fake.token_url))
    assert_refused(response, 400, "ValidationException", "INVALID_REQUEST", words)


def test_a_refused_exchange_still_uses_up_the_code(fake: SigninFake) -> None:
    code, verifier, redirect_uri = obtain_code(fake)
    wrong = code_body(code, "y" * 64, redirect_uri)
    assert token_call(fake, wrong, dpop_proof(new_key(), fake.token_url)).status_code == 400
    right = code_body(code, verifier, redirect_uri)
    response = token_call(fake, right, dpop_proof(new_key(), fake.token_url))
    assert_refused(response, 401, "AccessDeniedException", "AUTHCODE_EXPIRED", "already used")


def test_missing_fields_and_non_json_are_validation_errors(fake: SigninFake) -> None:
    proof = dpop_proof(new_key(), fake.token_url)
    response = token_call(
        fake, {"clientId": SAME_DEVICE_CLIENT, "grantType": "authorization_code"}, proof
    )
    assert_refused(response, 400, "ValidationException", "INVALID_REQUEST", "code")
    raw = httpx.post(fake.token_url, content=b"{not json", headers={"DPoP": proof})
    assert_refused(raw, 400, "ValidationException", "INVALID_REQUEST", "JSON")
    assert fake.token_calls == 2


def test_a_code_is_used_once_and_its_replay_revokes_the_session(fake: SigninFake) -> None:
    key = new_key()
    code, verifier, redirect_uri = obtain_code(fake)
    body = code_body(code, verifier, redirect_uri)
    first = token_call(fake, body, dpop_proof(key, fake.token_url))
    assert first.status_code == 200
    again = token_call(fake, body, dpop_proof(key, fake.token_url))
    assert_refused(again, 401, "AccessDeniedException", "AUTHCODE_EXPIRED", "already used")
    refresh = token_call(
        fake, refresh_body(first.json()["refreshToken"]), dpop_proof(key, fake.token_url)
    )
    assert_refused(refresh, 401, "AccessDeniedException", "TOKEN_EXPIRED", "ended")


def test_an_expired_or_unknown_code_is_authcode_expired() -> None:
    with run_signin_fake(code_lifetime=0) as fake:
        code, verifier, redirect_uri = obtain_code(fake)
        time.sleep(0.01)
        response = token_call(
            fake, code_body(code, verifier, redirect_uri), dpop_proof(new_key(), fake.token_url)
        )
        assert_refused(response, 401, "AccessDeniedException", "AUTHCODE_EXPIRED", "expired")
        unknown = token_call(
            fake, code_body("nope", verifier, redirect_uri), dpop_proof(new_key(), fake.token_url)
        )
        assert_refused(unknown, 401, "AccessDeniedException", "AUTHCODE_EXPIRED", "invalid")


# refresh ------------------------------------------------------------------------------


def test_refresh_rotates_and_a_replay_in_the_window_gets_the_same_answer(
    fake: SigninFake,
) -> None:
    key = new_key()
    first = signed_in(fake, key)
    refreshed = token_call(
        fake, refresh_body(first["refreshToken"]), dpop_proof(key, fake.token_url)
    )
    assert refreshed.status_code == 200, refreshed.text
    output = refreshed.json()
    assert "idToken" not in output
    assert output["refreshToken"] != first["refreshToken"]
    assert output["accessToken"]["accessKeyId"] != first["accessToken"]["accessKeyId"]

    # The model: refresh is "idempotent within token validity window": the rotated-away
    # token gets the same credentials and the same next refresh token, nothing new minted.
    replay = token_call(fake, refresh_body(first["refreshToken"]), dpop_proof(key, fake.token_url))
    assert replay.status_code == 200, replay.text
    assert replay.json() == output
    assert len(fake.sessions[0].credentials) == 2
    newest = token_call(fake, refresh_body(output["refreshToken"]), dpop_proof(key, fake.token_url))
    assert newest.status_code == 200
    assert newest.json()["refreshToken"] != output["refreshToken"]

    # Outside the window (here narrowed to nothing) the rotated-away token is refused.
    fake.settings.refresh_replay_window = 0
    late = token_call(fake, refresh_body(first["refreshToken"]), dpop_proof(key, fake.token_url))
    assert_refused(late, 401, "AccessDeniedException", "TOKEN_EXPIRED", "already used")
    assert fake.token_calls_by_grant == {"authorization_code": 1, "refresh_token": 4}


def test_the_idempotency_window_ends_with_the_credentials_it_repeats() -> None:
    with run_signin_fake(access_token_lifetime=1) as fake:
        key = new_key()
        first = signed_in(fake, key)
        body = refresh_body(first["refreshToken"])
        assert token_call(fake, body, dpop_proof(key, fake.token_url)).status_code == 200
        time.sleep(1.1)
        late = token_call(fake, body, dpop_proof(key, fake.token_url))
        assert_refused(late, 401, "AccessDeniedException", "TOKEN_EXPIRED", "already used")


def test_replay_window_knob_repeats_the_answer_then_refuses() -> None:
    with run_signin_fake(refresh_replay_window=0.5) as fake:
        key = new_key()
        first = signed_in(fake, key)
        body = refresh_body(first["refreshToken"])
        one = token_call(fake, body, dpop_proof(key, fake.token_url)).json()
        two = token_call(fake, body, dpop_proof(key, fake.token_url)).json()
        assert one == two
        assert len(fake.sessions[0].credentials) == 2
        time.sleep(0.6)
        late = token_call(fake, body, dpop_proof(key, fake.token_url))
        assert_refused(late, 401, "AccessDeniedException", "TOKEN_EXPIRED", "already used")


def test_refresh_is_bound_to_the_dpop_key_and_client(fake: SigninFake) -> None:
    key = new_key()
    first = signed_in(fake, key)
    other_key = token_call(
        fake, refresh_body(first["refreshToken"]), dpop_proof(new_key(), fake.token_url)
    )
    assert_refused(other_key, 400, "ValidationException", "INVALID_REQUEST", "bound to")
    other_client = token_call(
        fake,
        refresh_body(first["refreshToken"], CROSS_DEVICE_CLIENT),
        dpop_proof(key, fake.token_url),
    )
    assert_refused(other_client, 400, "ValidationException", "INVALID_REQUEST", "clientId")


def test_the_session_ends_after_its_lifetime() -> None:
    with run_signin_fake(session_lifetime=1) as fake:
        key = new_key()
        first = signed_in(fake, key)
        assert first["expiresIn"] == 1
        time.sleep(1.1)
        response = token_call(
            fake, refresh_body(first["refreshToken"]), dpop_proof(key, fake.token_url)
        )
        assert_refused(response, 401, "AccessDeniedException", "TOKEN_EXPIRED", "ended")


def test_revoke_ends_the_identitys_sessions(fake: SigninFake) -> None:
    key = new_key()
    first = signed_in(fake, key)
    fake.revoke(ALICE)
    response = token_call(
        fake, refresh_body(first["refreshToken"]), dpop_proof(key, fake.token_url)
    )
    assert_refused(response, 401, "AccessDeniedException", "TOKEN_EXPIRED", "ended")


def test_access_token_lifetime_knob() -> None:
    with run_signin_fake(access_token_lifetime=120) as fake:
        assert signed_in(fake, new_key())["expiresIn"] == 120


# botocore's own client and login provider -----------------------------------------------


def signin_client(fake: SigninFake) -> Any:
    return boto3.client(
        "signin",
        endpoint_url=fake.base_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def crt_key_from(key: ec.EllipticCurvePrivateKey) -> Any:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return EC.new_key_from_der_data(der)


def test_botocore_signin_client_exchanges_a_code_and_refreshes(fake: SigninFake) -> None:
    key = new_key()
    client = signin_client(fake)
    client.meta.events.register(
        "before-call.signin.CreateOAuth2Token", _build_add_dpop_header_handler(crt_key_from(key))
    )
    code, verifier, redirect_uri = obtain_code(fake)
    response = client.create_o_auth2_token(tokenInput=code_body(code, verifier, redirect_uri))
    output = response["tokenOutput"]
    assert output["tokenType"] == "aws_sigv4"
    assert output["accessToken"]["accessKeyId"] == fake.sessions[0].credentials[0].access_key_id
    assert jwt.decode(output["idToken"], options={"verify_signature": False})["sub"] == ALICE
    # botocore signs with its own DPoP code: the session is bound to the same thumbprint.
    assert fake.sessions[0].jkt == jwk_thumbprint(public_jwk(key))

    refreshed = client.create_o_auth2_token(tokenInput=refresh_body(output["refreshToken"]))
    assert refreshed["tokenOutput"]["refreshToken"] == fake.sessions[0].refresh_token
    assert "idToken" not in refreshed["tokenOutput"]


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("TOKEN_EXPIRED", 401),
        ("AUTHCODE_EXPIRED", 401),
        ("USER_CREDENTIALS_CHANGED", 403),
        ("INSUFFICIENT_PERMISSIONS", 403),
    ],
)
def test_botocore_parses_forced_access_denied_reasons(
    fake: SigninFake, reason: str, status: int
) -> None:
    key = new_key()
    first = signed_in(fake, key)
    client = signin_client(fake)
    client.meta.events.register(
        "before-call.signin.CreateOAuth2Token", _build_add_dpop_header_handler(crt_key_from(key))
    )
    fake.deny_next(reason)
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        client.create_o_auth2_token(tokenInput=refresh_body(first["refreshToken"]))
    assert caught.value.response["error"] == reason
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    # The denial is one call only; the refresh token was not consumed by it.
    after = client.create_o_auth2_token(tokenInput=refresh_body(first["refreshToken"]))
    assert after["tokenOutput"]["refreshToken"] != first["refreshToken"]


def test_botocore_reports_a_missing_proof_as_validation_exception(fake: SigninFake) -> None:
    code, verifier, redirect_uri = obtain_code(fake)
    with pytest.raises(ClientError) as caught:
        signin_client(fake).create_o_auth2_token(tokenInput=code_body(code, verifier, redirect_uri))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["error"] == "INVALID_REQUEST"


@pytest.fixture
def login_profile(
    fake: SigninFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, ec.EllipticCurvePrivateKey, dict[str, Any]]:
    """A profile and cache as `aws login` leaves them, with credentials about to expire."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\nlogin_session = {ALICE}\nregion = us-east-1\n")
    cache_dir = tmp_path / "login-cache"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(cache_dir))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", fake.base_url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    key = new_key()
    output = signed_in(fake, key)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    token = {
        "accessToken": {
            **output["accessToken"],
            "accountId": "123456789012",
            "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "tokenType": output["tokenType"],
        "clientId": SAME_DEVICE_CLIENT,
        "refreshToken": output["refreshToken"],
        "idToken": output["idToken"],
        "dpopKey": pem,
    }
    cache_dir.mkdir()
    cache_file = cache_dir / (hashlib.sha256(ALICE.encode()).hexdigest() + ".json")
    cache_file.write_text(json.dumps(token))
    return cache_file, key, token


def test_botocore_login_provider_refreshes_near_expiry_and_writes_the_cache(
    fake: SigninFake, login_profile: tuple[Path, ec.EllipticCurvePrivateKey, dict[str, Any]]
) -> None:
    cache_file, _, before = login_profile
    credentials = botocore.session.Session(profile="dev").get_credentials()
    assert credentials.method == "login"

    frozen = credentials.get_frozen_credentials()

    (session,) = fake.sessions
    newest = session.credentials[-1]
    assert frozen.access_key == newest.access_key_id != before["accessToken"]["accessKeyId"]
    assert frozen.token == newest.session_token
    assert fake.token_calls_by_grant["refresh_token"] == 1
    after = json.loads(cache_file.read_text())
    assert after["refreshToken"] == session.refresh_token != before["refreshToken"]
    assert after["accessToken"]["accessKeyId"] == newest.access_key_id
    assert after["accessToken"]["accountId"] == "123456789012"
    expires_at = dt.datetime.strptime(after["accessToken"]["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
    remaining = expires_at.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
    assert 850 < remaining.total_seconds() <= 900
    for kept in ("idToken", "dpopKey", "clientId", "tokenType"):
        assert after[kept] == before[kept]
    # The rotated-away token repeats that answer inside the model's idempotency window and
    # is dead after it: only botocore's write-back keeps the login alive.
    replay = token_call(
        fake, refresh_body(before["refreshToken"]), dpop_proof(login_profile[1], fake.token_url)
    )
    assert replay.status_code == 200
    assert replay.json()["accessToken"]["accessKeyId"] == newest.access_key_id
    fake.settings.refresh_replay_window = 0
    replay = token_call(
        fake, refresh_body(before["refreshToken"]), dpop_proof(login_profile[1], fake.token_url)
    )
    assert replay.status_code == 401


def test_botocore_login_provider_asks_for_a_new_login_when_the_session_ended(
    fake: SigninFake, login_profile: tuple[Path, ec.EllipticCurvePrivateKey, dict[str, Any]]
) -> None:
    fake.revoke(ALICE)
    credentials = botocore.session.Session(profile="dev").get_credentials()
    with pytest.raises(LoginRefreshRequired):
        credentials.get_frozen_credentials()


def test_a_jwk_coordinate_without_its_leading_zero_byte_is_accepted(fake: SigninFake) -> None:
    """botocore writes a coordinate that starts with a zero byte in 31 bytes (about one
    key in 128); the fake takes what AWS clients send."""
    key = new_key()
    while key.public_key().public_numbers().x >= 1 << 248:
        key = new_key()
    jwk = public_jwk(key)
    jwk["x"] = (
        base64.urlsafe_b64encode(key.public_key().public_numbers().x.to_bytes(31, "big"))
        .decode()
        .rstrip("=")
    )
    code, verifier, redirect_uri = obtain_code(fake)
    proof = dpop_proof(key, fake.token_url, extra_header={"jwk": jwk})
    response = token_call(fake, code_body(code, verifier, redirect_uri), proof)
    assert response.status_code == 200, response.text
