"""Connections to the Redis store, from a RELAY_STORE URL: one server, or the primary
that Redis Sentinel names.

* ``redis://[[username]:password@]host[:port][/db]``, ``rediss://...`` (TLS),
  ``unix:///path``: one Redis server, as redis-py reads these URLs.
* ``redis+sentinel://[[username]:password@]host[:port][,host[:port]...]/service[/db]``
  ``[?sentinel_password=...]``: the sentinels (port 26379 unless given; IPv6 hosts in
  brackets) that monitor the primary under the name `service` (``sentinel monitor
  <service> ...``). The user and password are the Redis servers' (primary and
  replicas); `sentinel_password` is for sentinels that require one of their own
  (``requirepass`` in sentinel.conf). Each new connection asks the sentinels for the
  current primary, so after a failover the relay follows the promoted replica by itself
  (deploy/README.md, "Redis failover with Sentinel").

Commands share one bounded pool (a waiting long-poll holds no connection); wake-ups
arrive on one more connection per process that stays subscribed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.backoff import ExponentialBackoff

from awslogin_relay.store.redis_typed import new_sentinel

SENTINEL_SCHEME = "redis+sentinel"
SCHEMES = ("redis://", "rediss://", "unix://", f"{SENTINEL_SCHEME}://")
SENTINEL_PORT = 26379
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0
_FORMS = (
    "redis://[:password@]host[:port][/db], rediss://..., unix:///path, or "
    "redis+sentinel://[:password@]host[:port][,host[:port]...]/service[/db]"
)


@dataclass(frozen=True, slots=True)
class SentinelUrl:
    """A parsed ``redis+sentinel://`` URL."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a printed form
    sentinel_password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class RedisClients:
    """The store's clients: commands, the wake-up subscription, and what else to close."""

    commands: Redis
    subscriber: Redis
    others: tuple[Redis, ...] = ()  # the clients of the sentinels themselves


def _refused() -> ValueError:
    # never the URL itself: it may hold a password
    return ValueError(f"not a valid Redis URL ({_FORMS})")


def _host_port(item: str) -> tuple[str, int]:
    if item.startswith("["):  # [IPv6]:port
        host, bracket, rest = item[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _refused()
        port_text = rest[1:]
    else:
        host, _, port_text = item.partition(":")
    if not host or any(c in host for c in "/@[] "):
        raise _refused()
    if not port_text:
        return host, SENTINEL_PORT
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise _refused()
    return host, int(port_text)


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Read a ``redis+sentinel://`` URL; ValueError (naming no part of it) if malformed."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        raise _refused() from None
    if parts.scheme != SENTINEL_SCHEME or parts.fragment:
        raise _refused()
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user_text, colon, password_text = userinfo.partition(":")
        username = unquote(user_text) or None
        password = unquote(password_text) if colon else None
    sentinels = tuple(_host_port(item) for item in hosts.split(","))
    segments = parts.path.split("/")[1:]
    if not 1 <= len(segments) <= 2 or not segments[0]:
        raise _refused()
    service = unquote(segments[0])
    db_text = segments[1] if len(segments) == 2 else "0"
    if not (db_text.isascii() and db_text.isdigit()):
        raise _refused()
    # By hand, not parse_qs: a "+" in a password is a plus, not a space.
    pairs = [item.partition("=") for item in parts.query.split("&") if item]
    names = [name for name, _, _ in pairs]
    if set(names) - {"sentinel_password"} or len(names) != len(set(names)):
        raise _refused()
    sentinel_password = next((unquote(value) for _, _, value in pairs), None)
    return SentinelUrl(
        sentinels=sentinels,
        service=service,
        db=int(db_text),
        username=username,
        password=password,
        sentinel_password=sentinel_password or None,
    )


def check_url(url: str) -> None:
    """Raise ValueError, naming no part of `url` (it may hold a password), if it is not a
    URL the store can use; cheap and offline, so settings can call it before anything
    starts."""
    if url.startswith(f"{SENTINEL_SCHEME}://"):
        parse_sentinel_url(url)
        return
    if not url.startswith(SCHEMES):
        raise _refused()
    try:
        parse_url(url)
    except ValueError:
        raise _refused() from None


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
