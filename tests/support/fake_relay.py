"""A relay over respx for unit tests of the relay flow: one pairing, P1, whose poll answers
are scripted; what the flow showed, acknowledged, reported and cancelled is recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx

from awslogin.flows.base import AuthorizationRequest
from awslogin.flows.relay import RelayFlow
from awslogin.flows.relay_client import RelayClient
from awslogin_protocol.sealing import parse_public_key, seal
from tests.support.fake_idp import RELAY_URL


class NotedLine:
    """A waiting line that remembers what it was told to show."""

    def __init__(self) -> None:
        self.notes: list[str | None] = []
        self.announced: list[tuple[str, str]] = []

    def note(self, words: str | None) -> None:
        self.notes.append(words)

    def announce(self, text: str, then: str) -> None:
        self.announced.append((text, then))


class SilentDisplay:
    def __init__(self) -> None:
        self.links: list[tuple[str, str | None, bool, str | None]] = []
        self.line = NotedLine()
        self.numbers: list[int | None] = []

    def info(self, text: str) -> None:
        pass

    def show_link(
        self,
        url: str,
        *,
        user_code: str | None = None,
        qr: bool = True,
        type_at: str | None = None,
        number: int | None = None,
    ) -> None:
        self.links.append((url, user_code, qr, type_at))
        self.numbers.append(number)

    @contextmanager
    def countdown(self, text: str, deadline: float) -> Iterator[NotedLine]:
        yield self.line


class FakeRelay:
    """respx routes for one pairing; `results` are the poll answers, in order."""

    def __init__(
        self, router: respx.MockRouter, results: list[Any], revision: int = 1, **pairing: Any
    ) -> None:
        """`revision`: what the relay's discovery document says it speaks (absent: 1)."""
        self.pairing = pairing  # fields of the creation answer to override
        self.poll_times: list[float] = []
        self.public_key: str | None = None
        self.created: dict[str, Any] = {}
        self.deleted = 0
        self.acked = 0
        self.reports: list[dict[str, Any]] = []
        self.polls: list[httpx.Request] = []
        self.results = results
        router.get(f"{RELAY_URL}/.well-known/awslogin-relay").respond(
            json={
                "version": 1,
                "callback_uri": f"{RELAY_URL}/callback",
                "verification_uri": f"{RELAY_URL}/link",
                "allowed_authorize_origins": ["https://idp.example.test"],
                **({"revision": revision} if revision > 1 else {}),
            }
        )
        router.post(f"{RELAY_URL}/v1/pairings").mock(side_effect=self.create)
        router.get(f"{RELAY_URL}/v1/pairings/P1/result").mock(side_effect=self.poll)
        router.delete(f"{RELAY_URL}/v1/pairings/P1").mock(side_effect=self.delete)
        router.post(f"{RELAY_URL}/v1/pairings/P1/ack").mock(side_effect=self.ack)
        router.post(f"{RELAY_URL}/v1/pairings/P1/outcome").mock(side_effect=self.report)

    def create(self, request: httpx.Request) -> httpx.Response:
        self.created = json.loads(request.content)
        self.public_key = self.created["public_key"]
        return httpx.Response(
            201,
            json={
                "pairing_id": "P1",
                "user_code": "BDKM-TRWX",
                "verification_uri": f"{RELAY_URL}/link",
                "verification_uri_complete": f"{RELAY_URL}/p/P1",
                "poll_token": "poll-secret",
                "expires_in": 600,
                "interval": 0,
                **self.pairing,
            },
        )

    def poll(self, request: httpx.Request) -> httpx.Response:
        self.polls.append(request)
        self.poll_times.append(time.monotonic())
        answer = self.results.pop(0)
        if callable(answer):
            answer = answer(self)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def delete(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer poll-secret"
        self.deleted += 1
        return httpx.Response(204)

    def ack(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer poll-secret"
        self.acked += 1
        return httpx.Response(204)

    def report(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer poll-secret"
        self.reports.append(json.loads(request.content))
        return httpx.Response(204)


def sealed_answer(payload: dict[str, str], pairing_id: str = "P1") -> Any:
    def make(relay: FakeRelay) -> httpx.Response:
        assert relay.public_key is not None
        blob = seal(json.dumps(payload).encode(), parse_public_key(relay.public_key), pairing_id)
        return httpx.Response(200, json={"status": "complete", "sealed": blob})

    return make


def build(redirect_uri: str | None) -> AuthorizationRequest:
    assert redirect_uri == f"{RELAY_URL}/callback"
    return AuthorizationRequest(
        f"https://idp.example.test/auth?state=S&redirect_uri={redirect_uri}",
        "S",
        "cli-client",
        redirect_uri,
    )


def run_flow(results: list[Any], **kwargs: Any) -> tuple[dict[str, str], FakeRelay, SilentDisplay]:
    display = SilentDisplay()
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        relay = FakeRelay(router, results)
        flow = RelayFlow(RelayClient(RELAY_URL, client), display, **kwargs)
        try:
            response = flow.authorize(build)
        finally:
            run_flow.last = relay  # type: ignore[attr-defined]
    return dict(response.params), relay, display
