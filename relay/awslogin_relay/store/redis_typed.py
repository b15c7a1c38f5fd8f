"""Typed entry points to the redis-py calls whose annotations change between releases.

redis-py annotates a little more of its API with each release: `Sentinel(...)` and
`PubSub.aclose()` were untyped in redis 5 and are typed in redis 8. A
``# type: ignore[no-untyped-call]`` at the call is right on one side and an "unused
ignore" error under ``mypy --strict`` on the other, so the store calls them through the
structural types below instead: mypy checks redis-py's classes against these signatures
whether redis-py annotates them or not, and the verdict does not flip with its next release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from redis.asyncio.sentinel import Sentinel


class _Closable(Protocol):
    async def aclose(self) -> None: ...


class _SentinelFactory(Protocol):
    def __call__(
        self,
        sentinels: Iterable[tuple[str, int]],
        *,
        sentinel_kwargs: Mapping[str, Any],
        **connection_kwargs: Any,
    ) -> Sentinel: ...


async def aclose(closable: _Closable) -> None:
    """`closable.aclose()` (a redis-py `PubSub`, for one)."""
    await closable.aclose()


def new_sentinel(
    sentinels: Iterable[tuple[str, int]],
    *,
    sentinel_kwargs: Mapping[str, Any],
    **connection_kwargs: Any,
) -> Sentinel:
    """redis-py's `Sentinel`: the sentinels at `sentinels`, and the options of the
    connections to the servers they name."""
    factory: _SentinelFactory = Sentinel
    return factory(sentinels, sentinel_kwargs=sentinel_kwargs, **connection_kwargs)
