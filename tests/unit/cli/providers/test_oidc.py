"""The oidc provider against an IdP and STS served by respx: login, validation, refresh."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.errors import LoginRequired, ProviderError, UsageError
from awslogin.flows.base import AuthorizationResponse, RequestBuilder
from awslogin.profile import Profile
from awslogin.providers.oidc import OidcProvider
from tests.support.fake_idp import CLIENT_ID, ISSUER, ROLE_ARN, STS_URL, FakeIdp, sts_response

pytestmark = pytest.mark.unit

REDIRECT = "http://127.0.0.1:5555/oauth/callback"
Answer = Callable[[dict[str, str]], Mapping[str, str]]


class ScriptedFlow:
    """A flow whose 'browser' answers with what `answer` makes of the request's query."""

    name = "scripted"

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.request_query: dict[str, str] = {}

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        request = build(REDIRECT)
        self.request_query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        return AuthorizationResponse(request, self.answer(self.request_query))


def good_answer(query: dict[str, str]) -> dict[str, str]:
    return {"code": "the-code", "state": query["state"], "iss": ISSUER}


def provider(**values: str) -> OidcProvider:
    profile = Profile(
        "dev",
        {
            "awslogin_issuer": ISSUER,
            "awslogin_client_id": CLIENT_ID,
            "awslogin_role_arn": ROLE_ARN,
            **values,
        },
        region="us-east-1",
        environ={},
    )
    return OidcProvider(profile, HttpFactory(), SystemClock())


def serve_idp(
    router: respx.MockRouter,
    idp: FakeIdp,
    token: Callable[[dict[str, str]], httpx.Response],
    **metadata: Any,
) -> dict[str, list[dict[str, str]]]:
    calls: dict[str, list[dict[str, str]]] = {"token": [], "sts": [], "revoke": []}
    router.get(f"{ISSUER}/.well-known/openid-configuration").respond(json=idp.metadata(**metadata))
    router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())

    def on_token(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        calls["token"].append(form)
        return token(form)

    def on_sts(request: httpx.Request) -> httpx.Response:
        calls["sts"].append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        return httpx.Response(200, text=sts_response())

    def on_revoke(request: httpx.Request) -> httpx.Response:
        calls["revoke"].append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        return httpx.Response(200)

    router.post(f"{ISSUER}/token").mock(side_effect=on_token)
    router.post(STS_URL).mock(side_effect=on_sts)
    router.post(f"{ISSUER}/revoke").mock(side_effect=on_revoke)
    return calls


def run_login(
    idp: FakeIdp,
    token_for: Callable[[str], dict[str, Any]],
    answer: Answer = good_answer,
    profile_values: Mapping[str, str] | None = None,
    **metadata: Any,
) -> tuple[dict[str, Any], ScriptedFlow, dict[str, list[dict[str, str]]]]:
    flow = ScriptedFlow(answer)
    with respx.mock(assert_all_called=False) as router:
        calls = serve_idp(
            router,
            idp,
            lambda form: httpx.Response(200, json=token_for(flow.request_query["nonce"])),
            **metadata,
        )
        record = provider(**(profile_values or {})).login(flow)  # type: ignore[arg-type]
    return record, flow, calls


def test_login_sends_pkce_and_nonce_validates_and_assumes_the_role(idp: FakeIdp) -> None:
    def tokens(nonce: str) -> dict[str, Any]:
        return {"id_token": idp.id_token(nonce=nonce), "refresh_token": "rt-1", "expires_in": 3600}

    record, flow, calls = run_login(idp, tokens)
    query = flow.request_query
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"] == "openid offline_access"
    assert len(query["state"]) >= 43
    exchange = calls["token"][0]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["code"] == "the-code"
    assert exchange["redirect_uri"] == REDIRECT
    assert len(exchange["code_verifier"]) >= 43
    assert calls["sts"][0]["RoleArn"] == ROLE_ARN
    assert calls["sts"][0]["RoleSessionName"] == "alice@example.test"
    assert record["identity"]["arn"] == "arn:aws:sts::123456789012:assumed-role/dev/alice"
    assert record["providerState"]["refreshToken"] == "rt-1"
    assert record["session"]["expiresAt"] - record["session"]["startedAt"] == 12 * 3600
    assert record["credentials"]["AccessKeyId"] == "ASIAEXAMPLE"


def test_es256_id_tokens_are_accepted(idp: FakeIdp) -> None:
    record, _, _ = run_login(
        idp,
        lambda nonce: {"id_token": idp.id_token(nonce=nonce, alg="ES256"), "refresh_token": "r"},
    )
    assert record["identity"]["subject"] == "alice"


def test_idp_session_limit_shortens_the_session(idp: FakeIdp) -> None:
    record, _, _ = run_login(
        idp,
        lambda nonce: {
            "id_token": idp.id_token(nonce=nonce),
            "refresh_token": "r",
            "refresh_expires_in": 1800,
        },
    )
    assert record["session"]["expiresAt"] - record["session"]["startedAt"] == 1800


def test_the_profile_session_limit_caps_the_session(idp: FakeIdp) -> None:
    record, _, _ = run_login(
        idp,
        lambda nonce: {"id_token": idp.id_token(nonce=nonce), "refresh_token": "r"},
        profile_values={"awslogin_session_limit": "120"},
    )
    assert record["session"]["expiresAt"] - record["session"]["startedAt"] == 120


def test_a_jwt_refresh_token_exp_shortens_the_session(idp: FakeIdp) -> None:
    ends = int(time.time()) + 900
    record, _, _ = run_login(
        idp,
        lambda nonce: {
            "id_token": idp.id_token(nonce=nonce),
            "refresh_token": idp.id_token(nonce=None, exp=ends),
            "refresh_expires_in": 3600,
        },
    )
    assert abs(record["session"]["expiresAt"] - ends) <= 1


def test_a_refresh_token_cannot_make_the_session_longer(idp: FakeIdp) -> None:
    record, _, _ = run_login(
        idp,
        lambda nonce: {
            "id_token": idp.id_token(nonce=nonce),
            "refresh_token": idp.id_token(nonce=None, exp=int(time.time()) + 48 * 3600),
            "refresh_expires_in": 99 * 3600,
        },
        profile_values={"awslogin_session_limit": "3600"},
    )
    assert record["session"]["expiresAt"] - record["session"]["startedAt"] == 3600


@pytest.mark.parametrize("limit", ["0", "-5", "soon", " "])
def test_a_session_limit_that_is_not_seconds_is_said_before_any_sign_in(limit: str) -> None:
    with pytest.raises(UsageError, match="awslogin_session_limit"):
        provider(awslogin_session_limit=limit)


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda idp, n: idp.id_token(nonce=n, key=idp.other_key), "signature does not verify"),
        (lambda idp, n: idp.id_token(nonce=n, aud="someone-else"), "not for client"),
        (lambda idp, n: idp.id_token(nonce=n, iss="https://evil.test"), "not issued by"),
        (lambda idp, n: idp.id_token(nonce=n, exp=int(time.time()) - 3600), "has expired"),
        (lambda idp, n: idp.id_token(nonce="another-nonce"), "nonce does not match"),
        (lambda idp, n: idp.id_token(nonce=None), "no nonce"),
        (lambda idp, n: idp.id_token(nonce=n, alg="HS256"), "only RS256 or ES256"),
        (lambda idp, n: idp.id_token(nonce=n, kid="unknown"), "no unique signing key"),
        (lambda idp, n: "not-a-jwt", "malformed"),
    ],
)
def test_bad_id_tokens_are_refused_before_sts(
    idp: FakeIdp, make_token: Callable[[FakeIdp, str], str], message: str
) -> None:
    flow = ScriptedFlow(good_answer)
    with respx.mock(assert_all_called=False) as router:
        calls = serve_idp(
            router,
            idp,
            lambda form: httpx.Response(
                200, json={"id_token": make_token(idp, flow.request_query["nonce"])}
            ),
        )
        with pytest.raises(ProviderError, match=message):
            provider().login(flow)  # type: ignore[arg-type]
    assert calls["sts"] == []


def test_alg_none_is_refused(idp: FakeIdp) -> None:
    import jwt

    unsigned = jwt.encode({"iss": ISSUER, "aud": CLIENT_ID, "sub": "a"}, None, algorithm="none")
    flow = ScriptedFlow(good_answer)
    with respx.mock(assert_all_called=False) as router:
        serve_idp(router, idp, lambda form: httpx.Response(200, json={"id_token": unsigned}))
        with pytest.raises(ProviderError, match="signed with none"):
            provider().login(flow)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda q: {"code": "c", "state": "forged", "iss": ISSUER}, "state mismatch"),
        (lambda q: {"code": "c", "iss": ISSUER}, "state mismatch"),
        (lambda q: {"code": "c", "state": q["state"], "iss": "https://evil.test"}, "iss mismatch"),
        (lambda q: {"code": "c", "state": q["state"]}, "lacks the issuer"),
        (
            lambda q: {
                "error": "access_denied",
                "error_description": "User said no",
                "state": q["state"],
                "iss": ISSUER,
            },
            "denied at the identity provider: User said no",
        ),
        (lambda q: {"state": q["state"], "iss": ISSUER}, "no authorization code"),
    ],
)
def test_bad_authorization_responses_are_refused_without_a_token_call(
    idp: FakeIdp, answer: Answer, message: str
) -> None:
    flow = ScriptedFlow(answer)
    with respx.mock(assert_all_called=False) as router:
        calls = serve_idp(router, idp, lambda form: httpx.Response(500))
        with pytest.raises(ProviderError, match=message):
            provider().login(flow)  # type: ignore[arg-type]
    assert calls["token"] == []


def test_discovery_problems_are_clear(idp: FakeIdp) -> None:
    with respx.mock() as router:
        router.get(f"{ISSUER}/.well-known/openid-configuration").respond(
            json=idp.metadata(issuer="https://other.test")
        )
        with pytest.raises(ProviderError, match=r"says its issuer is https://other\.test"):
            provider().login(ScriptedFlow(good_answer))  # type: ignore[arg-type]
    with respx.mock() as router:
        router.get(f"{ISSUER}/.well-known/openid-configuration").mock(
            side_effect=httpx.ConnectError("refused")
        )
        with pytest.raises(
            ProviderError, match="cannot reach the identity provider at https://idp"
        ):
            provider().login(ScriptedFlow(good_answer))  # type: ignore[arg-type]


def test_code_exchange_refusal_is_one_line(idp: FakeIdp) -> None:
    flow = ScriptedFlow(good_answer)
    with respx.mock(assert_all_called=False) as router:
        serve_idp(
            router,
            idp,
            lambda form: httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "code\nexpired"}
            ),
        )
        with pytest.raises(ProviderError) as failure:
            provider().login(flow)  # type: ignore[arg-type]
    assert failure.value.message == (
        "the identity provider refused to exchange the authorization code: "
        "invalid_grant: code expired"
    )


def stored_record(idp: FakeIdp) -> dict[str, Any]:
    record, _, _ = run_login(
        idp, lambda nonce: {"id_token": idp.id_token(nonce=nonce), "refresh_token": "rt-1"}
    )
    return record


def test_refresh_rotates_the_refresh_token_and_renews_credentials(idp: FakeIdp) -> None:
    record = stored_record(idp)
    with respx.mock(assert_all_called=False) as router:
        calls = serve_idp(
            router,
            idp,
            lambda form: httpx.Response(
                200, json={"id_token": idp.id_token(nonce=None), "refresh_token": "rt-2"}
            ),
        )
        refreshed = provider().refresh(record)
    assert calls["token"] == [
        {"grant_type": "refresh_token", "refresh_token": "rt-1", "client_id": CLIENT_ID}
    ]
    assert refreshed["providerState"]["refreshToken"] == "rt-2"
    assert refreshed["session"] == record["session"]
    assert len(calls["sts"]) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, json={"error": "invalid_grant", "error_description": "grant revoked"}),
        httpx.Response(200, json={"access_token": "x"}),
    ],
)
def test_refresh_that_cannot_continue_asks_for_login(idp: FakeIdp, answer: httpx.Response) -> None:
    record = stored_record(idp)
    with respx.mock(assert_all_called=False) as router:
        serve_idp(router, idp, lambda form: answer)
        with pytest.raises(LoginRequired, match="run `awslogin login --profile dev`"):
            provider().refresh(record)


def test_refresh_refuses_an_id_token_for_another_user(idp: FakeIdp) -> None:
    record = stored_record(idp)
    with respx.mock(assert_all_called=False) as router:
        serve_idp(
            router,
            idp,
            lambda form: httpx.Response(
                200, json={"id_token": idp.id_token(nonce=None, sub="mallory")}
            ),
        )
        with pytest.raises(ProviderError, match="different user"):
            provider().refresh(record)


def test_revoke_posts_the_refresh_token(idp: FakeIdp) -> None:
    record = stored_record(idp)
    with respx.mock(assert_all_called=False) as router:
        calls = serve_idp(router, idp, lambda form: httpx.Response(500))
        outcome = provider().revoke(record)
    assert outcome.revoked
    assert calls["revoke"] == [
        {"token": "rt-1", "token_type_hint": "refresh_token", "client_id": CLIENT_ID}
    ]
