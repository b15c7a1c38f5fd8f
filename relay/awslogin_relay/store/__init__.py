"""Stores for pairings, and the factory that picks one from RELAY_STORE.

`RELAY_STORE=memory` (default) keeps everything in this process; `redis://...` (or
`redis+sentinel://...`: `awslogin_relay.redis_urls`) selects the Redis store (module `redis_store`),
which lets several relay replicas or workers share pairings, wake-ups and rate limits.
Both implement the port `awslogin_relay.domain.store.PairingStore`; only the composition
root (`awslogin_relay.app`) calls `open_store`.
"""

from __future__ import annotations

import importlib
import time

from awslogin_relay.domain.store import Now, PairingStore
from awslogin_relay.redis_urls import SCHEMES
from awslogin_relay.store.memory import MemoryPairingStore

__all__ = ["MemoryPairingStore", "open_store"]


def open_store(url: str, *, clock: Now = time.time, tombstone_ttl: float = 3600.0) -> PairingStore:
    """Build the store named by a RELAY_STORE value ("memory" or a Redis URL)."""
    if url == "memory":
        return MemoryPairingStore(clock=clock, tombstone_ttl=tombstone_ttl)
    if url.startswith(SCHEMES):
        # imported here so that the embedded default never loads the redis client
        module = importlib.import_module("awslogin_relay.store.redis_store")
        store: PairingStore = module.RedisPairingStore.from_url(
            url, clock=clock, tombstone_ttl=tombstone_ttl
        )
        return store
    raise ValueError(f"unsupported store {url.split(':', 1)[0]!r}: use 'memory' or a Redis URL")
