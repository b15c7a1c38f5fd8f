"""Wake-ups across replicas: one Redis subscription per process, many local waiters.

Every script that sets, takes or cancels a result publishes the pairing id on the wake
channel; each relay process keeps one subscribed connection and sets the events of its
own waiters for that id. A waiter holds an `asyncio.Event` and nothing else (no
connection), so 10,000 waiting long-polls cost 10,000 events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from awslogin_relay.domain.store import StoreError
from awslogin_relay.store.redis_typed import aclose

_RECONNECT_DELAYS = (0.05, 0.1, 0.25, 0.5, 1.0)


class RedisWakeups:
    """The subscription to `channel`, and the events of the waiters of this process."""

    def __init__(
        self,
        subscriber: Redis,
        channel: str,
        *,
        ping: Callable[[], Awaitable[None]],
        connect_timeout: float,
    ) -> None:
        self._subscriber = subscriber
        self._channel = channel
        self._ping = ping
        self._connect_timeout = connect_timeout
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._closed = False

    def register(self, pairing_id: str) -> asyncio.Event:
        """An event that is set when the pairing's state changes (or the link drops).

        Register before reading the pairing: a wake-up published after the read cannot
        be missed then.
        """
        event = asyncio.Event()
        self._waiters.setdefault(pairing_id, set()).add(event)
        return event

    def unregister(self, pairing_id: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(pairing_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[pairing_id]

    async def ensure_subscribed(self) -> None:
        """Start the listener if needed; raise StoreError if Redis cannot be subscribed to."""
        if self._subscribed.is_set():
            return
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="awslogin-redis-wake")
        await self._ping()  # fail fast with StoreError while Redis is down
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._subscribed.wait()
        except TimeoutError:
            raise StoreError("redis store unavailable (no subscription)") from None

    async def _listen(self) -> None:
        """Keep one subscription to the wake channel, reconnecting with backoff.

        Wake-ups published while it is down are lost, so every local waiter is woken
        when it drops (a spurious wake-up only makes a re-read); waiters that arrive
        meanwhile wait for the new subscription before they read the pairing.
        """
        failures = 0
        while not self._closed:
            pubsub = self._subscriber.pubsub()
            try:
                await pubsub.subscribe(self._channel)
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
                    await aclose(pubsub)

    def _wake(self, pairing_id: str) -> None:
        for event in self._waiters.pop(pairing_id, ()):
            event.set()

    def _wake_all(self) -> None:
        waiters, self._waiters = self._waiters, {}
        for events in waiters.values():
            for event in events:
                event.set()

    async def close(self) -> None:
        """Wake every waiter, stop listening and close the subscriber connection."""
        self._closed = True
        self._wake_all()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._subscriber.aclose()
