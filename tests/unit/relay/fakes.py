"""Test doubles shared by the relay tests."""

from __future__ import annotations


class FakeClock:
    """A wall clock that only moves when a test says so (no sleeping in expiry tests)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
