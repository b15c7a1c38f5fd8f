"""Refusals merged in the audit: the first of a minute at once, the rest counted into one
line at the minute's end or at shutdown; every other outcome keeps its own line."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from awslogin.usecases.refusal_audit import OTHER_CLIENTS, MergedRefusals

pytestmark = pytest.mark.unit

Line = tuple[str, str, int, dict[str, str | int]]


class Sink:
    def __init__(self) -> None:
        self.lines: list[Line] = []

    def __call__(
        self, client: str, outcome: str, status: int, detail: Mapping[str, str | int]
    ) -> None:
        self.lines.append((client, outcome, status, dict(detail)))


async def test_a_flood_is_one_line_at_once_then_one_count_at_shutdown() -> None:
    sink = Sink()
    merged = MergedRefusals(sink)
    for _ in range(1000):
        merged("127.0.0.1", "unauthorized", 401, {})
    assert sink.lines == [("127.0.0.1", "unauthorized", 401, {})]
    merged.close()
    assert sink.lines[1:] == [("127.0.0.1", "unauthorized", 401, {"count": 999})]


class Timers:
    """A clock the test moves on: what `MergedRefusals` schedules runs when it is due."""

    class Handle:
        def __init__(self) -> None:
            self.cancelled = False

        def cancel(self) -> None:
            self.cancelled = True

    def __init__(self) -> None:
        self.now = 0.0
        self.pending: list[tuple[float, Callable[[], None], Timers.Handle]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> Timers.Handle:
        handle = Timers.Handle()
        self.pending.append((self.now + delay, callback, handle))
        return handle

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while due := [p for p in self.pending if p[0] <= self.now and not p[2].cancelled]:
            first = min(due, key=lambda p: p[0])
            self.pending.remove(first)
            first[1]()


async def test_the_count_is_written_when_the_minute_ends_and_the_next_minute_goes_on() -> None:
    sink = Sink()
    timers = Timers()
    merged = MergedRefusals(sink, schedule=timers)
    merged("127.0.0.1", "unauthorized", 401, {})
    merged("127.0.0.1", "unauthorized", 401, {})
    merged("127.0.0.1", "unauthorized", 401, {})
    timers.advance(60)
    assert sink.lines == [
        ("127.0.0.1", "unauthorized", 401, {}),
        ("127.0.0.1", "unauthorized", 401, {"count": 2}),
    ]
    merged("127.0.0.1", "unauthorized", 401, {})  # still flooding: counted, not written
    assert len(sink.lines) == 2
    timers.advance(59)
    assert len(sink.lines) == 2  # not before the minute ends
    timers.advance(1)
    assert sink.lines[2:] == [("127.0.0.1", "unauthorized", 401, {"count": 1})]
    timers.advance(60)  # a quiet minute writes nothing and ends the window
    assert len(sink.lines) == 3
    merged("127.0.0.1", "unauthorized", 401, {})
    assert sink.lines[3:] == [("127.0.0.1", "unauthorized", 401, {})]
    merged.close()
    assert len(sink.lines) == 4


async def test_clients_outcomes_and_statuses_are_counted_apart() -> None:
    sink = Sink()
    merged = MergedRefusals(sink)
    for _ in range(3):
        merged("127.0.0.1", "unauthorized", 401, {})
        merged("127.0.0.2", "unauthorized", 401, {})
        merged("127.0.0.1", "bad_request", 408, {})
        merged("127.0.0.1", "bad_request", 431, {})
    assert len(sink.lines) == 4
    merged.close()
    assert sorted(sink.lines[4:]) == [
        ("127.0.0.1", "bad_request", 408, {"count": 2}),
        ("127.0.0.1", "bad_request", 431, {"count": 2}),
        ("127.0.0.1", "unauthorized", 401, {"count": 2}),
        ("127.0.0.2", "unauthorized", 401, {"count": 2}),
    ]


async def test_answers_to_authorized_requests_are_never_merged() -> None:
    sink = Sink()
    merged = MergedRefusals(sink)
    for _ in range(3):
        merged("127.0.0.1", "served", 200, {"expiration": "2027-01-01T00:00:00Z"})
        merged("127.0.0.1", "login_required", 403, {})
    assert len(sink.lines) == 6
    merged.close()
    assert len(sink.lines) == 6


async def test_many_loopback_addresses_share_one_count_past_the_client_limit() -> None:
    sink = Sink()
    merged = MergedRefusals(sink, max_clients=4)
    for round_ in range(3):
        for n in range(100):
            merged(f"127.0.{round_}.{n}", "unauthorized", 401, {})
    clients = [line[0] for line in sink.lines]
    assert clients == ["127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3", OTHER_CLIENTS]
    merged.close()
    assert sink.lines[-1] == (OTHER_CLIENTS, "unauthorized", 401, {"count": 295})


async def test_after_close_every_refusal_gets_its_line() -> None:
    sink = Sink()
    merged = MergedRefusals(sink)
    merged.close()
    merged("127.0.0.1", "unauthorized", 401, {})
    merged("127.0.0.1", "unauthorized", 401, {})
    assert len(sink.lines) == 2
