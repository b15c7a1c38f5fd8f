"""Waiting for an event that has no callback: poll a predicate until a deadline.

Tests wait on the event they need (a log line, a state change, a long-poll that the relay
counts) with these, never with a fixed sleep: the wait ends as soon as the event happens,
and a slow machine gets the whole timeout, not a guess.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

# The first looks come quickly, so a test goes on soon after the event; later ones back
# off to this, so a long wait does not spin a core that the peers need.
MAX_POLL_SECONDS = 0.1


def _delays() -> Iterator[float]:
    delay = 0.005
    while True:
        yield delay
        delay = min(delay * 1.5, MAX_POLL_SECONDS)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Return as soon as `condition()` is truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    for delay in _delays():
        if condition():
            return
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(delay)


async def async_wait_until(
    condition: Callable[[], object], what: str, timeout: float = 30.0
) -> None:
    """`wait_until` for async tests: polls without blocking the event loop."""
    deadline = time.monotonic() + timeout
    for delay in _delays():
        if condition():
            return
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        await asyncio.sleep(delay)
