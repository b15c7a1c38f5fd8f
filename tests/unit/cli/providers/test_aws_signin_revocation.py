"""aws-signin's revocation (RevokeOAuth2TokenWithIAM) against a mocked AWS Sign-In (respx):
the endpoint rule, the signed request, refresh before signing, retries and refusals."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.crypto.dpop import DpopKey
from awslogin.profile import Profile
from awslogin.providers.aws_signin import AwsSigninProvider, signin_oauth_url
from awslogin.session_record import SessionRecord

pytestmark = pytest.mark.unit

ALICE = "arn:aws:iam::123456789012:user/alice"
REVOKE_URL = "https://us-east-1.oauth.signin.aws/v1/revoke?x-amz-client-auth-method=iam"
TOKEN_URL = "https://us-east-1.signin.aws.amazon.com/v1/token"


class SleeplessClock(SystemClock):
    """The system's time; sleeps are recorded and move the monotonic clock instead."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return super().monotonic() + sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def profile(region: str | None = "us-east-1", environ: dict[str, str] | None = None) -> Profile:
    return Profile("dev", {"awslogin_provider": "aws-signin"}, region=region, environ=environ or {})


def provider(clock: SystemClock | None = None) -> AwsSigninProvider:
    return AwsSigninProvider(profile(), HttpFactory(), clock or SleeplessClock())


def record(credentials_left: int = 600) -> SessionRecord:
    now = int(time.time())
    data: dict[str, Any] = {
        "provider": "aws-signin",
        "profile": "dev",
        "config": {"login_session": ALICE},
        "identity": {"arn": ALICE, "subject": ALICE, "accountId": "123456789012"},
        "credentials": {
            "AccessKeyId": "ASIAOLD",
            "SecretAccessKey": "old-secret",
            "SessionToken": "old-session",
            "Expiration": "",
            "ExpiresAt": now + credentials_left,
        },
        "session": {"startedAt": now, "expiresAt": now + 40000},
        "providerState": {
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": "ASORold",
            "idToken": "x.e30.y",
            "dpopKey": DpopKey.generate().to_pem(),
            "tokenType": "aws_sigv4",
        },
    }
    return data  # type: ignore[return-value]


@pytest.fixture
def signin() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.mark.parametrize(
    ("region", "environ", "expected"),
    [
        ("eu-west-1", {}, "https://eu-west-1.oauth.signin.aws"),
        ("cn-north-1", {}, "https://cn-north-1.signin.amazonaws.cn"),
        ("us-gov-west-1", {}, "https://us-gov-west-1.signin.amazonaws-us-gov.com"),
        ("us-east-1", {"AWS_ENDPOINT_URL_SIGNIN": "http://127.0.0.1:9/"}, "http://127.0.0.1:9"),
    ],
)
def test_the_revocation_goes_where_the_models_oauth_endpoint_rule_says(
    region: str, environ: dict[str, str], expected: str
) -> None:
    assert signin_oauth_url(profile(region, environ)) == expected


def test_the_refresh_token_is_revoked_in_a_request_signed_with_the_sessions_credentials(
    signin: respx.MockRouter,
) -> None:
    route = signin.post(REVOKE_URL).respond(200)
    revocation = provider().revoke(record())
    assert revocation.revoked
    assert not revocation.failed
    sent = route.calls.last.request
    assert json.loads(sent.content) == {"token": "ASORold"}
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["X-Amz-Security-Token"] == "old-session"
    authorization = sent.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=ASIAOLD/")
    assert "/us-east-1/signin/aws4_request, " in authorization
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, " in authorization


def test_credentials_about_to_expire_are_refreshed_before_they_sign(
    signin: respx.MockRouter,
) -> None:
    refreshed = {
        "accessToken": {
            "accessKeyId": "ASIANEW",
            "secretAccessKey": "new-secret",
            "sessionToken": "new-session",
        },
        "tokenType": "aws_sigv4",
        "expiresIn": 900,
        "refreshToken": "ASORnew",
    }
    token = signin.post(TOKEN_URL).respond(200, json=refreshed)
    revoke = signin.post(REVOKE_URL).respond(200)
    assert provider().revoke(record(credentials_left=10)).revoked
    assert token.call_count == 1
    sent = revoke.calls.last.request
    assert json.loads(sent.content) == {"token": "ASORnew"}
    assert sent.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=ASIANEW/")


def test_an_ended_session_has_nothing_to_revoke(signin: respx.MockRouter) -> None:
    signin.post(TOKEN_URL).respond(
        401,
        json={"error": "TOKEN_EXPIRED", "message": "ended"},
        headers={"x-amzn-ErrorType": "AccessDeniedException"},
    )
    revoke = signin.post(REVOKE_URL).respond(200)
    revocation = provider().revoke(record(credentials_left=-100))
    assert not revocation.revoked
    assert not revocation.failed
    assert "already ended" in revocation.detail
    assert revoke.call_count == 0


def test_a_passing_failure_is_sent_again_with_a_new_signature(signin: respx.MockRouter) -> None:
    clock = SleeplessClock()
    route = signin.post(REVOKE_URL).mock(
        side_effect=[httpx.Response(500, json={"error": "server_error"}), httpx.Response(200)]
    )
    assert provider(clock).revoke(record()).revoked
    assert route.call_count == 2
    assert len(clock.slept) == 1


def test_a_denial_by_iam_is_a_failed_revocation_that_names_the_permission(
    signin: respx.MockRouter,
) -> None:
    signin.post(REVOKE_URL).respond(
        403,
        json={"error": "INSUFFICIENT_PERMISSIONS", "message": "User: x is not authorized"},
        headers={"x-amzn-ErrorType": "AccessDeniedException"},
    )
    revocation = provider().revoke(record())
    assert revocation.failed
    assert not revocation.revoked
    assert "signin:RevokeOAuth2TokenWithIAM" in revocation.detail


def test_another_refusal_is_quoted_on_one_line(signin: respx.MockRouter) -> None:
    signin.post(REVOKE_URL).respond(
        403,
        json={"message": "The security token included\nin the request is expired"},
        headers={"x-amzn-ErrorType": "ExpiredTokenException"},
    )
    revocation = provider().revoke(record())
    assert revocation.failed
    assert "\n" not in revocation.detail
    assert "HTTP 403 (ExpiredTokenException: The security token" in revocation.detail


@pytest.mark.parametrize("body", [{"error": ["TOKEN_EXPIRED"]}, {"error": {}, "message": [1]}])
def test_an_answer_of_the_wrong_shape_is_a_failed_revocation_not_a_crash(
    signin: respx.MockRouter, body: dict[str, object]
) -> None:
    signin.post(REVOKE_URL).respond(400, json=body)
    revocation = provider().revoke(record())
    assert revocation.failed
    assert not revocation.revoked
    assert revocation.detail == "refresh token not revoked: AWS Sign-In answered HTTP 400"
