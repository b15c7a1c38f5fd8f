"""The relay flow through faults, a relay that says odd things, and the end of a pairing:
transient faults are waited through with the waiting line saying so, a pairing the relay
forgot ends in one line, links off the relay's origin stop the login, and the result is
acknowledged and the outcome reported once."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import respx

from awslogin.errors import AwsloginError, ProviderError
from awslogin.flows import relay as relay_module
from awslogin.flows.base import SignInOutcome
from awslogin.flows.pacing import Backoff
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import RelayClient
from awslogin_protocol.messages import OUTCOME_REASON_SHOWN
from tests.unit.cli.conftest import RELAY_URL
from tests.unit.cli.fake_relay import FakeRelay, SilentDisplay, build, sealed_answer

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
