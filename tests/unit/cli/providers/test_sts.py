"""STS over respx: AssumeRoleWithWebIdentity's credentials parsed from XML, errors in one
line, the role session name sanitised; GetCallerIdentity signed, retried and checked."""

from __future__ import annotations

import httpx
import pytest
import respx

from awslogin.crypto.sigv4 import SigningCredentials
from awslogin.errors import ProviderError
from awslogin.profile import Profile
from awslogin.providers.sts import (
    assume_role_with_web_identity,
    get_caller_identity,
    role_session_name,
    sts_endpoint,
)
from tests.support.fake_clock import SteppedClock
from tests.support.fake_idp import ROLE_ARN, STS_URL, caller_response, sts_response

pytestmark = pytest.mark.unit


def test_sts_credentials_are_parsed_from_xml() -> None:
    with respx.mock() as router:
        route = router.post(STS_URL).respond(200, text=sts_response())
        with httpx.Client() as client:
            creds = assume_role_with_web_identity(client, STS_URL, ROLE_ARN, "alice", "jwt", 600)
    sent = dict(x.split("=", 1) for x in route.calls[0].request.content.decode().split("&"))
    assert sent["Action"] == "AssumeRoleWithWebIdentity"
    assert sent["DurationSeconds"] == "900"
    assert creds.access_key_id == "ASIAEXAMPLE"
    assert creds.secret_access_key == "secret/key"
    assert creds.assumed_role_arn.endswith(":assumed-role/dev/alice")


def test_sts_errors_are_one_line() -> None:
    error = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Code>'
        "AccessDenied</Code><Message>Not authorized\nto perform</Message></Error></ErrorResponse>"
    )
    with respx.mock() as router, httpx.Client() as client:
        router.post(STS_URL).respond(403, text=error)
        with pytest.raises(ProviderError) as failure:
            assume_role_with_web_identity(client, STS_URL, ROLE_ARN, "alice", "jwt", 3600)
    assert failure.value.message == (
        f"STS refused AssumeRoleWithWebIdentity for {ROLE_ARN}: "
        "AccessDenied: Not authorized to perform"
    )


def test_role_session_name_is_sanitised() -> None:
    assert role_session_name({"email": "a b@x.test"}) == "a-b@x.test"
    assert role_session_name({"sub": "x" * 100}) == "x" * 64
    assert role_session_name({}) == "awslogin"


CALLER = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Developer_0a1b/alice"
SIGNER = SigningCredentials("ASIACALLER", "secret", "session-token")


def test_the_caller_is_asked_with_a_signature_for_the_region_and_retried_after_a_500() -> None:
    clock = SteppedClock()
    with respx.mock() as router, httpx.Client() as client:
        route = router.post(STS_URL).mock(
            side_effect=[httpx.Response(500), httpx.Response(200, text=caller_response(CALLER))]
        )
        assert get_caller_identity(client, STS_URL, SIGNER, "eu-west-1", clock) == CALLER
    assert route.call_count == 2
    request = route.calls[1].request
    assert request.content == b"Action=GetCallerIdentity&Version=2011-06-15"
    assert (
        "Credential=ASIACALLER/20270115/eu-west-1/sts/aws4_request"
        in (request.headers["authorization"])
    )
    assert request.headers["x-amz-security-token"] == "session-token"
    assert len(clock.sleeps) == 1


def test_without_a_region_the_global_endpoint_is_signed_for_us_east_1() -> None:
    assert sts_endpoint(Profile("dev", {}, environ={})) == "https://sts.amazonaws.com"
    regional = Profile("dev", {}, environ={}, region="eu-west-1")
    assert sts_endpoint(regional) == "https://sts.eu-west-1.amazonaws.com"
    moved = Profile("dev", {}, environ={"AWS_ENDPOINT_URL_STS": STS_URL}, region="eu-west-1")
    assert sts_endpoint(moved) == STS_URL
    with respx.mock() as router, httpx.Client() as client:
        route = router.post(STS_URL).respond(200, text=caller_response(CALLER))
        get_caller_identity(client, STS_URL, SIGNER, None, SteppedClock())
    assert "/us-east-1/sts/aws4_request" in route.calls[0].request.headers["authorization"]


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (403, "<ErrorResponse><Error><Code>ExpiredToken</Code></Error></ErrorResponse>", "refused"),
        (200, "not xml", "not XML"),
        (200, caller_response("arn:aws:sts::1:x").replace("arn:", "urn:", 1), "not an ARN"),
        (200, caller_response("arn:aws:sts::1:assumed-role/r/\u202emallory"), "not an ARN"),
        (200, "<GetCallerIdentityResponse/>", "without Arn"),
    ],
)
def test_an_answer_that_names_nobody_is_one_line(status: int, body: str, said: str) -> None:
    with respx.mock() as router, httpx.Client() as client:
        router.post(STS_URL).respond(status, text=body)
        with pytest.raises(ProviderError) as failure:
            get_caller_identity(client, STS_URL, SIGNER, "eu-west-1", SteppedClock())
    assert said in failure.value.message
    assert "\x1b" not in failure.value.message
