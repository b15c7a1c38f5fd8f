"""The shared store: pairings, wake-ups and rate limits in one Redis, for several replicas.

Every change that must be atomic across replicas is one Lua script, so two replicas can
race on a callback, an acknowledgement or a report and exactly one wins. Times are the store's clock
(passed into the scripts as arguments), so replicas agree with each other and tests can
move time; Redis TTLs are relative lifetimes computed from that clock plus a margin, a
safety net that frees memory even if no replica ever sweeps again.

Key layout (prefix ``awl:`` by default; ``{id}`` is the public pairing id):

==================  ======  ===========================================================
``p:{id}``          string  live record ``L`` or tombstone ``T`` (see `redis_records`)
``c:{user_code}``   string  pairing id; reserved while the pairing or its tombstone lives
``s:{state}``       string  pairing id, for /callback; same lifetime as ``c:``
``poll:{id}``       string  start time of the last poll (the `interval` check)
``pend``            zset    pending pairing ids scored by expiry (count and sweep)
``pc:{group}``      zset    pending ids counted against a `PendingShare`, by expiry
``ps:{id}``         string  the ``pc:`` keys a pending pairing counts against, one a line
``done``            zset    ids holding a result (acknowledged or not), scored by expiry
``tomb``            zset    tombstoned ids scored by the time the tombstone goes
``r:{w}:{n}:{key}`` string  hits of rate key `key` in window number `n` of `w` seconds
``b:{key}``         hash    token bucket `key`: tokens left and when they were counted
``wake``            pubsub  a pairing id each time its result is set or it ends
==================  ======  ===========================================================

Records (a pairing or its tombstone as one string) are encoded by `redis_records`; the
Lua scripts, one per atomic change, are the files in `lua/`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from awslogin_relay.domain.pairing import ConfirmedBy, Outcome, Pairing, PairingResult, Tombstone
from awslogin_relay.domain.store import (
    DuplicateKey,
    Now,
    PendingCapReached,
    PendingCaps,
    RateCount,
    StoreError,
)
from awslogin_relay.store.redis_connect import CONNECT_TIMEOUT, connect
from awslogin_relay.store.redis_records import (
    LIVE,
    decode_live,
    decode_result,
    decode_tombstone,
    encode_confirmed_by,
    encode_live,
    encode_outcome,
    encode_result,
    expired_tombstone,
)
from awslogin_relay.store.redis_wakeups import RedisWakeups

T = TypeVar("T")
ScriptArg = str | int | bytes

# Redis keeps a key this long after the store's own clock says it is over, so that a
# replica reading at the edge of a lifetime still sees a consistent record.
_MARGIN_SECONDS = 60.0
_SWEEP_BATCH = 500


def _lua(name: str, *, with_lib: bool = True) -> str:
    """The text of `lua/{name}.lua`, after the shared helpers of `lua/lib.lua` if it uses them."""
    folder = resources.files(__package__).joinpath("lua")
    script = folder.joinpath(f"{name}.lua").read_text(encoding="utf-8")
    if not with_lib:
        return script
    return folder.joinpath("lib.lua").read_text(encoding="utf-8") + script


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisPairingStore:
    """Redis implementation of :class:`~awslogin_relay.domain.store.PairingStore`.

    Every Redis or network failure surfaces as :class:`StoreError` (the app answers 503)
    after at most one quick retry, so a Redis outage degrades to clear errors, never
    hangs or 500s, and the store recovers by itself once Redis answers again.
    """

    def __init__(
        self,
        redis: Redis,
        subscriber: Redis,
        *,
        clock: Now = time.time,
        tombstone_ttl: float = 3600.0,
        prefix: str = "awl:",
        others: tuple[Redis, ...] = (),
    ) -> None:
        self._redis = redis
        self._others = others  # closed with the store (a Sentinel's own clients)
        self._clock = clock
        self._tombstone_ttl = tombstone_ttl
        self._prefix = prefix
        self._margin_ms = _ms(_MARGIN_SECONDS)
        self._create = redis.register_script(_lua("create"))
        self._confirm = redis.register_script(_lua("confirm"))
        self._set_result = redis.register_script(_lua("set_result"))
        self._deliver = redis.register_script(_lua("deliver"))
        self._acknowledge = redis.register_script(_lua("acknowledge"))
        self._report = redis.register_script(_lua("report"))
        self._cancel = redis.register_script(_lua("cancel"))
        self._begin_poll = redis.register_script(_lua("begin_poll", with_lib=False))
        self._sweep = redis.register_script(_lua("sweep"))
        self._hit = redis.register_script(_lua("hit", with_lib=False))
        self._draw = redis.register_script(_lua("draw", with_lib=False))
        self._wakeups = RedisWakeups(
            subscriber, self._key("wake", ""), ping=self.ping, connect_timeout=CONNECT_TIMEOUT
        )
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        clock: Now = time.time,
        tombstone_ttl: float = 3600.0,
        prefix: str = "awl:",
        max_connections: int = 64,
    ) -> RedisPairingStore:
        """Connect lazily to the Redis that `url` names (see `redis_connect`: one server,
        or the primary of a Sentinel-monitored group)."""
        clients = connect(url, max_connections=max_connections)
        return cls(
            clients.commands,
            clients.subscriber,
            clock=clock,
            tombstone_ttl=tombstone_ttl,
            prefix=prefix,
            others=clients.others,
        )

    # -- plumbing ----------------------------------------------------------------------

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}{name}"

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreError(f"redis store unavailable ({type(exc).__name__})") from exc
        except RedisError as exc:
            raise StoreError(f"redis store failed ({type(exc).__name__})") from exc

    async def _run(self, script: AsyncScript, keys: list[str], args: list[ScriptArg]) -> Any:
        return await self._call(lambda: script(keys=keys, args=args))

    async def _get(self, key: str) -> bytes | None:
        raw: bytes | str | None = await self._call(lambda: self._redis.get(key))
        return raw.encode() if isinstance(raw, str) else raw

    async def _get_text(self, key: str) -> str | None:
        raw = await self._get(key)
        return None if raw is None else raw.decode()

    # -- reads -------------------------------------------------------------------------

    async def get(self, pairing_id: str) -> Pairing | None:
        record = await self._get(self._key("p:", pairing_id))
        if record is None or not record.startswith(LIVE):
            return None
        pairing = decode_live(pairing_id, record)
        return pairing if pairing.expires_at > self._clock() else None

    async def gone(self, pairing_id: str) -> Tombstone | None:
        record = await self._get(self._key("p:", pairing_id))
        if record is None:
            return None
        if record.startswith(LIVE):
            pairing = decode_live(pairing_id, record)
            return None if pairing.expires_at > self._clock() else expired_tombstone(pairing)
        tomb = decode_tombstone(pairing_id, record)
        return None if tomb.gone_at + self._tombstone_ttl <= self._clock() else tomb

    async def find_by_user_code(self, user_code: str) -> str | None:
        return await self._get_text(self._key("c:", user_code))

    async def find_by_state(self, state: str) -> str | None:
        return await self._get_text(self._key("s:", state))

    async def count_pending(self) -> int:
        now = self._clock()
        return int(
            await self._call(lambda: self._redis.zcount(self._key("pend", ""), f"({now!r}", "+inf"))
        )

    # -- writes ------------------------------------------------------------------------

    async def create(self, pairing: Pairing, caps: PendingCaps | None = None) -> None:
        now = self._clock()
        lifetime = pairing.expires_at - now + self._tombstone_ttl
        shares = caps.shares if caps is not None else ()
        keys = [
            self._key("p:", pairing.pairing_id),
            self._key("c:", pairing.user_code),
            self._key("s:", pairing.state),
            self._key("pend", ""),
            self._key("ps:", pairing.pairing_id),
            *(self._key("pc:", share.group) for share in shares),
        ]
        args: list[ScriptArg] = [
            encode_live(pairing),
            pairing.pairing_id,
            repr(pairing.expires_at),
            _ms(lifetime) + self._margin_ms,
            repr(now),
            "" if caps is None else caps.total,
            *(share.limit for share in shares),
        ]
        outcome = await self._run(self._create, keys, args)
        if isinstance(outcome, list):  # a cap is reached: ['total'] or ['share', n, expiry]
            if outcome[0] == b"total":
                raise PendingCapReached(None)
            earliest = float(outcome[2])
            raise PendingCapReached(shares[int(outcome[1]) - 1], earliest - now)
        if outcome != b"ok":
            raise DuplicateKey(bytes(outcome).decode())

    async def mark_confirmed(
        self, pairing_id: str, at: float, binding_hash: str, by: ConfirmedBy | None = None
    ) -> str | None:
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            repr(self._clock()),
            repr(at),
            binding_hash,
            encode_confirmed_by(by),
            self._prefix,
            pairing_id,
        ]
        held = await self._run(self._confirm, keys, args)
        return None if held is None else bytes(held).decode()

    async def set_result(self, pairing_id: str, result: PairingResult, result_ttl: float) -> bool:
        now = self._clock()
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            self._prefix,
            pairing_id,
            repr(now),
            encode_result(result),
            repr(now + result_ttl),
            repr(self._tombstone_ttl),
            self._margin_ms,
        ]
        return bool(await self._run(self._set_result, keys, args))

    async def deliver(self, pairing_id: str, redelivery_ttl: float) -> PairingResult | None:
        now = self._clock()
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [self._prefix, pairing_id, repr(now), repr(now + redelivery_ttl)]
        held = await self._run(self._deliver, keys, args)
        return None if held is None else decode_result(bytes(held).decode())[0]

    async def acknowledge(self, pairing_id: str, finishing_ttl: float) -> Pairing | None:
        now = self._clock()
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            self._prefix,
            pairing_id,
            repr(now),
            repr(now + finishing_ttl),
            repr(self._tombstone_ttl),
            self._margin_ms,
        ]
        before = await self._run(self._acknowledge, keys, args)
        return None if before is None else decode_live(pairing_id, bytes(before))

    async def report(self, pairing_id: str, outcome: Outcome) -> Pairing | None:
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            self._prefix,
            pairing_id,
            repr(self._clock()),
            repr(self._tombstone_ttl),
            self._margin_ms,
            outcome.gone_reason.value,
            encode_outcome(outcome),
        ]
        before = await self._run(self._report, keys, args)
        return None if before is None else decode_live(pairing_id, bytes(before))

    async def cancel(self, pairing_id: str) -> bool:
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            self._prefix,
            pairing_id,
            repr(self._clock()),
            repr(self._tombstone_ttl),
            self._margin_ms,
        ]
        return await self._run(self._cancel, keys, args) is not None

    async def begin_poll(self, pairing_id: str, interval: float) -> bool:
        keys = [self._key("poll:", pairing_id)]
        args: list[ScriptArg] = [
            repr(self._clock()),
            repr(interval),
            _ms(interval) + self._margin_ms,
        ]
        return bool(await self._run(self._begin_poll, keys, args))

    async def hit_rate(self, key: str, window: float) -> RateCount:
        now = self._clock()
        index = int(now // window)
        retry_after = (index + 1) * window - now
        keys = [self._key("r:", f"{window:g}:{index}:{key}")]
        args: list[ScriptArg] = [_ms(retry_after) + self._margin_ms]
        count = await self._run(self._hit, keys, args)
        return RateCount(count=int(count), retry_after=retry_after)

    async def draw(self, key: str, capacity: float, per_second: float, cost: float) -> float:
        keys = [self._key("b:", key)]
        args: list[ScriptArg] = [
            repr(self._clock()),
            repr(float(capacity)),
            repr(float(per_second)),
            repr(float(cost)),
            self._margin_ms,
        ]
        return float(await self._run(self._draw, keys, args))

    async def sweep_expired(self) -> list[Pairing]:
        expired: list[Pairing] = []
        while True:
            args: list[ScriptArg] = [
                self._prefix,
                repr(self._clock()),
                repr(self._tombstone_ttl),
                self._margin_ms,
                _SWEEP_BATCH,
            ]
            flat = await self._run(self._sweep, [], args)
            for i in range(0, len(flat), 2):
                expired.append(decode_live(bytes(flat[i]).decode(), bytes(flat[i + 1])))
            if len(flat) < 2 * _SWEEP_BATCH:
                return expired

    async def ping(self) -> None:
        await self._call(self._redis.ping)

    # -- waiting -----------------------------------------------------------------------

    async def wait_for_result(self, pairing_id: str, timeout: float) -> bool:
        if self._closed:
            return True
        event = self._wakeups.register(pairing_id)  # before the read: no wake-up is missed
        try:
            async with asyncio.timeout(timeout):
                await self._wakeups.ensure_subscribed()
                pairing = await self.get(pairing_id)
                if pairing is None or not pairing.pending:
                    return True
                await event.wait()
                return True
        except TimeoutError:
            return False
        finally:
            self._wakeups.unregister(pairing_id, event)

    async def close(self) -> None:
        self._closed = True
        try:
            await self._wakeups.close()
            await self._redis.aclose()
            for other in self._others:
                await other.aclose()
        except (RedisError, OSError):
            pass
