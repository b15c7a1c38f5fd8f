"""The store port: what the pairing service needs from whatever keeps pairings.

The service and the routes talk only to :class:`PairingStore`; the in-memory store (the
embedded default) and the Redis store (shared by several replicas) both implement it, in
the `store` package, and only the composition root (`awslogin_relay.app`) picks one.
Each method's docstring states the semantics an implementation must keep: the service
relies on them for the security invariants (delivery to the poll-token holder only,
expiry, shared rate limits; docs/security.md#invariants), so an implementation that
relaxes one of them is wrong, not merely slower.

What a store holds is deliberately harmless if copied (see `domain.pairing`).

Time is wall-clock seconds (float, as ``time.time()``) read from the store's `Now`
function, so that replicas agree and tests can move time forward without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from awslogin_relay.domain.pairing import ConfirmedBy, Outcome, Pairing, PairingResult, Tombstone

Now = Callable[[], float]
"""Reads the wall clock in seconds (``time.time`` in production, a fake one in tests)."""


@dataclass(frozen=True, slots=True)
class RateCount:
    """Hits counted so far in the current fixed window, and seconds until it resets."""

    count: int
    retry_after: float


@dataclass(frozen=True, slots=True)
class PendingShare:
    """A group of pairings (one client's, one creation token's) that may hold at most
    `limit` pending pairings at once, so that it cannot take the whole `PendingCaps.total`.

    `group` names it, e.g. "client:2001:db8:1:2::/64" or "token:1f2e3d4c5b6a7988".
    """

    group: str
    limit: int


@dataclass(frozen=True, slots=True)
class PendingCaps:
    """The caps that `create` checks, atomically with the creation (docs/security.md#fair-share)."""

    total: int  # pending pairings in all (RELAY_MAX_PENDING)
    shares: tuple[PendingShare, ...] = ()


class PendingCapReached(Exception):
    """`create` stored nothing: `share` (None: the total) holds its limit of pending
    pairings. `retry_after` is how long until the earliest of them expires (when known):
    a slot frees by then at the latest."""

    def __init__(self, share: PendingShare | None, retry_after: float | None = None) -> None:
        super().__init__("too many pending pairings")
        self.share = share
        self.retry_after = retry_after


class StoreError(Exception):
    """The store cannot be reached or answered nonsense; the service maps it to 503."""


class DuplicateKey(Exception):
    """`create` found the pairing id, user code or state already in use (live or tombstoned)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already in use")
        self.field = field


@runtime_checkable
class PairingStore(Protocol):
    """Keeps pairings, their results and the relay's shared counters.

    Lifetimes: a pairing lives until `expires_at`. Setting a result shortens that to at
    most `now + result_ttl` (an uncollected result must not linger), its first delivery
    to at most `now + redelivery_ttl`, and the host's acknowledgement sets it to
    `now + result_ttl` (time to report the outcome). When a pairing ends for any reason
    (reported, denied, expired, cancelled) it is replaced by a :class:`Tombstone` that
    lives `tombstone_ttl` seconds and keeps the binding hash and the reported outcome;
    while it does, the pairing id, user code and state stay reserved (`create` refuses
    them) and the lookups below still find the id, so the service can answer 410 "gone"
    instead of 404 "unknown".

    An expired pairing must never be returned as live, whether or not a sweep has run yet
    (check `expires_at` against the clock on every read).
    """

    async def create(self, pairing: Pairing, caps: PendingCaps | None = None) -> None:
        """Store a new pending pairing (its `result` is None) until `pairing.expires_at`.

        Atomic: raises :class:`DuplicateKey` (and stores nothing) if the pairing id, the
        user code or the state is held by a live pairing or a tombstone.

        With `caps`, also atomically across replicas: raises :class:`PendingCapReached`
        (and stores nothing) if `caps.total` pairings are pending already, or if a share
        of `caps.shares` holds `limit` pending pairings already. Otherwise the new pairing
        counts against each of its shares for as long as it is pending (until it has a
        result, or ends); pairings that expired count no more, swept or not.
        """
        ...

    async def get(self, pairing_id: str) -> Pairing | None:
        """The live (not expired, not gone) pairing, or None."""
        ...

    async def gone(self, pairing_id: str) -> Tombstone | None:
        """The tombstone of a pairing that ended recently, or None.

        A pairing whose `expires_at` has passed but that no sweep has processed yet counts
        as gone with reason EXPIRED.
        """
        ...

    async def find_by_user_code(self, user_code: str) -> str | None:
        """The pairing id holding this normalized user code (live or tombstoned), or None."""
        ...

    async def find_by_state(self, state: str) -> str | None:
        """The pairing id whose authorize URL carries this `state` (live or tombstoned)."""
        ...

    async def mark_confirmed(
        self, pairing_id: str, at: float, binding_hash: str, by: ConfirmedBy | None = None
    ) -> str | None:
        """Bind the pairing to the browser that pressed "this is my terminal".

        If the pairing holds no binding yet, record `binding_hash` and `by` (and `at` as
        `confirmed_at` unless one is recorded already), and wake every `wait_for_result`
        waiter of the pairing, so that a host waiting for the confirmation notice hears
        of it at once. First binding wins, atomically across replicas: a later call never
        replaces it. Returns the binding the pairing holds after the call (`binding_hash`
        itself if this call won, the earlier one otherwise), or None (and changes
        nothing) if the pairing is not live or no longer pending.
        """
        ...

    async def set_result(self, pairing_id: str, result: PairingResult, result_ttl: float) -> bool:
        """One-time transition from pending to `result`; returns whether this call won.

        Atomic across replicas: of concurrent calls at most one returns True. Returns False
        if the pairing is unknown, gone, or already has a result. On success the pairing's
        expiry becomes min(expires_at, now + result_ttl) and every `wait_for_result`
        waiter of the pairing wakes.
        """
        ...

    async def deliver(self, pairing_id: str, redelivery_ttl: float) -> PairingResult | None:
        """The result of an authorized pairing, the same on every call until acknowledged.

        The first delivery starts the redelivery window, atomically: the pairing's expiry
        becomes min(expires_at, now + redelivery_ttl), and later deliveries never move it
        again (the min keeps the earlier end). Returns None (and changes nothing) if the
        pairing is unknown, gone, pending or already acknowledged.
        """
        ...

    async def acknowledge(self, pairing_id: str, finishing_ttl: float) -> Pairing | None:
        """The host opened the result: drop the sealed blob at once.

        Atomic, one transition: an authorized pairing holding a sealed result becomes
        acknowledged (its result keeps its kind, `sealed` becomes None) and now expires
        at `now + finishing_ttl`; one holding the provider's denial ends with a DENIED
        tombstone (there is nothing left to finish). A pending or already acknowledged
        pairing is left as it is. Returns the pairing as it was before the call (so the
        caller can tell which case it was), or None if it was not live.
        """
        ...

    async def report(self, pairing_id: str, outcome: Outcome) -> Pairing | None:
        """End an authorized or acknowledged pairing with the host's outcome, once.

        Atomic: the pairing becomes a tombstone with reason SIGNED_IN or FAILED that
        keeps `outcome` (a DENIED one, without it, when the result was the provider's
        denial: the relay knows nobody signed in). A pending pairing is left as it is.
        Returns the pairing as it was before the call, or None (nothing changed) if it
        was not live: of concurrent reports at most one gets a pairing back.
        """
        ...

    async def cancel(self, pairing_id: str) -> bool:
        """End a live pairing with a CANCELLED tombstone (DENIED if it holds the
        provider's denial, so the person's page keeps saying what happened); waiters
        wake. Returns False if it was not live.
        """
        ...

    async def wait_for_result(self, pairing_id: str, timeout: float) -> bool:
        """Wait until the pairing is no longer pending, or `timeout` seconds pass.

        Returns True at once if the pairing already has a result or is not live; True
        within milliseconds of a `set_result`/`cancel`/`mark_confirmed` by any replica;
        False on timeout. A spurious True is allowed (the caller re-reads the pairing), a
        missed wake-up is not. Must be event-driven (no sleep loops) and must hold no
        per-waiter resource beyond the wait (10,000 concurrent waiters are normal).
        """
        ...

    async def begin_poll(self, pairing_id: str, interval: float) -> bool:
        """Claim the right to start a poll of this pairing now.

        Returns False if another poll of the same pairing started less than `interval`
        seconds ago (the caller answers 429 slow_down); otherwise records this start and
        returns True. Atomic across replicas.
        """
        ...

    async def count_pending(self) -> int:
        """Number of live pairings without a result, for the cap on pending pairings."""
        ...

    async def hit_rate(self, key: str, window: float) -> RateCount:
        """Count one hit for `key` (e.g. "create:203.0.113.7") in the current fixed window.

        Windows are aligned to multiples of `window` seconds of the clock so that replicas
        sharing the store share the count. Returns the count including this hit.
        """
        ...

    async def draw(self, key: str, capacity: float, per_second: float, cost: float) -> float:
        """Take `cost` tokens from the token bucket `key` if it holds them: returns 0.0
        if it did, else the seconds until it will hold them (and takes nothing).

        The bucket holds at most `capacity` tokens, starts full and refills at
        `per_second`. A negative `cost` gives tokens back (never past `capacity`).
        Atomic across replicas, one bucket for all of them: of concurrent draws on a
        bucket holding one token, one gets it.
        """
        ...

    async def sweep_expired(self) -> list[Pairing]:
        """Turn every pairing whose `expires_at` has passed into an EXPIRED tombstone, drop
        tombstones and counters whose time is over, and return the pairings that expired
        in this call (each is returned once across all replicas, for the audit log).

        Must be cheap enough to run every second with 10,000 live pairings (work in
        proportion to what expired, not to what is stored).
        """
        ...

    async def ping(self) -> None:
        """Raise :class:`StoreError` if the store cannot serve requests (for /readyz)."""
        ...

    async def close(self) -> None:
        """Release connections; wake and release all waiters."""
        ...
