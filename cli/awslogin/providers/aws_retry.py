"""Sending a request again after a passing failure, as botocore's standard retry mode does.

AWS services answer 500, 502, 503 or 504 (and 429 when busy) for a moment's trouble, and
AWS's own clients try such a call again: botocore's `standard` retry mode (the AWS CLI
v2's default) makes 3 attempts in all and sleeps `random() * min(2 ** (attempt - 1), 20)`
seconds before each new one ("full jitter"). awslogin does the same for the calls it makes
to AWS on a person's behalf, so that a single 500 does not end what botocore would have
finished; and within a total deadline, because `credential-process` runs while an SDK
waits for it. What is retried must be safe to send twice (AWS Sign-In's refresh is
idempotent within its validity window; a failed code exchange did not spend the code).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from awslogin.adapters.clock import Clock

if TYPE_CHECKING:
    import httpx

# What botocore's standard retry mode sends again (a 500 too, unlike a long wait's
# adapters/http.TRANSIENT_STATUSES: one more try of a token call is cheap).
BOTOCORE_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 3
MAX_BACKOFF_SECONDS = 20.0


def backoff_seconds(attempt: int, draw: Callable[[], float] = random.random) -> float:
    """How long to sleep after failed attempt number `attempt` (1-based), as botocore."""
    return draw() * min(2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS)


def send_with_retries(
    send: Callable[[], httpx.Response],
    clock: Clock,
    *,
    deadline_seconds: float,
    draw: Callable[[], float] = random.random,
) -> httpx.Response:
    """`send()`'s answer, sent again (at most MAX_ATTEMPTS in all) while it is a transient
    failure and the next attempt can start within `deadline_seconds` of the first.

    `send` builds its request anew on each call (a fresh DPoP proof, for one). The last
    answer is returned whatever it is; transport errors propagate at once.
    """
    deadline = clock.monotonic() + deadline_seconds
    attempt = 1
    while True:
        response = send()
        if response.status_code not in BOTOCORE_RETRIED_STATUSES or attempt >= MAX_ATTEMPTS:
            return response
        pause = backoff_seconds(attempt, draw)
        if clock.monotonic() + pause >= deadline:
            return response
        clock.sleep(pause)
        attempt += 1
