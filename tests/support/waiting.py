"""Waiting for an event that has no callback: poll a predicate until a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

# Short enough that a test goes on soon after the event, long enough not to spin a core.
POLL_SECONDS = 0.05


def wait_until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Return as soon as `condition()` is truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_SECONDS)
