"""Connections to the Redis store, from a RELAY_STORE URL (its forms: `awslogin_relay.
redis_urls`): one server, or the primary that Redis Sentinel names.

For a ``redis+sentinel://`` URL, the user and password are the Redis servers' (primary
and replicas); `sentinel_password` is for sentinels that require one of their own
(``requirepass`` in sentinel.conf); `service` is the name they monitor the primary under
(``sentinel monitor <service> ...``). Each new connection asks the sentinels for the
current primary, so after a failover the relay follows the promoted replica by itself
(deploy/README.md, "Redis failover with Sentinel").

Commands share one bounded pool (a waiting long-poll holds no connection); wake-ups
arrive on one more connection per process that stays subscribed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.backoff import ExponentialBackoff

from awslogin_relay.redis_urls import SENTINEL_SCHEME, check_url, parse_sentinel_url
from awslogin_relay.store.redis_typed import new_sentinel

CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class RedisClients:
    """The store's clients: commands, the wake-up subscription, and what else to close."""

    commands: Redis
    subscriber: Redis
    others: tuple[Redis, ...] = ()  # the clients of the sentinels themselves


class _BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """redis-py's Sentinel pool (it asks the sentinels for the primary on each new
    connection), waiting for a free connection like `BlockingConnectionPool` instead of
    failing at the limit."""


def connect(url: str, *, max_connections: int) -> RedisClients:
    """Clients for the Redis at `url`; nothing connects until the first command."""
    check_url(url)
    retry = Retry(ExponentialBackoff(cap=0.2, base=0.05), 1)
    options: dict[str, Any] = {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "retry": retry,
        "client_name": "awslogin-relay",
    }
    # No read timeout on the subscription: a quiet one is normal; health checks find
    # dead links.
    listening: dict[str, Any] = {"socket_timeout": None, "health_check_interval": 10}
    if not url.startswith(f"{SENTINEL_SCHEME}://"):
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=COMMAND_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            **options,
        )
        return RedisClients(
            Redis(connection_pool=pool), Redis.from_url(url, **listening, **options)
        )
    parsed = parse_sentinel_url(url)
    sentinel = new_sentinel(
        list(parsed.sentinels),
        sentinel_kwargs={
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": CONNECT_TIMEOUT,
            "password": parsed.sentinel_password,
            "client_name": "awslogin-relay",
        },
        db=parsed.db,
        username=parsed.username,
        password=parsed.password,
        **options,
    )
    commands = sentinel.master_for(
        parsed.service,
        connection_pool_class=_BlockingSentinelPool,
        max_connections=max_connections,
        timeout=COMMAND_TIMEOUT,
        socket_timeout=COMMAND_TIMEOUT,
    )
    subscriber = sentinel.master_for(parsed.service, **listening)
    return RedisClients(commands, subscriber, tuple(sentinel.sentinels))
