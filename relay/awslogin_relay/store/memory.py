"""The embedded store: everything in this process's memory, nothing else to run.

Atomicity comes from the event loop: no method awaits between reading and writing, so
each one is a single step as seen by every other coroutine. Only one relay process may
use it (`--workers 1`); replicas need the Redis store.

Expiry is checked on every read, and `sweep_expired` pops a heap of expiry times so that
its cost follows what expired, not how much is stored.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from dataclasses import replace

from awslogin_relay.domain.pairing import (
    ConfirmedBy,
    GoneReason,
    Outcome,
    Pairing,
    PairingResult,
    ResultKind,
    Tombstone,
)
from awslogin_relay.domain.store import (
    DuplicateKey,
    Now,
    PendingCapReached,
    PendingCaps,
    RateCount,
)


class MemoryPairingStore:
    """In-process implementation of :class:`~awslogin_relay.domain.store.PairingStore`."""

    def __init__(self, *, clock: Now = time.time, tombstone_ttl: float = 3600.0) -> None:
        self._clock = clock
        self._tombstone_ttl = tombstone_ttl
        self._live: dict[str, Pairing] = {}
        self._tombs: dict[str, Tombstone] = {}
        # (drop time, pairing id, user code, state); one TTL for all, so FIFO order is time order
        self._tomb_queue: deque[tuple[float, str, str, str]] = deque()
        self._by_code: dict[str, str] = {}
        self._by_state: dict[str, str] = {}
        self._expiry_heap: list[tuple[float, str]] = []
        self._pending = 0
        # share group -> {pending pairing id: its expiry}; and the groups of each pairing
        self._share_members: dict[str, dict[str, float]] = {}
        self._shares_of: dict[str, tuple[str, ...]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._poll_started: dict[str, float] = {}
        self._rates: dict[float, tuple[int, dict[str, int]]] = {}
        # token bucket key -> (tokens, when counted, seconds from empty to full)
        self._buckets: dict[str, tuple[float, float, float]] = {}
        self._expired_unreported: list[Pairing] = []
        self._closed = False

    # -- reads -------------------------------------------------------------------------

    def _live_or_expire(self, pairing_id: str) -> Pairing | None:
        pairing = self._live.get(pairing_id)
        if pairing is not None and pairing.expires_at <= self._clock():
            self._end(pairing, GoneReason.EXPIRED)
            self._expired_unreported.append(pairing)
            return None
        return pairing

    async def get(self, pairing_id: str) -> Pairing | None:
        return self._live_or_expire(pairing_id)

    async def gone(self, pairing_id: str) -> Tombstone | None:
        self._live_or_expire(pairing_id)
        tomb = self._tombs.get(pairing_id)
        if tomb is not None and tomb.gone_at + self._tombstone_ttl <= self._clock():
            return None
        return tomb

    async def find_by_user_code(self, user_code: str) -> str | None:
        return self._by_code.get(user_code)

    async def find_by_state(self, state: str) -> str | None:
        return self._by_state.get(state)

    async def count_pending(self) -> int:
        self._expire_due(self._clock())  # as Redis counts: expired ones no longer wait
        return self._pending

    # -- writes ------------------------------------------------------------------------

    async def create(self, pairing: Pairing, caps: PendingCaps | None = None) -> None:
        if pairing.pairing_id in self._live or pairing.pairing_id in self._tombs:
            raise DuplicateKey("pairing_id")
        if pairing.user_code in self._by_code:
            raise DuplicateKey("user_code")
        if pairing.state in self._by_state:
            raise DuplicateKey("state")
        if caps is not None:
            self._check_caps(caps)
            groups = tuple(share.group for share in caps.shares)
            for group in groups:
                self._share_members.setdefault(group, {})[pairing.pairing_id] = pairing.expires_at
            if groups:
                self._shares_of[pairing.pairing_id] = groups
        self._live[pairing.pairing_id] = pairing
        self._by_code[pairing.user_code] = pairing.pairing_id
        self._by_state[pairing.state] = pairing.pairing_id
        heapq.heappush(self._expiry_heap, (pairing.expires_at, pairing.pairing_id))
        self._pending += 1

    def _check_caps(self, caps: PendingCaps) -> None:
        now = self._clock()
        self._expire_due(now)  # what expired counts no more, swept or not
        if self._pending >= caps.total:
            raise PendingCapReached(None)
        for share in caps.shares:
            members = self._share_members.get(share.group, {})
            if len(members) >= share.limit:
                raise PendingCapReached(share, min(members.values()) - now)

    def _leave_shares(self, pairing_id: str) -> None:
        """The pairing is no longer pending: it counts against its shares no more."""
        for group in self._shares_of.pop(pairing_id, ()):
            members = self._share_members.get(group)
            if members is not None:
                members.pop(pairing_id, None)
                if not members:
                    del self._share_members[group]

    async def mark_confirmed(
        self, pairing_id: str, at: float, binding_hash: str, by: ConfirmedBy | None = None
    ) -> str | None:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None or not pairing.pending:
            return None
        if pairing.binding_hash is not None:
            return pairing.binding_hash
        confirmed_at = at if pairing.confirmed_at is None else pairing.confirmed_at
        self._live[pairing_id] = replace(
            pairing, confirmed_at=confirmed_at, binding_hash=binding_hash, confirmed_by=by
        )
        self._wake(pairing_id)
        return binding_hash

    async def set_result(self, pairing_id: str, result: PairingResult, result_ttl: float) -> bool:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None or not pairing.pending:
            return False
        self._live[pairing_id] = replace(pairing, result=result)
        self._expire_sooner(self._live[pairing_id], self._clock() + result_ttl)
        self._pending -= 1
        self._leave_shares(pairing_id)
        self._wake(pairing_id)
        return True

    async def deliver(self, pairing_id: str, redelivery_ttl: float) -> PairingResult | None:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None or pairing.result is None or pairing.acknowledged:
            return None
        self._expire_sooner(pairing, self._clock() + redelivery_ttl)
        return pairing.result

    async def acknowledge(self, pairing_id: str, finishing_ttl: float) -> Pairing | None:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None or pairing.result is None or pairing.acknowledged:
            return pairing
        if pairing.result.kind is ResultKind.DENIED:
            self._end(pairing, pairing.result.ending)
            return pairing
        expires_at = self._clock() + finishing_ttl
        self._live[pairing_id] = replace(
            pairing,
            result=replace(pairing.result, sealed=None),
            acknowledged=True,
            expires_at=expires_at,
        )
        heapq.heappush(self._expiry_heap, (expires_at, pairing_id))
        return pairing

    async def report(self, pairing_id: str, outcome: Outcome) -> Pairing | None:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None or pairing.result is None:
            return pairing
        if pairing.result.kind is ResultKind.DENIED:
            self._end(pairing, pairing.result.ending)
        else:
            self._end(pairing, outcome.gone_reason, outcome)
        return pairing

    async def cancel(self, pairing_id: str) -> bool:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None:
            return False
        result = pairing.result
        denied = result is not None and result.kind is ResultKind.DENIED
        self._end(pairing, result.ending if result is not None and denied else GoneReason.CANCELLED)
        return True

    def _expire_sooner(self, pairing: Pairing, at: float) -> None:
        if at < pairing.expires_at:
            self._live[pairing.pairing_id] = replace(pairing, expires_at=at)
            heapq.heappush(self._expiry_heap, (at, pairing.pairing_id))

    async def begin_poll(self, pairing_id: str, interval: float) -> bool:
        now = self._clock()
        last = self._poll_started.get(pairing_id)
        if last is not None and now - last < interval:
            return False
        self._poll_started[pairing_id] = now
        return True

    async def hit_rate(self, key: str, window: float) -> RateCount:
        now = self._clock()
        index = int(now // window)
        current = self._rates.get(window)
        if current is None or current[0] != index:
            current = (index, {})
            self._rates[window] = current
        counts = current[1]
        count = counts.get(key, 0) + 1
        counts[key] = count
        return RateCount(count=count, retry_after=(index + 1) * window - now)

    async def draw(self, key: str, capacity: float, per_second: float, cost: float) -> float:
        now = self._clock()
        held = self._buckets.get(key)
        level = capacity
        if held is not None:
            level = min(capacity, held[0] + max(0.0, now - held[1]) * per_second)
        if level < cost:
            return (cost - level) / per_second
        self._buckets[key] = (min(capacity, level - cost), now, capacity / per_second)
        return 0.0

    # -- waiting -----------------------------------------------------------------------

    async def wait_for_result(self, pairing_id: str, timeout: float) -> bool:
        pairing = self._live_or_expire(pairing_id)
        if pairing is None or not pairing.pending or self._closed:
            return True
        event = self._events.get(pairing_id)
        if event is None:
            event = self._events[pairing_id] = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True

    def _wake(self, pairing_id: str) -> None:
        event = self._events.pop(pairing_id, None)
        if event is not None:
            event.set()

    # -- endings and housekeeping ------------------------------------------------------

    def _end(self, pairing: Pairing, reason: GoneReason, outcome: Outcome | None = None) -> None:
        """Replace a live pairing by its tombstone; its code and state stay reserved."""
        now = self._clock()
        del self._live[pairing.pairing_id]
        if pairing.pending:
            self._pending -= 1
            self._leave_shares(pairing.pairing_id)
        self._poll_started.pop(pairing.pairing_id, None)
        self._tombs[pairing.pairing_id] = Tombstone(
            pairing_id=pairing.pairing_id,
            reason=reason,
            hostname=pairing.host.hostname,
            gone_at=now,
            binding_hash=pairing.binding_hash,
            outcome=outcome,
        )
        self._tomb_queue.append(
            (now + self._tombstone_ttl, pairing.pairing_id, pairing.user_code, pairing.state)
        )
        self._wake(pairing.pairing_id)

    def _expire_due(self, now: float) -> None:
        """End every pairing whose expiry has passed (kept for the next sweep's report)."""
        heap = self._expiry_heap
        while heap and heap[0][0] <= now:
            _, pairing_id = heapq.heappop(heap)
            pairing = self._live.get(pairing_id)
            # stale heap entries: the pairing ended already, or its expiry moved earlier
            if pairing is not None and pairing.expires_at <= now:
                self._end(pairing, GoneReason.EXPIRED)
                self._expired_unreported.append(pairing)

    async def sweep_expired(self) -> list[Pairing]:
        now = self._clock()
        self._expire_due(now)
        expired, self._expired_unreported = self._expired_unreported, []
        queue = self._tomb_queue
        while queue and queue[0][0] <= now:
            _, pairing_id, user_code, state = queue.popleft()
            self._tombs.pop(pairing_id, None)
            if self._by_code.get(user_code) == pairing_id:
                del self._by_code[user_code]
            if self._by_state.get(state) == pairing_id:
                del self._by_state[state]
        for window, (index, _) in list(self._rates.items()):
            if index != int(now // window):
                del self._rates[window]
        for key, (_, at, refill) in list(self._buckets.items()):
            if now - at >= refill:  # full again: the same as no bucket
                del self._buckets[key]
        return expired

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._closed = True
        for event in self._events.values():
            event.set()
        self._events.clear()
