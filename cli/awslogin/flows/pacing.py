"""The pace of a remote wait: numbers a server gave, made sane, and the delays between
tries after a transient fault.

A relay or an authorization server says how long its code lives (`expires_in`) and how
often to ask (`interval`); whatever it says, the host neither hangs (an interval of 1e9)
nor hammers it (an interval of 0 to an identity provider), and a number that is not
finite is refused, not guessed at (docs/security.md, invariant 12, "Networks fail").

After a transient fault (no connection, a reset, 429, 502-504) the next try comes after a
jittered, growing, bounded delay, or later if the server said so (Retry-After): many
hosts that lost the same relay do not all come back at the same instant.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from awslogin.errors import ProviderError

# Backoff after a transient fault: the first delay, and the most any one delay grows to.
FIRST_DELAY = 0.5
MOST_DELAY = 8.0
# The longest a code may be waited for, whatever the server says (a pairing lives 10 min
# by default, a device code 10 min at AWS).
MOST_LIFETIME = 24 * 3600.0


def sane_seconds(value: float, low: float, high: float, *, what: str, party: str) -> float:
    """`value` clamped to low..high; ProviderError when it is not a finite number."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ProviderError(f"{party} sent an unusable {what} (not a finite number of seconds)")
    return min(max(float(value), low), high)


class Backoff:
    """Delays before each new try after a transient fault: 0.5, 1, 2, 4, 8, 8... seconds,
    each drawn between half and all of that ("equal jitter"), and never shorter than the
    server's Retry-After. `reset()` after a success starts again from the first."""

    def __init__(
        self,
        first: float = FIRST_DELAY,
        most: float = MOST_DELAY,
        uniform: Callable[[], float] = random.random,
    ) -> None:
        self.first = first
        self.most = most
        self.uniform = uniform
        self.tries = 0

    def next(self, retry_after: float | None = None) -> float:
        ceiling = min(self.most, math.ldexp(self.first, min(self.tries, 32)))
        self.tries += 1
        delay = ceiling / 2 + self.uniform() * ceiling / 2
        return max(delay, retry_after or 0.0)

    def reset(self) -> None:
        self.tries = 0
