"""Behaviour every PairingStore must keep, written once for all implementations.

A test module for a store imports these functions and provides two fixtures: `store`
(a fresh, empty store built with the `clock` fixture and tombstone_ttl=3600) and `clock`
(a FakeClock). The Redis store's tests reuse this module.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from awslogin_protocol.messages import DENIED_ON_PAGE, WRONG_NUMBER, PairingMode
from awslogin_relay.domain.pairing import (
    ConfirmedBy,
    GoneReason,
    HostInfo,
    Outcome,
    Pairing,
    PairingResult,
    ResultKind,
    Stage,
)
from awslogin_relay.domain.store import (
    DuplicateKey,
    PairingStore,
    PendingCapReached,
    PendingCaps,
    PendingShare,
)
from tests.support.fake_clock import FakeClock

COMPLETE = PairingResult(kind=ResultKind.COMPLETE, sealed="c2VhbGVk")
DENIED = PairingResult(kind=ResultKind.DENIED, error="access_denied", error_description="no")
SIGNED_IN = Outcome(signed_in=True, account_id="123456789012", role="dev")
FAILED = Outcome(signed_in=False, reason="STS refused the identity token: check the trust policy")
RESULT_TTL = 120
REDELIVERY_TTL = 60

# A waiter's wait below is 5 s: one that returns sooner than this was woken, not timed
# out. A wake comes at once; a loaded machine (Redis, and the test, on two shared cores)
# may take a second or more to deliver it.
WOKEN_WITHIN = 4.0


def make_pairing(clock: FakeClock, n: int = 1, ttl: float = 600.0) -> Pairing:
    return Pairing(
        pairing_id=f"pairing{n:05d}",
        user_code=f"BCDF{n:04d}",
        state=f"state-{n:05d}-abcdefghijklmnopqrstuvwxyz",
        mode=PairingMode.REDIRECT,
        authorize_url="https://idp.example/authorize?x=1",
        public_key="pk",
        poll_token_hash="ab" * 32,
        host=HostInfo(
            "gpu-box-3", "alice", "awslogin/0.1", "10.0.4.7", "awslogin/0.1", "dev in account 123"
        ),
        created_at=clock(),
        expires_at=clock() + ttl,
    )


async def check_create_get_and_lookups(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert await store.get(pairing.pairing_id) == pairing
    assert await store.find_by_user_code(pairing.user_code) == pairing.pairing_id
    assert await store.find_by_state(pairing.state) == pairing.pairing_id
    assert await store.get("unknown") is None
    assert await store.gone("unknown") is None
    assert await store.find_by_state("nope") is None
    assert await store.count_pending() == 1


async def check_duplicates_are_refused(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    for field, clash in [
        ("pairing_id", replace(make_pairing(clock, 2), pairing_id=pairing.pairing_id)),
        ("user_code", replace(make_pairing(clock, 3), user_code=pairing.user_code)),
        ("state", replace(make_pairing(clock, 4), state=pairing.state)),
    ]:
        with pytest.raises(DuplicateKey) as info:
            await store.create(clash)
        assert info.value.field == field
    # a tombstone keeps the keys reserved
    assert await store.cancel(pairing.pairing_id)
    with pytest.raises(DuplicateKey):
        await store.create(replace(make_pairing(clock, 5), state=pairing.state))
    assert await store.count_pending() == 0


async def check_result_is_set_once_and_delivered_until_acknowledged(
    store: PairingStore, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) is None  # pending
    assert await store.set_result(pairing.pairing_id, COMPLETE, RESULT_TTL)
    assert not await store.set_result(pairing.pairing_id, DENIED, RESULT_TTL)
    assert await store.count_pending() == 0
    live = await store.get(pairing.pairing_id)
    assert live is not None
    assert live.result == COMPLETE
    assert live.stage is Stage.AUTHORIZED
    assert live.expires_at == clock() + RESULT_TTL  # an uncollected result expires sooner
    # every delivery, concurrent or not, gets the same result until it is acknowledged
    takers = await asyncio.gather(
        *(store.deliver(pairing.pairing_id, REDELIVERY_TTL) for _ in range(20))
    )
    assert takers == [COMPLETE] * 20
    clock.advance(5)
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) == COMPLETE
    before = await store.acknowledge(pairing.pairing_id, RESULT_TTL)
    assert before is not None
    assert before.result == COMPLETE  # as it was: the caller learns it acknowledged now
    assert not before.acknowledged
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) is None
    assert await store.get("unknown") is None
    assert await store.deliver("unknown", REDELIVERY_TTL) is None


async def check_acknowledge_drops_the_sealed_result(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A) == BINDING_A
    # pending: nothing to acknowledge, nothing changes
    still = await store.acknowledge(pairing.pairing_id, RESULT_TTL)
    assert still is not None
    assert still.stage is Stage.PENDING
    assert (await store.get(pairing.pairing_id)).stage is Stage.PENDING  # type: ignore[union-attr]
    assert await store.set_result(pairing.pairing_id, COMPLETE, RESULT_TTL)
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) == COMPLETE
    clock.advance(10)
    await store.acknowledge(pairing.pairing_id, RESULT_TTL)
    finishing = await store.get(pairing.pairing_id)
    assert finishing is not None
    assert finishing.stage is Stage.FINISHING
    assert finishing.acknowledged
    assert finishing.result == PairingResult(kind=ResultKind.COMPLETE)  # no sealed blob
    assert "c2VhbGVk" not in repr(finishing)
    assert finishing.binding_hash == BINDING_A
    # a finishing pairing lives RESULT_TTL from its acknowledgement, beyond the window
    assert finishing.expires_at == clock() + RESULT_TTL
    # acknowledging again is harmless and moves nothing
    clock.advance(30)
    again = await store.acknowledge(pairing.pairing_id, RESULT_TTL)
    assert again is not None
    assert again.acknowledged
    assert (await store.get(pairing.pairing_id)) == finishing
    # without an outcome it expires, and its tombstone still knows the browser
    clock.advance(RESULT_TTL - 30)
    assert await store.get(pairing.pairing_id) is None
    assert [p.pairing_id for p in await store.sweep_expired()] == [pairing.pairing_id]
    tomb = await store.gone(pairing.pairing_id)
    assert tomb is not None
    assert tomb.reason is GoneReason.EXPIRED
    assert tomb.binding_hash == BINDING_A
    assert tomb.outcome is None
    assert await store.acknowledge(pairing.pairing_id, RESULT_TTL) is None


async def check_concurrent_acknowledgements_make_one_transition(
    store: PairingStore, clock: FakeClock
) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert await store.set_result(pairing.pairing_id, COMPLETE, RESULT_TTL)
    befores = await asyncio.gather(
        *(store.acknowledge(pairing.pairing_id, RESULT_TTL) for _ in range(20))
    )
    assert all(before is not None for before in befores)
    assert sum(not before.acknowledged for before in befores if before) == 1


async def check_redelivery_window(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert await store.set_result(pairing.pairing_id, COMPLETE, RESULT_TTL)
    clock.advance(10)
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) == COMPLETE
    window_end = clock() + REDELIVERY_TTL
    assert (await store.get(pairing.pairing_id)).expires_at == window_end  # type: ignore[union-attr]
    clock.advance(REDELIVERY_TTL - 1)
    # redeliveries never move the end of the window
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) == COMPLETE
    assert (await store.get(pairing.pairing_id)).expires_at == window_end  # type: ignore[union-attr]
    clock.advance(1)
    # the window ended without an acknowledgement: the pairing expired, with its result
    assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) is None
    assert await store.acknowledge(pairing.pairing_id, RESULT_TTL) is None
    assert await store.get(pairing.pairing_id) is None
    tomb = await store.gone(pairing.pairing_id)
    assert tomb is not None
    assert tomb.reason is GoneReason.EXPIRED
    assert [p.pairing_id for p in await store.sweep_expired()] == [pairing.pairing_id]
    # the window never reaches past RESULT_TTL after the result, nor the pairing's expiry
    late = make_pairing(clock, 2)
    await store.create(late)
    assert await store.set_result(late.pairing_id, COMPLETE, RESULT_TTL)
    clock.advance(RESULT_TTL - 20)
    assert await store.deliver(late.pairing_id, REDELIVERY_TTL) == COMPLETE
    assert (await store.get(late.pairing_id)).expires_at == clock() + 20  # type: ignore[union-attr]
    short = make_pairing(clock, 3, ttl=30)
    await store.create(short)
    assert await store.set_result(short.pairing_id, COMPLETE, RESULT_TTL)
    assert await store.deliver(short.pairing_id, REDELIVERY_TTL) == COMPLETE
    assert (await store.get(short.pairing_id)).expires_at == short.expires_at  # type: ignore[union-attr]


async def check_outcome_is_reported_once_and_kept(store: PairingStore, clock: FakeClock) -> None:
    signed, failed = make_pairing(clock, 1), make_pairing(clock, 2)
    for pairing in (signed, failed):
        await store.create(pairing)
        assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A)
        # no outcome before there is a result: nothing changes
        pending = await store.report(pairing.pairing_id, SIGNED_IN)
        assert pending is not None
        assert pending.stage is Stage.PENDING
        assert (await store.get(pairing.pairing_id)) is not None
        assert await store.set_result(pairing.pairing_id, COMPLETE, RESULT_TTL)
    # from finishing (acknowledged) and straight from authorized (the report implies it)
    await store.acknowledge(signed.pairing_id, RESULT_TTL)
    clock.advance(3)
    reports = await asyncio.gather(*(store.report(signed.pairing_id, SIGNED_IN) for _ in range(10)))
    assert len([before for before in reports if before is not None]) == 1
    before = await store.report(failed.pairing_id, FAILED)
    assert before is not None
    assert before.stage is Stage.AUTHORIZED
    assert await store.report(failed.pairing_id, SIGNED_IN) is None  # once only
    for pairing, reason, outcome in (
        (signed, GoneReason.SIGNED_IN, SIGNED_IN),
        (failed, GoneReason.FAILED, FAILED),
    ):
        assert await store.get(pairing.pairing_id) is None
        assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) is None
        assert await store.acknowledge(pairing.pairing_id, RESULT_TTL) is None
        tomb = await store.gone(pairing.pairing_id)
        assert tomb is not None
        assert (tomb.reason, tomb.outcome, tomb.binding_hash) == (reason, outcome, BINDING_A)
        assert tomb.hostname == "gpu-box-3"
        assert tomb.gone_at == clock()
    assert await store.sweep_expired() == []  # reported, not expired
    # kept for the tombstone's lifetime, then forgotten with the keys it reserved
    clock.advance(3599)
    assert (await store.gone(signed.pairing_id)) is not None
    clock.advance(1)
    await store.sweep_expired()
    assert await store.gone(signed.pairing_id) is None
    assert await store.find_by_user_code(signed.user_code) is None
    assert await store.report("unknown", SIGNED_IN) is None


async def check_a_refusal_ends_as_denied(store: PairingStore, clock: FakeClock) -> None:
    """Acknowledged, reported on or cancelled, a refusal stays a refusal on the pages."""
    pairings = [make_pairing(clock, n) for n in range(3)]
    for pairing in pairings:
        await store.create(pairing)
        await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A)
        assert await store.set_result(pairing.pairing_id, DENIED, RESULT_TTL)
        assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) == DENIED  # again
        assert await store.deliver(pairing.pairing_id, REDELIVERY_TTL) == DENIED
    acked, reported, cancelled = (p.pairing_id for p in pairings)
    before = await store.acknowledge(acked, RESULT_TTL)
    assert before is not None
    assert before.result == DENIED
    assert (await store.report(reported, SIGNED_IN)) is not None
    assert await store.cancel(cancelled)
    for pairing_id in (acked, reported, cancelled):
        assert await store.get(pairing_id) is None
        tomb = await store.gone(pairing_id)
        assert tomb is not None
        assert (tomb.reason, tomb.outcome, tomb.binding_hash) == (
            GoneReason.DENIED,
            None,
            BINDING_A,
        )


async def check_expiry_and_tombstones(store: PairingStore, clock: FakeClock) -> None:
    first, second = make_pairing(clock, 1, ttl=600), make_pairing(clock, 2, ttl=900)
    await store.create(first)
    await store.create(second)
    clock.advance(600)
    # expired even before any sweep, and no longer counted as waiting
    assert await store.count_pending() == 1
    assert await store.get(first.pairing_id) is None
    assert not await store.set_result(first.pairing_id, COMPLETE, 120)
    tomb = await store.gone(first.pairing_id)
    assert tomb is not None
    assert tomb.reason is GoneReason.EXPIRED
    expired = await store.sweep_expired()
    assert [p.pairing_id for p in expired] == [first.pairing_id]
    assert await store.sweep_expired() == []  # reported once
    assert await store.count_pending() == 1
    # a result shortens the second one's life
    assert await store.set_result(second.pairing_id, COMPLETE, 120)
    clock.advance(121)
    assert [p.pairing_id for p in await store.sweep_expired()] == [second.pairing_id]
    assert await store.deliver(second.pairing_id, REDELIVERY_TTL) is None
    # tombstones go after their TTL, and free the keys
    clock.advance(3600)
    await store.sweep_expired()
    assert await store.gone(first.pairing_id) is None
    assert await store.find_by_state(first.state) is None
    assert await store.find_by_user_code(first.user_code) is None
    await store.create(first)


BINDING_A = "a1" * 32  # hex SHA-256 of a binding secret, as the service stores them
BINDING_B = "b2" * 32


async def check_confirm_binds_first_browser(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert (await store.get(pairing.pairing_id)).binding_hash is None  # type: ignore[union-attr]
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A) == BINDING_A
    clock.advance(5)
    # a second confirmation never replaces the binding: it learns the one that holds
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_B) == BINDING_A
    live = await store.get(pairing.pairing_id)
    assert live is not None
    assert live.confirmed_at == clock() - 5
    assert live.binding_hash == BINDING_A
    # the binding survives setting the result, and confirming ends with the pairing
    await store.set_result(pairing.pairing_id, DENIED, 120)
    done = await store.get(pairing.pairing_id)
    assert done is not None
    assert done.binding_hash == BINDING_A
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_B) is None
    assert await store.mark_confirmed("unknown", clock(), BINDING_B) is None
    expiring = make_pairing(clock, 2, ttl=10)
    await store.create(expiring)
    clock.advance(11)
    assert await store.mark_confirmed(expiring.pairing_id, clock(), BINDING_B) is None


async def check_concurrent_confirmations_bind_once(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    bindings = [f"{n:02x}" * 32 for n in range(20)]
    held = await asyncio.gather(
        *(store.mark_confirmed(pairing.pairing_id, clock(), b) for b in bindings)
    )
    assert len(set(held)) == 1
    assert held[0] in bindings
    live = await store.get(pairing.pairing_id)
    assert live is not None
    assert live.binding_hash == held[0]


async def check_numbers_and_the_confirmer_are_kept(store: PairingStore, clock: FakeClock) -> None:
    pairing = replace(make_pairing(clock), match_number=42, match_choices=(17, 42, 88))
    await store.create(pairing)
    live = await store.get(pairing.pairing_id)
    assert live is not None
    assert (live.match_number, live.match_choices) == (42, (17, 42, 88))
    assert live.confirmed_by is None
    waiter = asyncio.create_task(store.wait_for_result(pairing.pairing_id, 5))
    await asyncio.sleep(0.02)
    # who confirmed: odd text too (a store writes it as it is; the service cleans it)
    by = ConfirmedBy("2001:db8::9", 'Safari on iPhone \n"\u202e')
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A, by) == BINDING_A
    assert await asyncio.wait_for(waiter, WOKEN_WITHIN)  # a confirmation wakes the waiting host
    live = await store.get(pairing.pairing_id)
    assert live is not None
    assert live.confirmed_by == by
    assert live.binding_hash == BINDING_A
    # a second confirmation changes neither the binding nor who confirmed
    other = ConfirmedBy("198.51.100.1", "Firefox on Linux")
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_B, other) == BINDING_A
    await store.set_result(pairing.pairing_id, COMPLETE, 120)
    kept = await store.get(pairing.pairing_id)
    assert kept is not None
    assert (kept.confirmed_by, kept.match_number) == (by, 42)


async def check_the_relays_denials_keep_their_names(store: PairingStore, clock: FakeClock) -> None:
    """A wrong number and "not me" on the page end as themselves, however the host
    takes the denial (acknowledged, reported, cancelled): the pages say what happened."""
    n = 0
    for error, reason in (
        (WRONG_NUMBER, GoneReason.WRONG_NUMBER),
        (DENIED_ON_PAGE, GoneReason.DENIED_ON_PAGE),
    ):
        denial = PairingResult(kind=ResultKind.DENIED, error=error, error_description="x")
        ended = []
        for end in ("acknowledge", "report", "cancel"):
            n += 1
            pairing = make_pairing(clock, n)
            await store.create(pairing)
            assert await store.set_result(pairing.pairing_id, denial, 120)
            if end == "acknowledge":
                await store.acknowledge(pairing.pairing_id, 120)
            elif end == "report":
                await store.report(pairing.pairing_id, FAILED)
            else:
                await store.cancel(pairing.pairing_id)
            tomb = await store.gone(pairing.pairing_id)
            assert tomb is not None
            ended.append(tomb.reason)
        assert ended == [reason] * 3, error
    # the provider's own denial still ends as DENIED
    denied = make_pairing(clock, 9)
    await store.create(denied)
    await store.set_result(denied.pairing_id, DENIED, 120)
    await store.acknowledge(denied.pairing_id, 120)
    tomb = await store.gone(denied.pairing_id)
    assert tomb is not None
    assert tomb.reason is GoneReason.DENIED


async def check_wait_wakes_fast(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert not await store.wait_for_result(pairing.pairing_id, 0.05)  # timeout
    waiters = [asyncio.create_task(store.wait_for_result(pairing.pairing_id, 5)) for _ in range(3)]
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    assert await store.set_result(pairing.pairing_id, COMPLETE, 120)
    assert await asyncio.gather(*waiters) == [True, True, True]
    # woken by the event, not a poll (latency itself: bench/relay_bench.py)
    assert time.perf_counter() - started < 0.5
    # no waiting once a result is there, nor for an unknown pairing
    assert await store.wait_for_result(pairing.pairing_id, 5)
    assert await store.wait_for_result("unknown", 5)


async def check_cancel_wakes(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    waiter = asyncio.create_task(store.wait_for_result(pairing.pairing_id, 5))
    await asyncio.sleep(0.02)
    assert await store.cancel(pairing.pairing_id)
    assert await asyncio.wait_for(waiter, WOKEN_WITHIN)
    tomb = await store.gone(pairing.pairing_id)
    assert tomb is not None
    assert tomb.reason is GoneReason.CANCELLED


async def check_begin_poll_interval(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    assert await store.begin_poll(pairing.pairing_id, 2)
    clock.advance(1)
    assert not await store.begin_poll(pairing.pairing_id, 2)
    clock.advance(1)
    assert await store.begin_poll(pairing.pairing_id, 2)
    assert await store.begin_poll("other", 2)


async def check_rate_windows(store: PairingStore, clock: FakeClock) -> None:
    clock.now = 1_800_000_000.0  # a multiple of 60
    counts = [(await store.hit_rate("create:10.0.0.1", 60)).count for _ in range(3)]
    assert counts == [1, 2, 3]
    assert (await store.hit_rate("create:10.0.0.2", 60)).count == 1
    clock.advance(15)
    hit = await store.hit_rate("create:10.0.0.1", 60)
    assert hit.count == 4
    assert hit.retry_after == pytest.approx(45)
    clock.advance(45)
    assert (await store.hit_rate("create:10.0.0.1", 60)).count == 1


async def check_token_buckets(store: PairingStore, clock: FakeClock) -> None:
    """Capacity 3, one token per 2 seconds: a full bucket gives 3 tokens, then says how
    long until the next one and takes nothing; tokens given back count again."""
    waits = [await store.draw("misses", 3, 0.5, 1) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # a new bucket starts full
    assert waits[3:] == [pytest.approx(2.0), pytest.approx(2.0)]  # refusals take nothing
    assert await store.draw("other", 3, 0.5, 1) == 0.0  # buckets are separate
    clock.advance(1.5)
    assert await store.draw("misses", 3, 0.5, 1) == pytest.approx(0.5)
    clock.advance(0.5)
    assert await store.draw("misses", 3, 0.5, 1) == 0.0
    assert await store.draw("misses", 3, 0.5, 1) == pytest.approx(2.0)
    assert await store.draw("misses", 3, 0.5, -1) == 0.0  # given back
    assert await store.draw("misses", 3, 0.5, 1) == 0.0
    clock.advance(600)  # refills up to its capacity, no further
    await store.sweep_expired()
    assert await store.draw("misses", 3, 0.5, -5) == 0.0
    waits = [await store.draw("misses", 3, 0.5, 1) for _ in range(4)]
    assert waits == [0.0, 0.0, 0.0, pytest.approx(2.0)]


async def check_concurrent_draws_take_each_token_once(
    store: PairingStore, clock: FakeClock
) -> None:
    waits = await asyncio.gather(*(store.draw("misses", 5, 0.1, 1) for _ in range(20)))
    assert sum(wait == 0.0 for wait in waits) == 5


CLIENT_A = PendingShare("client:10.0.4.7", 2)
CLIENT_B = PendingShare("client:2001:db8:1:2::/64", 2)
TOKEN = PendingShare("token:1f2e3d4c5b6a7988", 3)


async def check_caps_refuse_and_store_nothing(store: PairingStore, clock: FakeClock) -> None:
    caps_a = PendingCaps(total=4, shares=(CLIENT_A, TOKEN))
    await store.create(make_pairing(clock, 1), caps_a)
    clock.advance(10)
    await store.create(make_pairing(clock, 2, ttl=300), caps_a)
    refused = make_pairing(clock, 3)
    with pytest.raises(PendingCapReached) as info:
        await store.create(refused, caps_a)
    assert info.value.share == CLIENT_A
    assert info.value.retry_after == pytest.approx(300)  # when pairing 2 expires
    assert await store.get(refused.pairing_id) is None
    assert await store.find_by_state(refused.state) is None
    assert await store.count_pending() == 2
    # another client has a share of its own; the token's share counts both
    caps_b = PendingCaps(total=4, shares=(CLIENT_B, TOKEN))
    await store.create(make_pairing(clock, 4), caps_b)
    with pytest.raises(PendingCapReached) as info:
        await store.create(make_pairing(clock, 5), caps_b)
    assert info.value.share == TOKEN
    # without a token, B has room, until the total: pairings made without caps count there
    await store.create(make_pairing(clock, 6))
    with pytest.raises(PendingCapReached) as info:
        await store.create(make_pairing(clock, 7), PendingCaps(total=4, shares=(CLIENT_B,)))
    assert info.value.share is None
    assert await store.count_pending() == 4


async def check_caps_count_only_pending_pairings(store: PairingStore, clock: FakeClock) -> None:
    caps = PendingCaps(total=100, shares=(CLIENT_A,))
    first, second = make_pairing(clock, 1, ttl=60), make_pairing(clock, 2)
    await store.create(first, caps)
    await store.create(second, caps)
    # a result frees a slot, and so does an end
    assert await store.set_result(second.pairing_id, COMPLETE, 120)
    third = make_pairing(clock, 3)
    await store.create(third, caps)
    with pytest.raises(PendingCapReached):
        await store.create(make_pairing(clock, 4), caps)
    assert await store.cancel(third.pairing_id)
    await store.create(make_pairing(clock, 5), caps)
    with pytest.raises(PendingCapReached):
        await store.create(make_pairing(clock, 6), caps)
    # expiry frees a slot even before a sweep has run
    clock.advance(61)
    await store.create(make_pairing(clock, 7), caps)
    with pytest.raises(PendingCapReached):
        await store.create(make_pairing(clock, 8), caps)
    # and the total counts no expired pairing either
    clock.advance(600)
    full = PendingCaps(total=2, shares=(CLIENT_B,))
    await store.create(make_pairing(clock, 9), full)
    await store.create(make_pairing(clock, 10), full)


async def check_concurrent_creations_respect_the_caps(
    store: PairingStore, clock: FakeClock
) -> None:
    caps = PendingCaps(total=5, shares=(PendingShare("client:10.0.4.9", 3),))

    async def attempt(n: int) -> bool:
        try:
            await store.create(make_pairing(clock, n), caps)
        except PendingCapReached:
            return False
        return True

    created = await asyncio.gather(*(attempt(n) for n in range(20)))
    assert sum(created) == 3
    others = PendingCaps(total=5, shares=(PendingShare("client:10.0.4.10", 3),))
    more = await asyncio.gather(
        *(store.create(make_pairing(clock, 100 + n), others) for n in range(4)),
        return_exceptions=True,
    )
    assert sum(1 for outcome in more if outcome is None) == 2  # the total is reached
    assert await store.count_pending() == 5


async def check_ping_and_close(store: PairingStore, clock: FakeClock) -> None:
    pairing = make_pairing(clock)
    await store.create(pairing)
    await store.ping()
    waiter = asyncio.create_task(store.wait_for_result(pairing.pairing_id, 5))
    await asyncio.sleep(0.02)
    await store.close()
    await asyncio.wait_for(waiter, WOKEN_WITHIN)


async def check_a_console_pairing_keeps_its_sealed_url_with_the_outcome(
    store: PairingStore, clock: FakeClock
) -> None:
    """A console pairing (no authorize URL) is stored and read back as it is, and its
    outcome's sealed console URL stays with the tombstone
    (docs/protocol.md, "Console handover")."""
    pairing = replace(
        make_pairing(clock, 7), mode=PairingMode.CONSOLE, authorize_url="", state="console-abc" * 3
    )
    await store.create(pairing)
    stored = await store.get(pairing.pairing_id)
    assert stored is not None
    assert (stored.mode, stored.authorize_url, stored.state) == (
        PairingMode.CONSOLE,
        "",
        pairing.state,
    )
    assert await store.mark_confirmed(pairing.pairing_id, clock(), BINDING_A)
    assert await store.set_result(pairing.pairing_id, COMPLETE, RESULT_TTL)
    await store.acknowledge(pairing.pairing_id, RESULT_TTL)
    handed = replace(SIGNED_IN, sealed_console="AgAB-sealed_url")
    assert await store.report(pairing.pairing_id, handed) is not None
    tomb = await store.gone(pairing.pairing_id)
    assert tomb is not None
    assert tomb.outcome == handed


CONTRACT = [
    check_create_get_and_lookups,
    check_duplicates_are_refused,
    check_result_is_set_once_and_delivered_until_acknowledged,
    check_acknowledge_drops_the_sealed_result,
    check_concurrent_acknowledgements_make_one_transition,
    check_redelivery_window,
    check_outcome_is_reported_once_and_kept,
    check_a_console_pairing_keeps_its_sealed_url_with_the_outcome,
    check_a_refusal_ends_as_denied,
    check_expiry_and_tombstones,
    check_confirm_binds_first_browser,
    check_concurrent_confirmations_bind_once,
    check_numbers_and_the_confirmer_are_kept,
    check_the_relays_denials_keep_their_names,
    check_wait_wakes_fast,
    check_cancel_wakes,
    check_begin_poll_interval,
    check_rate_windows,
    check_token_buckets,
    check_concurrent_draws_take_each_token_once,
    check_caps_refuse_and_store_nothing,
    check_caps_count_only_pending_pairings,
    check_concurrent_creations_respect_the_caps,
    check_ping_and_close,
]
