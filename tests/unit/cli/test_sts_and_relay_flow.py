"""STS AssumeRoleWithWebIdentity parsing and the relay flow, over respx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from awslogin.errors import AwsloginError, ProviderError, UsageError
from awslogin.flows.base import AuthorizationRequest
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import RelayClient
from awslogin.profile import normalize_relay_url
from awslogin.providers.sts import assume_role_with_web_identity, role_session_name
from tests.support.fake_idp import RELAY_URL, ROLE_ARN, STS_URL, sts_response
from tests.support.fake_relay import FakeRelay, SilentDisplay, build, run_flow, sealed_answer

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


@pytest.mark.parametrize(
    "url", ["ftp://relay.test", "http://relay.example.com", "https://relay.test/?a=1", "nope"]
)
def test_relay_url_must_be_https_except_loopback(url: str) -> None:
    with pytest.raises(UsageError):
        normalize_relay_url(url)
    assert normalize_relay_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_relay_flow_pairs_waits_and_opens_the_sealed_result() -> None:
    params, relay, display = run_flow(
        [
            httpx.Response(200, json={"status": "pending"}),
            sealed_answer({"code": "C", "state": "S", "iss": "https://idp.example.test", "x": "y"}),
        ]
    )
    assert params == {"code": "C", "state": "S", "iss": "https://idp.example.test"}
    assert relay.created["mode"] == "redirect"
    assert relay.created["authorize_url"].startswith("https://idp.example.test/auth")
    assert set(relay.created["host"]) == {"hostname", "user", "client", "role"}
    assert relay.created["host"]["role"] == ""  # no role named: none shown
    # The link to scan, and the relay's page where the code can be typed instead.
    assert display.links == [(f"{RELAY_URL}/p/P1", "BDKM-TRWX", True, f"{RELAY_URL}/link")]
    assert all(p.headers["authorization"] == "Bearer poll-secret" for p in relay.polls)
    assert relay.polls[0].url.params["wait"] == "25"
    assert relay.deleted == 0


@pytest.mark.parametrize(
    ("role", "sent"),
    [
        ("arn:aws:iam::123456789012:role/dev", "arn:aws:iam::123456789012:role/dev"),
        ("dev in account 123456789012", "dev in account 123456789012"),
        ("dev\u202e", ""),  # the relay would refuse it: the page goes without
        ("r" * 641, ""),
    ],
)
def test_the_role_goes_to_the_confirmation_page_when_it_fits(role: str, sent: str) -> None:
    _, relay, _ = run_flow([sealed_answer({"code": "C", "state": "S"})], role=role)
    assert relay.created["host"]["role"] == sent


def test_slow_down_is_honoured_and_polling_continues() -> None:
    params, relay, _ = run_flow(
        [
            httpx.Response(429, json={"error": "slow_down"}),
            sealed_answer({"code": "C", "state": "S"}),
        ]
    )
    assert params["code"] == "C"
    assert len(relay.polls) == 2


def test_a_result_sealed_for_another_pairing_does_not_open() -> None:
    with pytest.raises(ProviderError, match="does not open"):
        run_flow([sealed_answer({"code": "C", "state": "S"}, pairing_id="P2")])


def test_denied_is_a_clear_message() -> None:
    denied = httpx.Response(
        200,
        json={"status": "denied", "error": "access_denied", "error_description": "User cancelled"},
    )
    with pytest.raises(ProviderError, match="denied at the identity provider: User cancelled"):
        run_flow([denied])


def test_expired_pairing_is_a_clear_message() -> None:
    with pytest.raises(AwsloginError, match="pairing expired"):
        run_flow([httpx.Response(410, json={"error": "expired_token"})])


def test_ctrl_c_cancels_the_pairing() -> None:
    with pytest.raises(KeyboardInterrupt):
        run_flow([httpx.Response(200, json={"status": "pending"}), KeyboardInterrupt()])
    assert run_flow.last.deleted == 1  # type: ignore[attr-defined]


def test_relay_unreachable_is_one_line() -> None:
    with respx.mock() as router, httpx.Client() as client:
        router.get(f"{RELAY_URL}/.well-known/awslogin-relay").mock(
            side_effect=httpx.ConnectError("no route")
        )
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        with pytest.raises(ProviderError, match=r"cannot reach the relay at relay\.example\.test"):
            flow.authorize(build)


def test_relay_refusing_the_pairing_is_reported() -> None:
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        FakeRelay(router, [])
        router.post(f"{RELAY_URL}/v1/pairings").respond(
            400, json={"error": "invalid_request", "error_description": "origin not allowed"}
        )
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        with pytest.raises(
            ProviderError, match="refused to start a pairing: invalid_request: origin"
        ):
            flow.authorize(build)


def test_paste_mode_lets_the_provider_choose_the_redirect_and_returns_the_pasted_text() -> None:
    asked: list[str | None] = []

    def build_for_paste(redirect_uri: str | None) -> AuthorizationRequest:
        asked.append(redirect_uri)
        return AuthorizationRequest(
            "https://idp.example.test/auth?state=S", "S", "cli-client", "https://idp.example.test/"
        )

    display = SilentDisplay()
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [sealed_answer({"pasted": "dmVyaWZpY2F0aW9u", "code": "x"})])
        flow = RelayFlow(RelayClient(RELAY_URL, client), display, mode="paste")
        response = flow.authorize(build_for_paste)
    assert asked == [None]
    assert relay.created["mode"] == "paste"
    assert dict(response.params) == {"pasted": "dmVyaWZpY2F0aW9u"}


@pytest.mark.parametrize(
    ("route", "answer", "message"),
    [
        ("discovery", {"version": 2}, "speaks protocol version 2, not 1"),
        (
            "discovery",
            {"version": 1, "callback_uri": 7},
            "sent incomplete metadata (callback_uri, verification_uri)",
        ),
        pytest.param(
            "discovery", "[" * 50_000, "speaks protocol version None, not 1", id="deep-json"
        ),
        ("create", {"poll_token": None}, "sent an incomplete pairing (poll_token)"),
        ("create", {"expires_in": 0}, "sent an incomplete pairing (expires_in)"),
        ("create", {"expires_in": "Infinity"}, "sent an incomplete pairing (expires_in)"),
        ("create", {"expires_in": "NaN"}, "sent an incomplete pairing (expires_in)"),
        ("create", {"interval": "Infinity"}, "sent an incomplete pairing (interval)"),
        ("create", {"user_code": "X" * 33}, "sent an incomplete pairing (user_code)"),
        ("poll", {"status": "done"}, "sent an unknown result status (status)"),
        ("poll", {"status": "complete"}, "sent an unknown result status"),
        ("poll", [1, 2], "sent an unknown result status"),
    ],
)
def test_a_relay_that_answers_out_of_protocol_is_refused_in_one_line(
    route: str, answer: Any, message: str
) -> None:
    pairing = {
        "pairing_id": "P1",
        "user_code": "BDKM-TRWX",
        "verification_uri": f"{RELAY_URL}/link",
        "verification_uri_complete": f"{RELAY_URL}/p/P1",
        "poll_token": "poll-secret",
        "expires_in": 600,
        "interval": 0,
    }
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [httpx.Response(200, json=answer)])
        if route == "discovery":
            content = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            router.get(f"{RELAY_URL}/.well-known/awslogin-relay").respond(content=content)
        if route == "create":
            body = json.dumps({**pairing, **answer})
            body = body.replace('"Infinity"', "Infinity").replace('"NaN"', "NaN")
            router.post(f"{RELAY_URL}/v1/pairings").respond(201, content=body.encode())
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        with pytest.raises(ProviderError) as failure:
            flow.authorize(build)
    assert failure.value.message == f"the relay at relay.example.test {message}"
    assert relay.deleted == (1 if route == "poll" else 0)


def test_a_sealed_result_that_is_not_a_callback_is_refused() -> None:
    with pytest.raises(ProviderError, match="not a sign-in response"):
        run_flow([sealed_answer({"state": "S"})])
