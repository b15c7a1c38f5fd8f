"""The endpoint's connection cap: who gives way when a newcomer arrives at it, and how
the cap follows the open-file limit."""

from __future__ import annotations

import pytest

from awslogin.adapters.connection_cap import (
    ACCEPT_BATCH,
    IN_FLIGHT_BATCHES,
    MAX_CONNECTIONS,
    RESERVED_FILES,
    ConnectionCap,
    connection_limit,
)

pytestmark = pytest.mark.unit


class Connection:
    def __init__(self, name: str) -> None:
        self.name = name
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True


def admitted(cap: ConnectionCap, name: str) -> Connection:
    connection = Connection(name)
    assert cap.admit(connection)
    return connection


def test_below_the_cap_nobody_gives_way() -> None:
    cap = ConnectionCap(limit=3)
    connections = [admitted(cap, str(i)) for i in range(3)]
    assert cap.open == 3
    assert not any(c.evicted for c in connections)


def test_at_the_cap_the_oldest_connection_without_a_request_gives_way_first() -> None:
    cap = ConnectionCap(limit=3)
    kept_alive, silent, slow = (admitted(cap, n) for n in ("kept-alive", "silent", "slow"))
    cap.waiting(kept_alive, served=True)  # answered once, now idle: it has waited longest
    cap.waiting(silent, served=False)
    cap.waiting(slow, served=False)
    newcomer = admitted(cap, "new")
    assert silent.evicted  # never asked anything, and the oldest of those
    assert [c.evicted for c in (slow, kept_alive, newcomer)] == [False, False, False]
    admitted(cap, "newer")
    assert slow.evicted
    admitted(cap, "newest")
    assert newcomer.evicted  # the newcomers never sent a head either: they go first
    assert not kept_alive.evicted
    assert cap.open == 3


def test_an_idle_kept_alive_connection_gives_way_when_no_silent_one_is_left() -> None:
    cap = ConnectionCap(limit=2)
    answering, kept_alive = admitted(cap, "answering"), admitted(cap, "kept-alive")
    cap.busy(answering)
    cap.waiting(kept_alive, served=True)
    admitted(cap, "new")
    assert kept_alive.evicted
    assert not answering.evicted


def test_connections_being_answered_never_give_way_the_newcomer_is_refused() -> None:
    cap = ConnectionCap(limit=2)
    answering = [admitted(cap, f"request{i}") for i in range(2)]
    for connection in answering:
        cap.busy(connection)
    assert not cap.admit(Connection("late"))
    assert cap.open == 2
    assert not any(c.evicted for c in answering)


def test_a_closed_connection_frees_its_place() -> None:
    cap = ConnectionCap(limit=2)
    first, second = admitted(cap, "a"), admitted(cap, "b")
    cap.release(first)
    third = admitted(cap, "c")
    assert cap.open == 2
    assert not any(c.evicted for c in (first, second, third))


@pytest.mark.parametrize(
    ("open_files", "cap"),
    [
        (20000, MAX_CONNECTIONS),  # plenty of files: the endpoint's own cap
        # room for serve's own files and for the connections not yet counted
        (1024, 1024 - RESERVED_FILES - IN_FLIGHT_BATCHES * ACCEPT_BATCH),
        (256, 256 - RESERVED_FILES - IN_FLIGHT_BATCHES * ACCEPT_BATCH),
        (100, 8),  # absurdly low: a few connections all the same
    ],
)
def test_the_cap_stays_below_the_open_file_limit(open_files: int, cap: int) -> None:
    assert connection_limit(open_files) == cap
    assert connection_limit(open_files) + RESERVED_FILES <= max(open_files, 100)
