"""Holding one request at a fake until the test lets it go: races made deterministic.

A test arms a hold, starts the client whose request must wait, waits until that request
has arrived, lets another party act (botocore refreshing the same session, a logout),
then releases it; the held request is then served as usual, against the state the other
party left. Only the first request to reach the armed point is held; later ones pass.

    hold = fake.hold_next_token_call()
    client = start_the_client()
    hold.wait_arrived()
    other_party_acts()
    hold.release()
"""

from __future__ import annotations

import asyncio
import threading

# A held request goes on by itself after this, so that a failed test never hangs the fake.
HOLD_LIMIT_SECONDS = 60.0


class RequestHold:
    """One armed hold: `arrived` once the request is held, then `release()` it."""

    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._released = threading.Event()

    def wait_arrived(self, timeout: float = 30.0) -> None:
        if not self._arrived.wait(timeout):
            raise AssertionError(f"no request reached the hold within {timeout:.0f} s")

    def release(self) -> None:
        self._released.set()

    def hold_thread(self) -> None:
        """Called by a threaded server's handler: wait here until released."""
        self._arrived.set()
        self._released.wait(HOLD_LIMIT_SECONDS)

    async def hold(self) -> None:
        """Called by the fake's request handler: wait here until released."""
        await asyncio.to_thread(self.hold_thread)


class HoldPoints:
    """The holds armed on one fake, by point name ("token", "token/refresh_token"...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, RequestHold] = {}

    def arm(self, point: str) -> RequestHold:
        hold = RequestHold()
        with self._lock:
            self._armed[point] = hold
        return hold

    async def reach(self, point: str) -> None:
        """A request reaches `point`: it waits there if a hold is armed on it."""
        with self._lock:
            hold = self._armed.pop(point, None)
        if hold is not None:
            await hold.hold()

    def reach_in_thread(self, point: str) -> None:
        """`reach`, for a handler that runs on a thread of its own rather than a loop."""
        with self._lock:
            hold = self._armed.pop(point, None)
        if hold is not None:
            hold.hold_thread()
