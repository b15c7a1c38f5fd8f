"""Stores for pairings: the protocol every store keeps, and a factory that picks one.

`RELAY_STORE=memory` (default) keeps everything in this process; `redis://...` selects
the Redis store (module `redis_store`, class `RedisPairingStore`, built with
``RedisPairingStore.from_url(url, clock=..., tombstone_ttl=...)``), which lets several
relay replicas or workers share pairings, wake-ups and rate limits.
"""

from __future__ import annotations

import importlib
import time

from awslogin_relay.store.base import (
    Clock,
    DuplicateKey,
    GoneReason,
    HostInfo,
    Pairing,
    PairingMode,
    PairingResult,
    PairingStore,
    RateCount,
    ResultKind,
    StoreError,
    Tombstone,
)
from awslogin_relay.store.memory import MemoryPairingStore

__all__ = [
    "Clock",
    "DuplicateKey",
    "GoneReason",
    "HostInfo",
    "MemoryPairingStore",
    "Pairing",
    "PairingMode",
    "PairingResult",
    "PairingStore",
    "RateCount",
    "ResultKind",
    "StoreError",
    "Tombstone",
    "open_store",
]


def open_store(
    url: str, *, clock: Clock = time.time, tombstone_ttl: float = 3600.0
) -> PairingStore:
    """Build the store named by a RELAY_STORE value ("memory" or a redis:// URL)."""
    if url == "memory":
        return MemoryPairingStore(clock=clock, tombstone_ttl=tombstone_ttl)
    if url.startswith(("redis://", "rediss://", "unix://")):
        # imported here so that the embedded default never loads the redis client
        module = importlib.import_module("awslogin_relay.store.redis_store")
        store: PairingStore = module.RedisPairingStore.from_url(
            url, clock=clock, tombstone_ttl=tombstone_ttl
        )
        return store
    raise ValueError(f"unsupported store {url.split(':', 1)[0]!r}: use 'memory' or a redis:// URL")
