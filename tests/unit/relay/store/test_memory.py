"""The memory store, on the store contract (tests/support/store_contract.py)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest

from awslogin_relay.domain.store import PairingStore
from awslogin_relay.store import MemoryPairingStore, open_store
from tests.support.fake_clock import FakeClock
from tests.support.store_contract import CONTRACT, make_pairing

pytestmark = pytest.mark.unit


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryPairingStore:
    return MemoryPairingStore(clock=clock, tombstone_ttl=3600)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda check: check.__name__)
async def test_contract(
    check: Callable[[PairingStore, FakeClock], Awaitable[None]],
    store: MemoryPairingStore,
    clock: FakeClock,
) -> None:
    await check(store, clock)


def test_memory_store_satisfies_the_protocol(store: MemoryPairingStore) -> None:
    assert isinstance(store, PairingStore)


def test_open_store_picks_memory_and_refuses_unknown_schemes_without_echoing() -> None:
    assert isinstance(open_store("memory"), MemoryPairingStore)
    with pytest.raises(ValueError, match="unsupported store 'postgres'") as info:
        open_store("postgres://user:hunter2@db/relay")
    assert "hunter2" not in str(info.value)


async def _quickest_sweep(store: MemoryPairingStore) -> float:
    """The fastest of a few sweeps that find nothing expired (the least disturbed by load)."""
    times = []
    for _ in range(7):
        started = time.perf_counter()
        assert await store.sweep_expired() == []
        times.append(time.perf_counter() - started)
    return min(times)


async def test_sweep_of_ten_thousand_pairings_is_cheap(
    store: MemoryPairingStore, clock: FakeClock
) -> None:
    few = MemoryPairingStore(clock=clock, tombstone_ttl=3600)
    for n in range(10):
        await few.create(make_pairing(clock, 20_000 + n, ttl=600))
    for n in range(10_000):
        await store.create(make_pairing(clock, n, ttl=600 + n % 7))
    # nothing expired: no scan of the store, so 10,000 pairings cost what 10 do (a scan
    # would cost about a thousand times more)
    assert await _quickest_sweep(store) < 20 * await _quickest_sweep(few)
    clock.advance(603)
    expired = await store.sweep_expired()
    assert len(expired) == len([n for n in range(10_000) if n % 7 <= 3])
    assert await store.count_pending() == 10_000 - len(expired)
