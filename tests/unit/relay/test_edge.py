"""The connection cap: who gives way when a new connection arrives at it."""

from __future__ import annotations

import pytest

from awslogin_relay.edge import ConnectionGuard

pytestmark = pytest.mark.unit


class Connection:
    def __init__(self, name: str, guard: ConnectionGuard) -> None:
        self.name = name
        self.evicted = False
        assert guard.admit(self)

    def evict(self) -> None:
        self.evicted = True


def test_below_the_cap_nobody_gives_way() -> None:
    guard = ConnectionGuard(limit=3)
    connections = [Connection(str(i), guard) for i in range(3)]
    assert guard.open == 3
    assert not any(c.evicted for c in connections)


def test_at_the_cap_the_longest_waiting_fresh_connection_gives_way_first() -> None:
    guard = ConnectionGuard(limit=3)
    kept_alive, slow, slower = (Connection(n, guard) for n in ("idle", "slow", "slower"))
    guard.waiting(kept_alive, served=True)  # served a request, now idle: waits longest
    guard.waiting(slower, served=False)
    guard.waiting(slow, served=False)
    newcomer = Connection("new", guard)
    assert slower.evicted  # fresh before idle, the oldest fresh first
    assert [c.evicted for c in (slow, kept_alive, newcomer)] == [False, False, False]
    assert guard.open == 3
    Connection("newer", guard)
    assert slow.evicted
    Connection("newest", guard)
    assert kept_alive.evicted  # no fresh one left: the idle one goes
    assert guard.open == 3


def test_connections_being_answered_never_give_way() -> None:
    guard = ConnectionGuard(limit=2)
    polls = [Connection(f"poll{i}", guard) for i in range(2)]
    for poll in polls:
        guard.busy(poll)  # a long-poll waiting for its answer
    newcomer = Connection.__new__(Connection)
    newcomer.evicted = False
    assert not guard.admit(newcomer)
    assert guard.open == 2
    assert not any(p.evicted for p in polls)


def test_a_closed_connection_frees_its_place() -> None:
    guard = ConnectionGuard(limit=2)
    first, second = Connection("a", guard), Connection("b", guard)
    guard.busy(first)
    guard.busy(second)
    guard.release(first)
    third = Connection("c", guard)
    assert guard.open == 2
    assert [second.evicted, third.evicted] == [False, False]


def test_evictions_keep_the_count_exact() -> None:
    guard = ConnectionGuard(limit=5)
    for i in range(100):
        connection = Connection(str(i), guard)
        guard.waiting(connection, served=False)
        assert guard.open <= 5
    assert guard.open == 5
