"""The relay flow through faults, a relay that says odd things, and the end of a pairing:
transient faults are waited through with the waiting line saying so, a pairing the relay
forgot ends in one line, links off the relay's origin stop the login (naming only their
host), and the result is acknowledged and the outcome reported once. And what the host
says about itself: an odd machine never stops the login (its names are sent cut to the
protocol's lengths, and the relay shows an odd one as "(not shown)"; a role that is not
well formed is left out)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import respx

from awslogin.errors import AwsloginError, ProviderError
from awslogin.flows import relay as relay_module
from awslogin.flows.base import AuthorizationRequest, SignInOutcome
from awslogin.flows.callback import SignInDenied
from awslogin.flows.pacing import Backoff
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import RelayClient
from awslogin_protocol.messages import (
    MAX_HOST_USER,
    MAX_HOSTNAME,
    OUTCOME_REASON_SHOWN,
    Confirmation,
    HostDescription,
)
from tests.support.fake_idp import RELAY_URL
from tests.support.fake_relay import FakeRelay, SilentDisplay, build, run_flow, sealed_answer
from tests.support.phone import ConsolePageKey

pytestmark = pytest.mark.unit

PENDING = httpx.Response(200, json={"status": "pending"})
RESULT = {"code": "C", "state": "S"}
NOTE = "Waiting for the relay to answer again..."


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff and poll gaps of a few milliseconds: the delays themselves are the pacing
    tests' subject."""

    def quick(first: float = 0.01, most: float = 0.02) -> Backoff:
        return Backoff(first / 25, most / 400)

    monkeypatch.setattr(relay_module, "Backoff", quick)
    monkeypatch.setattr(relay_module, "LEAST_POLL_GAP", 0.01)


def authorized(
    results: list[Any], display: SilentDisplay | None = None, **pairing: Any
) -> tuple[RelayFlow, FakeRelay, dict[str, str]]:
    """A flow that went through `results` to the sealed result, and its relay."""
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, results, **pairing)
        flow = RelayFlow(RelayClient(RELAY_URL, client), display or SilentDisplay(), timeout=30)
        response = flow.authorize(build)
        return flow, relay, dict(response.params)


def failing(results: list[Any], timeout: float = 30, **pairing: Any) -> tuple[str, FakeRelay]:
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, results, **pairing)
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay(), timeout=timeout)
        with pytest.raises(AwsloginError) as failure:
            flow.authorize(build)
    return failure.value.message, relay


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ConnectError("refused"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message"),
        httpx.ReadTimeout("deadline"),
        httpx.Response(502),
        httpx.Response(503, json={"error": "temporarily_unavailable"}),
        httpx.Response(504),
        httpx.Response(429, json={"error": "slow_down"}),
    ],
    ids=["refused", "reset", "cut", "deadline", "502", "503", "504", "429"],
)
def test_a_transient_fault_is_waited_through_and_the_line_says_so(fault: Any) -> None:
    display = SilentDisplay()
    _, relay, params = authorized([PENDING, fault, fault, PENDING, sealed_answer(RESULT)], display)
    assert params == RESULT
    assert len(relay.polls) == 5
    # One quiet note while the relay does not answer, gone once it answers; a rate limit
    # is the relay answering.
    silent = not (isinstance(fault, httpx.Response) and fault.status_code == 429)
    assert display.line.notes == ([NOTE, NOTE, None] if silent else [])
    assert relay.deleted == 0


def test_retry_after_is_honoured() -> None:
    busy = httpx.Response(503, headers={"Retry-After": "1"})
    _, relay, _ = authorized([busy, sealed_answer(RESULT)])
    assert relay.poll_times[1] - relay.poll_times[0] >= 1.0


def test_a_pairing_the_relay_forgot_ends_in_one_line_that_says_what_to_do() -> None:
    message, _ = failing([PENDING, httpx.Response(404, json={"error": "not_found"})])
    assert message == (
        "the relay at relay.example.test no longer knows this sign-in (it restarted without "
        "keeping its pairings?); run login again"
    )


def test_a_relay_silent_until_the_deadline_is_named_in_the_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(relay_module, "Backoff", Backoff)  # the real delays: a few tries
    message, relay = failing([httpx.ConnectError("refused")] * 100, timeout=1)
    assert message.startswith(
        "sign-in did not finish within 1 s (--timeout) (the relay at relay.example.test "
        "has not answered for "
    )
    assert relay.deleted == 1


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("https://evil.example/p/P1", "points to evil.example, not to the relay"),
        ("http://relay.example.test/p/P1", "is not a plain link on the relay's own site"),
        ("https://relay.example.test:8443/p/P1", "is not a plain link on the relay's own site"),
        (
            "https://relay.example.test/p/P1\x1b]0;owned\x07",
            "is not a plain link on the relay's own site",
        ),
    ],
)
def test_a_link_off_the_relays_origin_stops_the_login(url: str, refusal: str) -> None:
    message, relay = failing([sealed_answer(RESULT)], verification_uri_complete=url)
    assert relay.polls == []
    assert relay.deleted == 1
    assert f"sent a sign-in link that {refusal}; check --relay" in message
    assert "/p/P1" not in message
    assert "\x1b" not in message
    assert "\x07" not in message


def test_the_result_is_acknowledged_and_the_outcome_reported_once() -> None:
    flow, relay, _ = authorized([sealed_answer(RESULT)])
    assert relay.acked == 1
    assert relay.reports == []
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [sealed_answer(RESULT)])
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        flow.authorize(build)
        flow.finish(SignInOutcome(signed_in=True, account_id="123456789012", role="dev"))
        flow.finish(SignInOutcome(signed_in=False, reason="again"))
    assert relay.acked == 1
    assert relay.reports == [{"outcome": "signed_in", "account_id": "123456789012", "role": "dev"}]


def test_a_failed_outcome_is_one_filtered_line_and_what_may_not_be_sent_is_left_out() -> None:
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [sealed_answer(RESULT), sealed_answer(RESULT)])
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        flow.authorize(build)
        flow.finish(SignInOutcome(signed_in=False, reason="STS said\n\x1b[2Jno" + "x" * 500))
        flow.authorize(build)
        flow.finish(SignInOutcome(signed_in=True, account_id="12345", role="r\x1b" * 30))
    failed, signed_in = relay.reports
    assert failed["outcome"] == "failed"
    assert failed["reason"].startswith("STS said \\x1b[2Jnoxxx")
    assert len(failed["reason"]) == OUTCOME_REASON_SHOWN
    assert signed_in == {"outcome": "signed_in"}


def test_a_denial_is_acknowledged_and_nothing_more_is_reported() -> None:
    denied = httpx.Response(200, json={"status": "denied", "error": "access_denied"})
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [denied])
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        with pytest.raises(ProviderError, match="denied"):
            flow.authorize(build)
        flow.finish(SignInOutcome(signed_in=False, reason="sign-in was denied"))
    assert (relay.acked, relay.reports, relay.deleted) == (1, [], 0)


def test_a_relay_without_ack_or_outcome_costs_nothing() -> None:
    """A relay of the first release answers 404 to both: the login goes on."""
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        FakeRelay(router, [sealed_answer(RESULT)])
        router.post(f"{RELAY_URL}/v1/pairings/P1/ack").respond(404)
        router.post(f"{RELAY_URL}/v1/pairings/P1/outcome").respond(404)
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        started = time.monotonic()
        assert dict(flow.authorize(build).params) == RESULT
        flow.finish(SignInOutcome(signed_in=True))
    assert time.monotonic() - started < 1


def test_an_interrupt_before_the_result_cancels_and_after_it_is_reported() -> None:
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [PENDING, KeyboardInterrupt()])
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay())
        with pytest.raises(KeyboardInterrupt):
            flow.authorize(build)
        flow.finish(SignInOutcome(signed_in=False, reason="interrupted"))
    assert (relay.deleted, relay.reports) == (1, [])


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


@pytest.mark.parametrize(
    ("hostname", "user"),
    [
        ("gpu\u202e3-xob", "al ice"),
        ("Zürich-Büro " * 40, "DOMAIN\\Alice Smith, the admin " * 5),
        ("", "alice"),
    ],
)
def test_an_odd_hostname_or_user_still_makes_a_description_the_relay_takes(
    monkeypatch: pytest.MonkeyPatch, hostname: str, user: str
) -> None:
    monkeypatch.setattr(relay_module.socket, "gethostname", lambda: hostname)
    monkeypatch.setattr(relay_module.getpass, "getuser", lambda: user)
    sent = relay_module.host_description()
    taken = HostDescription.model_validate(sent.model_dump())  # as the relay parses it
    assert taken.hostname == (hostname[:MAX_HOSTNAME] or "(not shown)")
    assert taken.user == user[:MAX_HOST_USER]


def test_well_formed_fields_are_sent_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_module.socket, "gethostname", lambda: "gpu-box-3.corp.example")
    monkeypatch.setattr(relay_module.getpass, "getuser", lambda: "alice")
    role = "arn:aws:iam::123456789012:role/dev"
    sent = relay_module.host_description(role)
    assert (sent.hostname, sent.user, sent.role) == ("gpu-box-3.corp.example", "alice", role)


@pytest.mark.parametrize("role", ["dev\u202eops", "dev ops", "r" * 700, "arn:aws:iam::1:role/x"])
def test_a_role_that_is_not_well_formed_is_left_out(role: str) -> None:
    assert relay_module.host_description(role).role == ""


def test_console_mode_takes_the_browsers_key_and_hands_the_url_over_sealed_to_it() -> None:
    page = ConsolePageKey()
    display = SilentDisplay()
    url = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=T0KEN"
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, [sealed_answer({"browser_key": page.public_key})])
        flow = RelayFlow(RelayClient(RELAY_URL, client), display, mode="console")
        response = flow.authorize(lambda redirect_uri: AuthorizationRequest("", "", "", ""))
        outcome = SignInOutcome(signed_in=True, account_id="123456789012", role="dev")
        assert flow.hand_over(url, outcome)
        assert not flow.hand_over(url, outcome)  # once
    assert relay.created["mode"] == "console"
    assert relay.created["authorize_url"] == ""
    assert dict(response.params) == {"browser_key": page.public_key}
    assert relay.acked == 1
    (report,) = relay.reports
    assert report["outcome"] == "signed_in"
    assert "T0KEN" not in json.dumps(report)
    assert page.open(report["sealed_console"], "P1") == url


def test_console_mode_refuses_a_result_that_is_no_browser_key() -> None:
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        FakeRelay(router, [sealed_answer({"browser_key": "not-a-key"})])
        flow = RelayFlow(RelayClient(RELAY_URL, client), SilentDisplay(), mode="console")
        with pytest.raises(ProviderError, match="not a sign-in response"):
            flow.authorize(lambda redirect_uri: AuthorizationRequest("", "", "", ""))


def _confirmed(**notice: Any) -> httpx.Response:
    body = {"at": 1780000000.0, "address": "203.0.113.9", "browser": "Safari on iPhone"}
    return httpx.Response(200, json={"status": "pending", "confirmation": {**body, **notice}})


def test_a_relay_of_revision_2_gets_the_number_shown_and_tells_who_confirmed() -> None:
    display = SilentDisplay()
    _, relay, _ = authorized(
        [_confirmed(), _confirmed(), sealed_answer(RESULT)],
        display,
        revision=2,
        match_number=42,
    )
    assert relay.created["revision"] == 2
    assert display.numbers == [42]
    # until the notice came, each poll asked for it; afterwards only for the result
    assert [poll.url.params.get("until") for poll in relay.polls] == [
        "confirmation",
        None,
        None,
    ]
    ((notice, then),) = display.line.announced  # once, though two answers carried it
    assert notice.startswith("  Confirmed at ")
    assert notice.endswith(" from 203.0.113.9 (Safari on iPhone). Not you? Ctrl-C.")
    assert then == relay_module.AFTER_CONFIRMATION


def test_an_older_relay_gets_revision_1_and_no_request_for_the_notice() -> None:
    display = SilentDisplay()
    _, relay, _ = authorized([PENDING, sealed_answer(RESULT)], display)
    assert relay.created["revision"] == 1
    assert display.numbers == [None]
    assert all("until" not in poll.url.params for poll in relay.polls)
    assert display.line.announced == []


def test_a_wrong_number_is_the_one_line_the_issue_asks_for() -> None:
    denial = httpx.Response(
        200,
        json={
            "status": "denied",
            "error": "wrong_number",
            "error_description": "\x1b[31mwhatever the relay says",
        },
    )
    with pytest.raises(AwsloginError) as raised:
        authorized([denial], revision=2, match_number=42)
    assert str(raised.value) == (
        "someone chose the wrong number on the confirmation page; nothing was signed in"
    )
    assert not isinstance(raised.value, ProviderError)


def test_not_me_on_the_page_is_the_persons_denial_in_one_line() -> None:
    """The relay's denied_on_page is the person's no, as access_denied is: SignInDenied
    (a renewal stops asking), in the terminal's own words, not the relay's."""
    denial = httpx.Response(
        200,
        json={
            "status": "denied",
            "error": "denied_on_page",
            "error_description": "\x1b[31mwhatever the relay says",
        },
    )
    with pytest.raises(SignInDenied) as raised:
        authorized([denial], revision=2, match_number=42)
    assert str(raised.value) == (
        'sign-in was denied on the relay\'s page ("not me"); nothing was signed in'
    )


@pytest.mark.parametrize(
    ("notice", "shown"),
    [
        ({"address": "2001:db8::1", "browser": ""}, " from 2001:db8::1. Not you?"),
        (
            {"address": "\x1b]8;;http://evil/\x07x", "browser": "A"},
            r"from \x1b]8;;http://evil/\x07x (A)",
        ),
        ({"address": "", "browser": "Chrome\u202eevil"}, r"(Chrome\u202eevil)"),
        ({"address": "1.2.3.4", "browser": "B" * 64}, "(" + "B" * 39 + "…)"),
    ],
)
def test_the_notice_shows_what_the_relay_sent_only_as_one_safe_line(
    notice: dict[str, str], shown: str
) -> None:
    line = relay_module.confirmation_notice(Confirmation(at=1780000000.0, **notice))
    assert shown in line
    assert line.isprintable()
    assert "\x1b" not in line
    assert "\u202e" not in line


def test_a_notice_time_the_clock_cannot_show_is_left_out() -> None:
    line = relay_module.confirmation_notice(Confirmation(at=1e300, address="1.2.3.4"))
    assert line == "  Confirmed from 1.2.3.4. Not you? Ctrl-C."
