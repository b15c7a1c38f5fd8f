"""RELAY_STORE's Redis URLs: the forms the relay accepts, and what a Sentinel URL names.

* ``redis://[[username]:password@]host[:port][/db]``, ``rediss://...`` (TLS),
  ``unix:///path``: one Redis server, as redis-py reads these URLs.
* ``redis+sentinel://[[username]:password@]host[:port][,host[:port]...]/service[/db]``
  ``[?sentinel_password=...]``: the sentinels (port 26379 unless given; IPv6 hosts in
  brackets) that monitor the primary under the name `service`.

Read offline and cheaply, so that `settings` refuses a bad RELAY_STORE in one line before
anything starts, and `store.redis_connect` connects by the same reading. It sits beside
`settings`, below every layer that uses it (docs/architecture.md); a refusal never
repeats the URL, which may hold a password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

SENTINEL_SCHEME = "redis+sentinel"
SCHEMES = ("redis://", "rediss://", "unix://", f"{SENTINEL_SCHEME}://")
SENTINEL_PORT = 26379
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
    from redis.asyncio.connection import parse_url  # here: the memory store never loads redis-py

    try:
        parse_url(url)
    except ValueError:
        raise _refused() from None
