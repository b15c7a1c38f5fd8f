"""The Redis store against a real redis-server: the shared store contract, then what only
a shared store must do (several replicas, outages, memory per pairing, TTLs)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from awslogin_relay.domain.pairing import GoneReason, Outcome, Pairing, PairingResult, ResultKind
from awslogin_relay.domain.store import (
    PairingStore,
    PendingCapReached,
    PendingCaps,
    PendingShare,
    StoreError,
)
from awslogin_relay.store import open_store
from awslogin_relay.store.redis_store import RedisPairingStore
from tests.peers.redis import RedisServer
from tests.support.fake_clock import FakeClock
from tests.support.store_contract import BINDING_A, COMPLETE, CONTRACT, SIGNED_IN, make_pairing

pytestmark = pytest.mark.integration


def realistic_authorize_url(state: str) -> str:
    """An Okta-sized authorize URL whose random parts are really random (incompressible)."""
    return (
        "https://example.okta.com/oauth2/default/v1/authorize?response_type=code"
        "&client_id=0oa1b2c3d4e5f6g7h8i9&redirect_uri=https%3A%2F%2Frelay.example.com%2Fcallback"
        f"&scope=openid%20profile%20email%20offline_access&state={state}"
        f"&nonce={secrets.token_urlsafe(32)}&code_challenge={secrets.token_urlsafe(32)}"
        "&code_challenge_method=S256"
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(redis_server: RedisServer, clock: FakeClock) -> AsyncIterator[RedisPairingStore]:
    store = RedisPairingStore.from_url(redis_server.url, clock=clock, tombstone_ttl=3600)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def replica_b(
    redis_server: RedisServer, clock: FakeClock
) -> AsyncIterator[RedisPairingStore]:
    """A second store on the same Redis: what another relay replica sees."""
    store = RedisPairingStore.from_url(redis_server.url, clock=clock, tombstone_ttl=3600)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.mark.parametrize("check", CONTRACT, ids=lambda check: check.__name__)
async def test_contract(
    check: Callable[[PairingStore, FakeClock], Awaitable[None]],
    store: RedisPairingStore,
    clock: FakeClock,
) -> None:
    await check(store, clock)


def test_redis_store_satisfies_the_protocol_and_is_chosen_by_url(
    redis_server: RedisServer,
) -> None:
    assert isinstance(open_store(redis_server.url), RedisPairingStore)
    assert isinstance(RedisPairingStore.from_url(redis_server.url), PairingStore)


async def test_waiter_on_one_replica_wakes_within_milliseconds_of_another(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    waiter = asyncio.create_task(store.wait_for_result(pairing.pairing_id, 5))
    await asyncio.sleep(0.1)  # the waiter is subscribed and waiting
    started = time.perf_counter()
    assert await replica_b.set_result(pairing.pairing_id, COMPLETE, 120)
    assert await asyncio.wait_for(waiter, 1)
    # woken by the event, not by a poll of the store (a loaded machine still wakes in ms;
    # wake latency is measured in bench/relay_redis_bench.py)
    assert time.perf_counter() - started < 0.5
    assert await store.deliver(pairing.pairing_id, 60) == COMPLETE


async def test_replicas_deliver_until_one_acknowledges_then_one_report_wins(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    for n in range(20):
        pairing = make_pairing(clock, n)
        await store.create(pairing)
        await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A)
        assert await replica_b.set_result(pairing.pairing_id, COMPLETE, 120)
        deliveries = [r.deliver(pairing.pairing_id, 60) for r in (store, replica_b) * 3]
        acks = [r.acknowledge(pairing.pairing_id, 120) for r in (store, replica_b) * 3]
        results = await asyncio.gather(*deliveries, *acks)
        delivered, befores = results[:6], results[6:]
        # a delivery racing the acknowledgement gets the result or nothing, never half
        assert set(delivered) <= {COMPLETE, None}
        assert sum(not b.acknowledged for b in befores if isinstance(b, Pairing)) == 1
        assert await replica_b.deliver(pairing.pairing_id, 60) is None  # the blob is gone
        reports = await asyncio.gather(
            *(r.report(pairing.pairing_id, SIGNED_IN) for r in (store, replica_b) * 3)
        )
        assert len([before for before in reports if before is not None]) == 1
        for replica in (store, replica_b):
            tomb = await replica.gone(pairing.pairing_id)
            assert tomb is not None
            assert (tomb.reason, tomb.outcome, tomb.binding_hash) == (
                GoneReason.SIGNED_IN,
                SIGNED_IN,
                BINDING_A,
            )


async def test_results_set_on_two_replicas_at_once_only_one_wins(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    denied = replace(COMPLETE, sealed="b3RoZXI")
    wins = await asyncio.gather(
        store.set_result(pairing.pairing_id, COMPLETE, 120),
        replica_b.set_result(pairing.pairing_id, denied, 120),
    )
    assert sorted(wins) == [False, True]


async def test_rate_counts_and_poll_interval_are_shared_by_replicas(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    clock.now = 1_800_000_000.0
    assert (await store.hit_rate("create:10.0.0.1", 60)).count == 1
    assert (await replica_b.hit_rate("create:10.0.0.1", 60)).count == 2
    assert await store.begin_poll("pairing00001", 2)
    assert not await replica_b.begin_poll("pairing00001", 2)


async def test_replicas_creating_at_once_never_exceed_a_share_or_the_total(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    """The caps are checked and counted in one script: 2 x 40 creations racing on two
    replicas store exactly the share's limit, then exactly what the total leaves."""
    share = PendingShare("client:2001:db8:1:2::/64", 7)
    caps = PendingCaps(total=10, shares=(share,))

    async def attempt(replica: RedisPairingStore, n: int, caps: PendingCaps) -> str:
        try:
            await replica.create(make_pairing(clock, n), caps)
        except PendingCapReached as full:
            return "share" if full.share is not None else "total"
        return "created"

    outcomes = await asyncio.gather(
        *(attempt((store, replica_b)[n % 2], n, caps) for n in range(80))
    )
    assert sorted(set(outcomes)) == ["created", "share"]
    assert outcomes.count("created") == 7
    other = PendingCaps(total=10, shares=(PendingShare("client:198.51.100.4", 7),))
    outcomes = await asyncio.gather(
        *(attempt((store, replica_b)[n % 2], 100 + n, other) for n in range(80))
    )
    assert outcomes.count("created") == 3
    assert outcomes.count("total") == 77
    assert await store.count_pending() == 10


async def test_sweep_reports_each_expiry_once_across_replicas(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    for n in range(30):
        await store.create(make_pairing(clock, n, ttl=60))
    clock.advance(61)
    first, second = await asyncio.gather(store.sweep_expired(), replica_b.sweep_expired())
    ids = sorted(p.pairing_id for p in first + second)
    assert ids == [f"pairing{n:05d}" for n in range(30)]
    assert await store.count_pending() == 0


async def test_every_key_has_a_ttl(store: RedisPairingStore, raw: Redis, clock: FakeClock) -> None:
    caps = PendingCaps(total=100, shares=(PendingShare("client:10.0.0.1", 10),))
    for n in range(6):
        await store.create(make_pairing(clock, n), caps)
    assert await raw.zcard("awl:pc:client:10.0.0.1") == 6
    assert await raw.pttl("awl:ps:pairing00000") > 0
    await store.set_result("pairing00001", COMPLETE, 120)
    await store.deliver("pairing00001", 60)
    await store.acknowledge("pairing00001", 120)
    await store.set_result("pairing00004", COMPLETE, 120)
    await store.report("pairing00004", SIGNED_IN)
    await store.set_result("pairing00005", COMPLETE, 120)
    await store.deliver("pairing00005", 60)
    await store.cancel("pairing00002")
    await store.begin_poll("pairing00003", 5)
    await store.mark_confirmed("pairing00000", clock(), "ab" * 32)
    await store.hit_rate("create:10.0.0.1", 60)
    clock.advance(601)
    await store.sweep_expired()
    keys = [k async for k in raw.scan_iter("awl:*")]
    assert len(keys) >= 10
    # every pairing left its share as it stopped being pending
    assert not [key for key in keys if key.startswith((b"awl:pc:", b"awl:ps:"))]
    for key in keys:
        assert await raw.pttl(key) > 0, key


async def test_pending_pairing_uses_at_most_one_kib_of_redis_memory(
    store: RedisPairingStore, raw: Redis, clock: FakeClock
) -> None:
    state = secrets.token_urlsafe(32)
    pairing = replace(
        make_pairing(clock),
        pairing_id="7Hq2kXbM4vNcQ8rT",
        state=state,
        authorize_url=realistic_authorize_url(state),
        public_key=secrets.token_urlsafe(32),
        poll_token_hash=secrets.token_hex(32),
        host=replace(make_pairing(clock).host, user_agent="awslogin/0.1.0 (Linux; Python 3.11)"),
    )
    # as the relay creates them: counted against the client's share of pending pairings
    caps = PendingCaps(total=10000, shares=(PendingShare("client:203.0.113.7", 20),))
    await store.create(pairing, caps)
    assert await store.get(pairing.pairing_id) == pairing  # compact, and lossless
    await store.create(make_pairing(clock, 2), caps)  # the zsets are shared; count a half
    per_pairing = sum(
        [
            await raw.memory_usage("awl:p:7Hq2kXbM4vNcQ8rT") or 0,
            await raw.memory_usage(f"awl:c:{pairing.user_code}") or 0,
            await raw.memory_usage(f"awl:s:{pairing.state}") or 0,
            (await raw.memory_usage("awl:pend") or 0) // 2,
            (await raw.memory_usage("awl:pc:client:203.0.113.7") or 0) // 2,
            await raw.memory_usage("awl:ps:7Hq2kXbM4vNcQ8rT") or 0,
        ]
    )
    print(f"redis memory per pending pairing: {per_pairing} bytes")
    assert per_pairing <= 1024
    # confirmed (bound to a browser) it still fits
    binding = secrets.token_hex(32)
    assert await store.mark_confirmed(pairing.pairing_id, clock(), binding) == binding
    confirmed = await raw.memory_usage("awl:p:7Hq2kXbM4vNcQ8rT") or 0
    print(f"redis memory of a confirmed record: {confirmed} bytes")
    assert per_pairing - (await raw.memory_usage("awl:p:7Hq2kXbM4vNcQ8rT") or 0) + confirmed <= 1024


async def test_confirmations_racing_on_two_replicas_bind_one_browser(
    store: RedisPairingStore, replica_b: RedisPairingStore, clock: FakeClock
) -> None:
    for n in range(10):
        pairing = make_pairing(clock, n)
        await store.create(pairing)
        bindings = [secrets.token_hex(32) for _ in range(6)]
        held = await asyncio.gather(
            *(
                replica.mark_confirmed(pairing.pairing_id, clock(), binding)
                for replica, binding in zip((store, replica_b) * 3, bindings, strict=True)
            )
        )
        assert len(set(held)) == 1
        assert held[0] in bindings
        for replica in (store, replica_b):
            seen = await replica.get(pairing.pairing_id)
            assert seen is not None
            assert seen.binding_hash == held[0]


async def test_a_record_confirmed_before_bindings_existed_is_unbound_until_confirmed(
    store: RedisPairingStore, raw: Redis, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    record = await raw.get("awl:p:pairing00001")
    assert record is not None
    head, blank_confirmation, rest = record.split(b"\n", 2)[:2], b"", record.split(b"\n", 3)[3]
    assert record.split(b"\n")[2] == blank_confirmation
    # what an older relay wrote: confirmed_at alone
    await raw.set(
        "awl:p:pairing00001", b"\n".join([*head, repr(clock() - 3).encode(), rest]), keepttl=True
    )
    old = await store.get(pairing.pairing_id)
    assert old is not None
    assert old.confirmed_at == clock() - 3
    assert old.binding_hash is None
    binding = secrets.token_hex(32)
    assert await store.mark_confirmed(pairing.pairing_id, clock(), binding) == binding
    bound = await store.get(pairing.pairing_id)
    assert bound is not None
    assert (bound.confirmed_at, bound.binding_hash) == (clock() - 3, binding)


async def test_a_tombstone_written_before_outcomes_existed_still_reads(
    store: RedisPairingStore, raw: Redis, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    await raw.set(
        "awl:p:pairing00001",
        f'T\ncollected\n{clock()!r}\n["gpu-box-3","{pairing.user_code}","{pairing.state}"]',
        keepttl=True,
    )
    tomb = await store.gone(pairing.pairing_id)
    assert tomb is not None
    assert (tomb.reason, tomb.hostname, tomb.binding_hash, tomb.outcome) == (
        GoneReason.COLLECTED,
        "gpu-box-3",
        None,
        None,
    )
    await raw.zadd("awl:tomb", {pairing.pairing_id: clock() + 10})
    clock.advance(10)
    await store.sweep_expired()  # drops it with the keys it reserved
    assert await raw.get("awl:p:pairing00001") is None
    assert await raw.get(f"awl:c:{pairing.user_code}") is None


async def listening(raw: Redis, channel: str = "awl:wake") -> None:
    """Wait (5 s at most) until a store has subscribed to the wake channel."""
    for _ in range(100):
        counts = await raw.pubsub_numsub(channel)
        if counts and counts[0][1] > 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no store subscribed to the wake channel")


async def test_redis_outage_gives_store_errors_then_recovers_by_itself(
    store: RedisPairingStore, redis_server: RedisServer, raw: Redis, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    waiter = asyncio.create_task(store.wait_for_result(pairing.pairing_id, 10))
    # the waiter is waiting once the store listens (and has read the pairing): a fixed
    # sleep was not always enough on a loaded machine
    await listening(raw)
    await asyncio.sleep(0.1)
    redis_server.stop()
    # the waiter is woken (it would otherwise miss wake-ups) and the caller re-reads
    assert await asyncio.wait_for(waiter, 2)
    started = time.perf_counter()
    with pytest.raises(StoreError) as info:
        await store.get(pairing.pairing_id)
    assert time.perf_counter() - started < 3
    assert "127.0.0.1" not in str(info.value)
    for operation in (store.ping(), store.count_pending(), store.wait_for_result("x", 1)):
        with pytest.raises(StoreError):
            await operation
    redis_server.start()  # empty: persistence is off
    await store.ping()
    await store.create(pairing)
    waiter = asyncio.create_task(store.wait_for_result(pairing.pairing_id, 5))
    await asyncio.sleep(0.3)
    assert await store.set_result(pairing.pairing_id, COMPLETE, 120)
    assert await asyncio.wait_for(waiter, 2)
    assert await store.deliver(pairing.pairing_id, 60) == COMPLETE


async def test_many_waiters_hold_no_connection(
    store: RedisPairingStore, replica_b: RedisPairingStore, raw: Redis, clock: FakeClock
) -> None:
    pairings = [make_pairing(clock, n) for n in range(300)]
    for pairing in pairings:
        await store.create(pairing)
    # Connections other tests of this worker left closing count as well; what the
    # waiters add is measured against them.
    before = len(await raw.client_list())
    waiters = [asyncio.create_task(store.wait_for_result(p.pairing_id, 10)) for p in pairings]
    await asyncio.sleep(0.3)
    added = len(await raw.client_list()) - before
    assert added < 80  # the pool's cap, not one per waiter
    for pairing in pairings:
        await replica_b.set_result(pairing.pairing_id, COMPLETE, 120)
    assert all(await asyncio.wait_for(asyncio.gather(*waiters), 5))


async def _commands_run(raw: Redis) -> dict[str, int]:
    """Calls per Redis command so far (commands a Lua script runs are counted too)."""
    stats = await raw.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}


@pytest.mark.slow
async def test_sweep_costs_what_expired_not_what_is_stored(
    store: RedisPairingStore, raw: Redis, clock: FakeClock
) -> None:
    # In batches: 3,000 creations at once would wait on the connection pool, which is
    # not what this test measures.
    for batch in range(0, 3000, 100):
        await asyncio.gather(
            *(
                store.create(make_pairing(clock, n, ttl=600 + n % 7))
                for n in range(batch, batch + 100)
            )
        )
    before = await _commands_run(raw)
    assert await store.sweep_expired() == []
    after = await _commands_run(raw)
    # nothing expired: a look at the three time-ordered sets, no read of any pairing
    ran = {name: after[name] - before.get(name, 0) for name in after}
    assert ran.get("get", 0) == 0
    assert ran.get("zrangebyscore", 0) <= 3
    assert not {"scan", "keys", "mget"} & {name for name, calls in ran.items() if calls}
    clock.advance(603)
    expired = await store.sweep_expired()  # more than one batch of the script
    assert len(expired) == len([n for n in range(3000) if n % 7 <= 3])
    assert len({p.pairing_id for p in expired}) == len(expired)
    assert await store.count_pending() == 3000 - len(expired)


@pytest.mark.parametrize(
    "url", ["redis://:hunter2@cache:port/0", "redis://:hunter2@cache/0?socket_timeout=soon"]
)
def test_a_malformed_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ValueError, match="not a valid Redis URL") as info:
        open_store(url)
    assert "hunter2" not in str(info.value)


async def test_records_round_trip_any_text(store: RedisPairingStore, clock: FakeClock) -> None:
    state = secrets.token_urlsafe(24)
    odd = replace(
        make_pairing(clock),
        state=state,
        authorize_url=f"https://idp.example/a?xstate={state}&state={state}&n=\u00e9",
        host=replace(make_pairing(clock).host, hostname="box\n\u00e9\u2603", user='a\\b"c'),
    )
    await store.create(odd)
    assert await store.get(odd.pairing_id) == odd
    binding = hashlib.sha256(b"secret").hexdigest()
    assert await store.mark_confirmed(odd.pairing_id, clock() + 0.123456789, binding) == binding
    denied = PairingResult(ResultKind.DENIED, None, "access_denied", "line\nbreak \u00e9")
    assert await store.set_result(odd.pairing_id, denied, 120)
    live = await store.get(odd.pairing_id)
    assert live is not None
    assert live.confirmed_at == clock() + 0.123456789
    assert live.binding_hash == binding
    assert live.result == denied
    assert live.authorize_url == odd.authorize_url
    assert await store.deliver(odd.pairing_id, 60) == denied
    assert await store.acknowledge(odd.pairing_id, 120) is not None
    tomb = await store.gone(odd.pairing_id)
    assert tomb is not None
    assert tomb.reason is GoneReason.DENIED
    assert tomb.hostname == "box\n\u00e9\u2603"
    assert tomb.binding_hash == binding
    # a reported outcome keeps any text: quotes, backslashes, non-ASCII
    failed = replace(make_pairing(clock, 2), host=odd.host)
    await store.create(failed)
    await store.set_result(failed.pairing_id, COMPLETE, 120)
    outcome = Outcome(signed_in=False, reason='STS said "no" \\ \u00e9\u2603 \u2014 twice')
    assert await store.report(failed.pairing_id, outcome) is not None
    reported = await store.gone(failed.pairing_id)
    assert reported is not None
    assert (reported.reason, reported.outcome) == (GoneReason.FAILED, outcome)
