"""Clocks that move only when a test (or the code under test, sleeping) says so."""

from __future__ import annotations


class FakeClock:
    """A wall clock that only moves when a test says so (no sleeping in expiry tests)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SteppedClock:
    """Wall and monotonic time that move only when the flow sleeps; sleeps are recorded."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
