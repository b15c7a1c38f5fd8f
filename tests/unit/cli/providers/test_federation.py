"""The federation endpoint over respx: what getSigninToken is sent, the login URL, hostile
or failing answers in one line, passing faults retried within the deadline."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from awslogin.adapters.http import HttpFactory
from awslogin.errors import ProviderError, Unavailable
from awslogin.providers.federation import (
    MAX_ANSWER_BYTES,
    SessionCredentials,
    federation_endpoint,
    login_url,
    signin_token,
)
from tests.support.fake_clock import SteppedClock

pytestmark = pytest.mark.unit

ENDPOINT = "https://signin.aws.amazon.com/federation"
CREDENTIALS = SessionCredentials("ASIAEXAMPLE", "secret/key", "session-token")


def token(answer: httpx.Response | Exception, *more: httpx.Response | Exception) -> str:
    with respx.mock() as router, HttpFactory().client(max_bytes=MAX_ANSWER_BYTES) as client:
        router.get(ENDPOINT).mock(side_effect=[answer, *more])
        return signin_token(client, ENDPOINT, CREDENTIALS, SteppedClock())


def test_the_session_json_and_duration_are_sent() -> None:
    with respx.mock() as router, httpx.Client() as client:
        route = router.get(ENDPOINT).respond(200, json={"SigninToken": "tok"})
        assert signin_token(client, ENDPOINT, CREDENTIALS, SteppedClock(), session_duration=3600)
    query = parse_qs(urlsplit(str(route.calls[0].request.url)).query)
    assert query["Action"] == ["getSigninToken"]
    assert query["SessionDuration"] == ["3600"]
    assert json.loads(query["Session"][0]) == {
        "sessionId": "ASIAEXAMPLE",
        "sessionKey": "secret/key",
        "sessionToken": "session-token",
    }


def test_without_a_duration_none_is_sent() -> None:
    with respx.mock() as router, httpx.Client() as client:
        route = router.get(ENDPOINT).respond(200, json={"SigninToken": "tok"})
        signin_token(client, ENDPOINT, CREDENTIALS, SteppedClock())
    assert "SessionDuration" not in str(route.calls[0].request.url)


def test_the_login_url_carries_token_destination_and_issuer() -> None:
    url = login_url(
        ENDPOINT, "t+k/=", destination="https://console.aws.amazon.com/s3/home", issuer=None
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(ENDPOINT + "?")
    assert query == {
        "Action": ["login"],
        "Destination": ["https://console.aws.amazon.com/s3/home"],
        "SigninToken": ["t+k/="],
    }
    with_issuer = login_url(ENDPOINT, "t", destination="https://c", issuer="https://idp")
    assert parse_qs(urlsplit(with_issuer).query)["Issuer"] == ["https://idp"]


def test_the_endpoint_sits_under_the_signin_origin() -> None:
    assert federation_endpoint("http://127.0.0.1:9/") == "http://127.0.0.1:9/federation"


def test_a_refusal_is_one_line_with_the_endpoints_words() -> None:
    with pytest.raises(ProviderError) as failure:
        token(httpx.Response(400, text="<html><body>Invalid\x1b[2J credentials\nparameter</body>"))
    message = failure.value.message
    assert message.startswith("the AWS federation endpoint refused a sign-in token (HTTP 400): ")
    assert "Invalid\\x1b[2J credentials parameter" in message
    assert "\n" not in message
    assert "secret/key" not in message
    assert "--duration" not in message  # none was asked for


def test_a_refusal_of_a_duration_says_to_try_without_it() -> None:
    with respx.mock() as router, httpx.Client() as client:
        router.get(ENDPOINT).respond(400, text="Invalid SessionDuration")
        with pytest.raises(ProviderError) as failure:
            signin_token(client, ENDPOINT, CREDENTIALS, SteppedClock(), session_duration=43200)
    message = failure.value.message
    assert message.endswith(": Invalid SessionDuration; try again without --duration")


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="not json"),
        httpx.Response(200, json=["SigninToken"]),
        httpx.Response(200, json={"SigninToken": 5}),
        httpx.Response(200, json={"SigninToken": ""}),
        httpx.Response(200, json={"SigninToken": "a\nb"}),
        httpx.Response(200, json={"SigninToken": "\u202etoken"}),
    ],
)
def test_an_answer_without_a_usable_token_is_refused(answer: httpx.Response) -> None:
    with pytest.raises(ProviderError, match="answered without a sign-in token"):
        token(answer)


def test_a_huge_answer_is_no_token() -> None:
    with pytest.raises(ProviderError):
        token(httpx.Response(200, content=b"x" * (MAX_ANSWER_BYTES + 1)))


def test_passing_faults_are_sent_again() -> None:
    answers = [
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.Response(500),
        httpx.Response(200, json={"SigninToken": "tok"}),
    ]
    assert token(*answers) == "tok"


def test_faults_that_outlast_the_deadline_are_unavailable() -> None:
    with pytest.raises(Unavailable, match="unavailable \\(HTTP 503\\)"):
        token(*[httpx.Response(503)] * 100)


def test_no_connection_until_the_deadline_says_so() -> None:
    with pytest.raises(Unavailable, match="cannot reach the AWS federation endpoint"):
        token(*[httpx.ConnectError("refused")] * 100)
