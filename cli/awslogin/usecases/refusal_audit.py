"""Refusals in the endpoint's audit, merged, so that a flood of them cannot flood the log.

A local process can send requests without the token, or garbage, in a loop, and hold or
churn connections; one audit line each would let it fill the disk. So the refusals (the
outcomes in MERGED_OUTCOMES, all decided before the token was accepted) are merged per
client, outcome and status over a minute
(docs/security.md, "`serve` and `exec` at the edge"):

* the first refusal of a minute is written at once, as any audit line;
* the others are counted, and one line with their `count` is written when the minute
  ends, or when the endpoint stops; a minute with none left to count writes nothing and
  the next refusal starts a new minute.

A flood thus writes one line per client and minute. A process can also connect from
any address of 127.0.0.0/8: past MAX_CLIENTS clients in their minute, further ones share
one count under the client `*`. Every other outcome (`served`, `login_required`, ...)
is an authorized client's, and still gets a line of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from awslogin.adapters.credentials_endpoint import AuditSink

MERGED_OUTCOMES = frozenset({"unauthorized", "bad_request", "refused_client", "busy", "evicted"})
WINDOW_SECONDS = 60.0
MAX_CLIENTS = 64
OTHER_CLIENTS = "*"


class Timer(Protocol):
    def cancel(self) -> None: ...


# Calls a function after a delay, as the running loop's `call_later` does; tests pass
# their own to move time on without waiting for it.
Schedule = Callable[[float, Callable[[], None]], Timer]


def _call_later(delay: float, callback: Callable[[], None]) -> Timer:
    return asyncio.get_running_loop().call_later(delay, callback)


@dataclass
class _Minute:
    """The refusals of one client, outcome and status since their line was written."""

    count: int
    timer: Timer


class MergedRefusals:
    """An AuditSink in front of `sink` that merges refusals; `close()` writes what is counted."""

    def __init__(
        self,
        sink: AuditSink,
        *,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        schedule: Schedule = _call_later,
    ) -> None:
        self._sink = sink
        self._window = window_seconds
        self._schedule = schedule
        self._max_clients = max_clients
        self._minutes: dict[tuple[str, str, int], _Minute] = {}
        self._closed = False

    def __call__(
        self, client: str, outcome: str, status: int, detail: Mapping[str, str | int]
    ) -> None:
        if outcome not in MERGED_OUTCOMES or self._closed:
            self._sink(client, outcome, status, detail)
            return
        key = (client, outcome, status)
        if key not in self._minutes and self._too_many_clients(client):
            key = (OTHER_CLIENTS, outcome, status)
        minute = self._minutes.get(key)
        if minute is not None:
            minute.count += 1
            return
        self._sink(key[0], outcome, status, detail)
        self._start_minute(key)

    def close(self) -> None:
        """Write the counts of the minutes under way; later refusals get a line each."""
        self._closed = True
        for key, minute in list(self._minutes.items()):
            minute.timer.cancel()
            self._write_count(key, minute.count)
        self._minutes.clear()

    def _too_many_clients(self, client: str) -> bool:
        clients = {key[0] for key in self._minutes}
        return client not in clients and len(clients - {OTHER_CLIENTS}) >= self._max_clients

    def _start_minute(self, key: tuple[str, str, int]) -> None:
        timer = self._schedule(self._window, lambda: self._end_minute(key))
        self._minutes[key] = _Minute(count=0, timer=timer)

    def _end_minute(self, key: tuple[str, str, int]) -> None:
        minute = self._minutes.pop(key)
        if minute.count:
            self._write_count(key, minute.count)
            self._start_minute(key)  # still flooding: its next line is a minute away

    def _write_count(self, key: tuple[str, str, int], count: int) -> None:
        if count:
            client, outcome, status = key
            self._sink(client, outcome, status, {"count": count})
