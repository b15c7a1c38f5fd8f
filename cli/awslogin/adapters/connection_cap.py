"""How many connections the credentials endpoint holds, and which one gives way at the cap.

A local process can open connections and never send a request on them. Refusing
newcomers at a cap would let it lock out every SDK that has the right token; holding
them all would run serve out of file descriptors. So at the cap a newcomer takes the
place of the connection that has waited longest for a request head: first among those
that never completed a request (silent or slow clients), then among idle kept-alive
ones. A connection whose request is being answered never gives way; when every one is,
the newcomer is refused. This is the relay's policy (relay/awslogin_relay/edge.py,
`ConnectionGuard`; docs/security.md, "`serve` and `exec` at the edge"), kept here because
the CLI does not depend on the relay.

The cap stays below the open-file limit, leaving room for what else serve opens (the
listening socket, the audit log, a worker's pipes) and for the connections that hold a
descriptor without being counted: asyncio accepts up to ACCEPT_BATCH connections at
each turn of its loop, and a connection reaches the endpoint's handler (and the cap) a
few turns later, as an evicted one lets go of its descriptor a turn after it is
aborted. IN_FLIGHT_BATCHES of those batches are left room for. Windows has no open-file
limit for sockets (nor the `resource` module): there the cap is MAX_CONNECTIONS.
"""

from __future__ import annotations

from typing import Protocol

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

MAX_CONNECTIONS = 1024
ACCEPT_BATCH = 16
# Accepted batches not yet counted, and evicted connections not yet closed (measured:
# four to five batches under 1,100 churning clients on a loaded machine; twice that).
IN_FLIGHT_BATCHES = 8
# Descriptors serve needs besides connections: stdio, the event loop's, the listening
# socket, the audit log, a worker's pipes, with room to spare.
RESERVED_FILES = 64
MIN_CONNECTIONS = 8


class Evictable(Protocol):
    def evict(self) -> None:
        """Close at once: the cap has already counted this connection out."""


def connection_limit(open_files: int | None = None) -> int:
    """The cap for this process: MAX_CONNECTIONS, or fewer under a low open-file limit."""
    if open_files is None:
        if resource is None:
            return MAX_CONNECTIONS
        open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if resource is not None and open_files == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    room = open_files - RESERVED_FILES - IN_FLIGHT_BATCHES * ACCEPT_BATCH
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, room))


class ConnectionCap:
    """Counts connections and picks the one that gives way at `limit`.

    Only connections waiting for a request head are candidates, in two queues ordered
    by when they started waiting: `fresh` (no request completed yet) before `idle`.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self._fresh: dict[Evictable, None] = {}
        self._idle: dict[Evictable, None] = {}

    def admit(self, newcomer: Evictable) -> bool:
        """Count `newcomer` in, making room if needed; False if every connection is busy."""
        if self.open >= self.limit:
            waiting = self._fresh or self._idle
            if not waiting:
                return False
            victim = next(iter(waiting))
            self.release(victim)
            victim.evict()
        self.open += 1
        self._fresh[newcomer] = None
        return True

    def waiting(self, connection: Evictable, *, served: bool) -> None:
        """`connection` now waits for a request head; it joins the end of its queue."""
        self.busy(connection)
        (self._idle if served else self._fresh)[connection] = None

    def busy(self, connection: Evictable) -> None:
        """`connection` has a request to answer: it cannot be evicted."""
        self._fresh.pop(connection, None)
        self._idle.pop(connection, None)

    def release(self, connection: Evictable) -> None:
        """`connection` is closed (or evicted): its place is free."""
        self.busy(connection)
        self.open -= 1
