"""The shared store: pairings, wake-ups and rate limits in one Redis, for several replicas.

Every change that must be atomic across replicas is one Lua script, so two replicas can
race on a callback or a collection and exactly one wins. Times are the store's clock
(passed into the scripts as arguments), so replicas agree with each other and tests can
move time; Redis TTLs are relative lifetimes computed from that clock plus a margin, a
safety net that frees memory even if no replica ever sweeps again.

Key layout (prefix ``awl:`` by default; ``{id}`` is the public pairing id):

==================  ======  ===========================================================
``p:{id}``          string  live record ``L`` or tombstone ``T`` (format below)
``c:{user_code}``   string  pairing id; reserved while the pairing or its tombstone lives
``s:{state}``       string  pairing id, for /callback; same lifetime as ``c:``
``poll:{id}``       string  start time of the last poll (the `interval` check)
``pend``            zset    pending pairing ids scored by expiry (count and sweep)
``done``            zset    ids holding an uncollected result, scored by expiry
``tomb``            zset    tombstoned ids scored by the time the tombstone goes
``r:{w}:{n}:{key}`` string  hits of rate key `key` in window number `n` of `w` seconds
``wake``            pubsub  a pairing id each time its result is set, taken or cancelled
==================  ======  ===========================================================

Records are newline-separated fields, compact and cheap to rewrite in Lua::

    L \\n expires_at \\n confirmation \\n result JSON|"" \\n [hostname, user_code, state]
      \\n "1" deflate([mode, authorize_url split around "state=<state>", public_key,
                      poll_token_hash, user, client, address, user_agent, created_at])
    T \\n reason \\n gone_at \\n [hostname, user_code, state]

where `confirmation` is "" (nobody confirmed yet) or ``confirmed_at binding_hash`` (one
space; the hex SHA-256 of the secret held by the browser that confirmed). A record
written before bindings existed may hold ``confirmed_at`` alone: it counts as unbound,
and the next confirmation binds it. The scripts read only the text lines; the
compressed body (what no script needs) comes last. No line can hold a raw newline: the
JSON parts are ASCII-escaped and the rest are numbers, hex or reason words.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from awslogin_protocol.messages import PairingMode
from awslogin_relay.domain.pairing import (
    GoneReason,
    HostInfo,
    Pairing,
    PairingResult,
    ResultKind,
    Tombstone,
)
from awslogin_relay.domain.store import DuplicateKey, Now, RateCount, StoreError

T = TypeVar("T")
ScriptArg = str | int | bytes

# Redis keeps a key this long after the store's own clock says it is over, so that a
# replica reading at the edge of a lifetime still sees a consistent record.
_MARGIN_SECONDS = 60.0
_SWEEP_BATCH = 500
_CONNECT_TIMEOUT = 2.0
_COMMAND_TIMEOUT = 5.0
_RECONNECT_DELAYS = (0.05, 0.1, 0.25, 0.5, 1.0)

# The body of a live record (everything no script reads) is raw deflate with this preset
# dictionary: the boilerplate of authorize URLs then costs almost nothing, which keeps a
# pending pairing under 1 KiB of Redis memory. Records carry the format letter, so a
# future dictionary gets a new letter instead of breaking stored pairings.
_BODY_V1 = "1"
_BODY_DICTIONARY = (
    b'["redirect","paste","https://login.microsoftonline.com/oauth2/v2.0/authorize'
    b"?client_id=&response_type=code&redirect_uri=https%3A%2F%2F%2Fcallback&response_mode=query"
    b"&scope=openid%20profile%20email%20offline_access&state=&nonce="
    b"&code_challenge_method=S256&code_challenge=https://accounts.google.com/o/oauth2/v2/auth"
    b"/oauth2/default/v1/authorize/protocol/openid-connect/auth.okta.com/oauth2/authorize"
    b'.amazoncognito.com","awslogin/0.1.0 (Linux; Python 3.11)",'
)

# Shared Lua helpers, prepended to every script that needs them.
_LUA_LIB = """
local function parse_live(v)
  local exp, conf, res, blob = string.match(v, '^L\\n([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$')
  return exp, conf, res, blob
end
local function extend(key, ms)
  local left = redis.call('PTTL', key)
  if left < ms then redis.call('PEXPIRE', key, ms) end
end
-- Replace a live record by its tombstone; its user code and state stay reserved.
local function bury(prefix, id, rest, reason, gone_at, now, tomb_ttl, margin)
  local tail = string.match(rest, '^([^\\n]*)')
  local f = cjson.decode(tail)
  local ms = math.floor((tonumber(gone_at) + tonumber(tomb_ttl) - tonumber(now)) * 1000)
    + tonumber(margin)
  if ms < 1 then ms = 1 end
  redis.call('SET', prefix .. 'p:' .. id,
    'T\\n' .. reason .. '\\n' .. gone_at .. '\\n' .. tail, 'PX', ms)
  redis.call('PEXPIRE', prefix .. 'c:' .. f[2], ms)
  redis.call('PEXPIRE', prefix .. 's:' .. f[3], ms)
  redis.call('ZREM', prefix .. 'pend', id)
  redis.call('ZREM', prefix .. 'done', id)
  redis.call('DEL', prefix .. 'poll:' .. id)
  redis.call('ZADD', prefix .. 'tomb', tonumber(gone_at) + tonumber(tomb_ttl), id)
  extend(prefix .. 'tomb', ms)
  redis.call('PUBLISH', prefix .. 'wake', id)
end
"""

# KEYS: p, c, s, pend  ARGV: record, id, expires_at, key lifetime ms
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'pairing_id' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'user_code' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'state' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
extend(KEYS[4], tonumber(ARGV[4]))
return 'ok'
"""

# KEYS: p  ARGV: now, confirmed_at, binding hash
# Returns the binding the pairing holds afterwards, or false if it is not live and pending.
_CONFIRM = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[1]) or res ~= '' then return false end
local at, bound = string.match(conf, '^([^ ]*) ?([^ ]*)$')
if bound ~= '' then return bound end
if at == '' then at = ARGV[2] end
redis.call('SET', KEYS[1],
  'L\\n' .. exp .. '\\n' .. at .. ' ' .. ARGV[3] .. '\\n\\n' .. blob, 'KEEPTTL')
return ARGV[3]
"""

# KEYS: p  ARGV: prefix, id, now, result JSON, now + result_ttl, tomb_ttl, margin ms
_SET_RESULT = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local exp, conf, res, blob = parse_live(v)
local now = tonumber(ARGV[3])
if not exp or tonumber(exp) <= now or res ~= '' then return 0 end
if tonumber(ARGV[5]) < tonumber(exp) then exp = ARGV[5] end
local ms = math.floor((tonumber(exp) + tonumber(ARGV[6]) - now) * 1000) + tonumber(ARGV[7])
redis.call('SET', KEYS[1], 'L\\n' .. exp .. '\\n' .. conf .. '\\n' .. ARGV[4] .. '\\n' .. blob,
  'PX', ms)
redis.call('ZREM', ARGV[1] .. 'pend', ARGV[2])
redis.call('ZADD', ARGV[1] .. 'done', exp, ARGV[2])
extend(ARGV[1] .. 'done', ms)
redis.call('PUBLISH', ARGV[1] .. 'wake', ARGV[2])
return 1
"""

# KEYS: p  ARGV: prefix, id, now, tomb_ttl, margin ms, "take" | "cancel"
# take: returns the result JSON of a live pairing that has one, else false.
# cancel: returns 1 if the pairing was live, else false.
_END = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
local exp, conf, res, blob = parse_live(v)
if not exp or tonumber(exp) <= tonumber(ARGV[3]) then return false end
if ARGV[6] == 'take' then
  if res == '' then return false end
  local reason = 'collected'
  if cjson.decode(res)[1] == 'denied' then reason = 'denied' end
  bury(ARGV[1], ARGV[2], blob, reason, ARGV[3], ARGV[3], ARGV[4], ARGV[5])
  return res
end
bury(ARGV[1], ARGV[2], blob, 'cancelled', ARGV[3], ARGV[3], ARGV[4], ARGV[5])
return 1
"""

# KEYS: poll  ARGV: now, interval, lifetime ms
_BEGIN_POLL = """
local last = redis.call('GET', KEYS[1])
if last and tonumber(ARGV[1]) - tonumber(last) < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""

# ARGV: prefix, now, tomb_ttl, margin ms, batch
# Returns {id1, record1, id2, record2, ...} of the pairings that expired in this call,
# then drops tombstones whose time is over (with the keys they reserved).
_SWEEP = """
local prefix, now, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local expired = {}
for _, set in ipairs({'pend', 'done'}) do
  local ids = redis.call('ZRANGEBYSCORE', prefix .. set, '-inf', now, 'LIMIT', 0, batch)
  for _, id in ipairs(ids) do
    local v = redis.call('GET', prefix .. 'p:' .. id)
    local exp, conf, res, blob
    if v then exp, conf, res, blob = parse_live(v) end
    if exp and tonumber(exp) <= now then
      bury(prefix, id, blob, 'expired', exp, ARGV[2], ARGV[3], ARGV[4])
      expired[#expired + 1] = id
      expired[#expired + 1] = v
    elseif exp then
      redis.call('ZADD', prefix .. set, exp, id)
    else
      redis.call('ZREM', prefix .. set, id)
    end
  end
end
local ids = redis.call('ZRANGEBYSCORE', prefix .. 'tomb', '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(ids) do
  redis.call('ZREM', prefix .. 'tomb', id)
  local v = redis.call('GET', prefix .. 'p:' .. id)
  if v and string.sub(v, 1, 1) == 'T' then
    local f = cjson.decode(string.match(v, '^T\\n[^\\n]*\\n[^\\n]*\\n(.*)$'))
    redis.call('DEL', prefix .. 'p:' .. id)
    for i, kind in ipairs({'c:', 's:'}) do
      local key = prefix .. kind .. f[i + 1]
      if redis.call('GET', key) == id then redis.call('DEL', key) end
    end
  end
end
return expired
"""

# KEYS: counter  ARGV: lifetime ms
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _encode_live(p: Pairing) -> bytes:
    tail = _json([p.host.hostname, p.user_code, p.state])
    # The state is random (incompressible) and already in the tail: the URL is kept as
    # the text before and after its `state=` value when it has one.
    before, marker, after = p.authorize_url.partition(f"state={p.state}")
    url_parts = [before, after] if marker else [p.authorize_url]
    body = _json(
        [
            p.mode.value,
            url_parts,
            p.public_key,
            p.poll_token_hash,
            p.host.user,
            p.host.client,
            p.host.address,
            p.host.user_agent,
            p.created_at,
        ]
    )
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, _BODY_DICTIONARY)
    packed = packer.compress(body.encode()) + packer.flush()
    confirmed = "" if p.confirmed_at is None else repr(p.confirmed_at)
    if p.binding_hash is not None:
        confirmed = f"{confirmed} {p.binding_hash}"
    result = "" if p.result is None else _encode_result(p.result)
    head = f"L\n{p.expires_at!r}\n{confirmed}\n{result}\n{tail}\n{_BODY_V1}"
    return head.encode() + packed


def _json(value: object) -> str:
    # ensure_ascii keeps every field one line of 7-bit text: no raw newline can occur.
    return json.dumps(value, separators=(",", ":"))


def _encode_result(result: PairingResult) -> str:
    fields: list[str | None] = [result.kind.value, result.sealed]
    if result.error is not None or result.error_description is not None:
        fields += [result.error, result.error_description]
    return _json(fields)


def _decode_result(text: str) -> PairingResult:
    fields = json.loads(text)
    kind, sealed = fields[0], fields[1]
    error, description = (fields[2], fields[3]) if len(fields) > 2 else (None, None)
    return PairingResult(ResultKind(kind), sealed, error, description)


def _decode_live(pairing_id: str, record: bytes) -> Pairing:
    _, expires_at, confirmed, result, tail, packed = record.split(b"\n", 5)
    if packed[:1] != _BODY_V1.encode():
        raise StoreError("redis store holds a pairing record of an unknown format")
    unpacker = zlib.decompressobj(-15, _BODY_DICTIONARY)
    body = json.loads(unpacker.decompress(packed[1:]) + unpacker.flush())
    hostname, user_code, state = json.loads(tail)
    confirmed_at, _, binding_hash = confirmed.decode().partition(" ")
    url_parts = body[1]
    return Pairing(
        pairing_id=pairing_id,
        user_code=user_code,
        state=state,
        mode=PairingMode(body[0]),
        authorize_url=f"state={state}".join(url_parts),
        public_key=body[2],
        poll_token_hash=body[3],
        host=HostInfo(
            hostname=hostname, user=body[4], client=body[5], address=body[6], user_agent=body[7]
        ),
        created_at=float(body[8]),
        expires_at=float(expires_at),
        confirmed_at=float(confirmed_at) if confirmed_at else None,
        binding_hash=binding_hash or None,
        result=_decode_result(result.decode()) if result else None,
    )


def check_url(url: str) -> None:
    """Raise ValueError, naming no part of `url` (it may hold a password), if redis-py
    cannot parse it; cheap and offline, so settings can call it before anything starts."""
    try:
        parse_url(url)
    except ValueError:
        raise ValueError(
            "not a valid Redis URL (redis://[:password@]host[:port][/db], rediss://..., "
            "unix:///path)"
        ) from None


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
    ) -> None:
        self._redis = redis
        self._subscriber = subscriber
        self._clock = clock
        self._tombstone_ttl = tombstone_ttl
        self._prefix = prefix
        self._margin_ms = _ms(_MARGIN_SECONDS)
        self._create = redis.register_script(_LUA_LIB + _CREATE)
        self._confirm = redis.register_script(_LUA_LIB + _CONFIRM)
        self._set_result = redis.register_script(_LUA_LIB + _SET_RESULT)
        self._end = redis.register_script(_LUA_LIB + _END)
        self._begin_poll = redis.register_script(_BEGIN_POLL)
        self._sweep = redis.register_script(_LUA_LIB + _SWEEP)
        self._hit = redis.register_script(_HIT)
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
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
        """Connect lazily to the Redis at `url` (redis://, rediss:// or unix://).

        Commands share a bounded pool (waiters hold no connection); wake-ups arrive on
        one extra connection per process that stays subscribed.
        """
        check_url(url)
        retry = Retry(ExponentialBackoff(cap=0.2, base=0.05), 1)
        options: dict[str, Any] = {
            "socket_connect_timeout": _CONNECT_TIMEOUT,
            "retry": retry,
            "client_name": "awslogin-relay",
        }
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=_COMMAND_TIMEOUT,
            socket_timeout=_COMMAND_TIMEOUT,
            **options,
        )
        redis = Redis(connection_pool=pool)
        # No read timeout: a quiet subscription is normal; health checks find dead links.
        subscriber = Redis.from_url(url, socket_timeout=None, health_check_interval=10, **options)
        return cls(redis, subscriber, clock=clock, tombstone_ttl=tombstone_ttl, prefix=prefix)

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
        if record is None or not record.startswith(b"L"):
            return None
        pairing = _decode_live(pairing_id, record)
        return pairing if pairing.expires_at > self._clock() else None

    async def gone(self, pairing_id: str) -> Tombstone | None:
        record = await self._get(self._key("p:", pairing_id))
        if record is None:
            return None
        if record.startswith(b"L"):
            pairing = _decode_live(pairing_id, record)
            if pairing.expires_at > self._clock():
                return None
            return Tombstone(
                pairing_id, GoneReason.EXPIRED, pairing.host.hostname, pairing.expires_at
            )
        _, reason, gone_at, tail = record.decode().split("\n", 3)
        if float(gone_at) + self._tombstone_ttl <= self._clock():
            return None
        return Tombstone(pairing_id, GoneReason(reason), json.loads(tail)[0], float(gone_at))

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

    async def create(self, pairing: Pairing) -> None:
        lifetime = pairing.expires_at - self._clock() + self._tombstone_ttl
        keys = [
            self._key("p:", pairing.pairing_id),
            self._key("c:", pairing.user_code),
            self._key("s:", pairing.state),
            self._key("pend", ""),
        ]
        args: list[ScriptArg] = [
            _encode_live(pairing),
            pairing.pairing_id,
            repr(pairing.expires_at),
            _ms(lifetime) + self._margin_ms,
        ]
        outcome = await self._run(self._create, keys, args)
        if outcome != b"ok":
            raise DuplicateKey(bytes(outcome).decode())

    async def mark_confirmed(self, pairing_id: str, at: float, binding_hash: str) -> str | None:
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [repr(self._clock()), repr(at), binding_hash]
        held = await self._run(self._confirm, keys, args)
        return None if held is None else bytes(held).decode()

    async def set_result(self, pairing_id: str, result: PairingResult, result_ttl: float) -> bool:
        now = self._clock()
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            self._prefix,
            pairing_id,
            repr(now),
            _encode_result(result),
            repr(now + result_ttl),
            repr(self._tombstone_ttl),
            self._margin_ms,
        ]
        return bool(await self._run(self._set_result, keys, args))

    async def _finish(self, pairing_id: str, how: str) -> Any:
        keys = [self._key("p:", pairing_id)]
        args: list[ScriptArg] = [
            self._prefix,
            pairing_id,
            repr(self._clock()),
            repr(self._tombstone_ttl),
            self._margin_ms,
            how,
        ]
        return await self._run(self._end, keys, args)

    async def take_result(self, pairing_id: str) -> PairingResult | None:
        taken = await self._finish(pairing_id, "take")
        return None if taken is None else _decode_result(bytes(taken).decode())

    async def cancel(self, pairing_id: str) -> bool:
        return await self._finish(pairing_id, "cancel") is not None

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
                expired.append(_decode_live(bytes(flat[i]).decode(), bytes(flat[i + 1])))
            if len(flat) < 2 * _SWEEP_BATCH:
                return expired

    async def ping(self) -> None:
        await self._call(self._redis.ping)

    # -- waiting -----------------------------------------------------------------------

    async def wait_for_result(self, pairing_id: str, timeout: float) -> bool:
        if self._closed:
            return True
        # Registered before the state is read: a wake-up published after the read
        # cannot be missed.
        event = asyncio.Event()
        self._waiters.setdefault(pairing_id, set()).add(event)
        try:
            async with asyncio.timeout(timeout):
                await self._ensure_subscribed()
                pairing = await self.get(pairing_id)
                if pairing is None or not pairing.pending:
                    return True
                await event.wait()
                return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(pairing_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[pairing_id]

    async def _ensure_subscribed(self) -> None:
        if self._subscribed.is_set():
            return
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="awslogin-redis-wake")
        await self.ping()  # fail fast with StoreError while Redis is down
        try:
            async with asyncio.timeout(_CONNECT_TIMEOUT):
                await self._subscribed.wait()
        except TimeoutError:
            raise StoreError("redis store unavailable (no subscription)") from None

    async def _listen(self) -> None:
        """Keep one subscription to the wake channel, reconnecting with backoff.

        Wake-ups published while it is down are lost, so every local waiter is woken
        when it drops (a spurious wake-up only makes a re-read); waiters that arrive
        meanwhile wait for the new subscription before they read the pairing.
        """
        channel = self._key("wake", "")
        failures = 0
        while not self._closed:
            pubsub = self._subscriber.pubsub()
            try:
                await pubsub.subscribe(channel)
                while not self._closed:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        failures = 0
                        self._subscribed.set()
                    elif message["type"] == "message":
                        self._wake(bytes(message["data"]).decode())
            except (RedisError, OSError):
                self._subscribed.clear()
                self._wake_all()
                delay = _RECONNECT_DELAYS[min(failures, len(_RECONNECT_DELAYS) - 1)]
                failures += 1
                await asyncio.sleep(delay)
            finally:
                self._subscribed.clear()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _wake(self, pairing_id: str) -> None:
        for event in self._waiters.pop(pairing_id, ()):
            event.set()

    def _wake_all(self) -> None:
        waiters, self._waiters = self._waiters, {}
        for events in waiters.values():
            for event in events:
                event.set()

    async def close(self) -> None:
        self._closed = True
        self._wake_all()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        try:
            await self._subscriber.aclose()
            await self._redis.aclose()
        except (RedisError, OSError):
            pass
