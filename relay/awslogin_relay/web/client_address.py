"""The address a request came from, believing X-Forwarded-For only from our own proxies.

Rate limits and the audit log key on this address, so a client must not be able to
choose it: the header is read only when the TCP peer is a listed proxy, and then from
the right, skipping further listed proxies; the first other address is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.types import Scope

from awslogin_relay.settings import IPNetwork


@lru_cache(maxsize=4096)
def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def _trusted(address: str, proxies: tuple[IPNetwork, ...]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in proxies)


def client_address(scope: Scope, proxies: tuple[IPNetwork, ...]) -> str:
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = b",".join(
        value for name, value in scope["headers"] if name == b"x-forwarded-for"
    ).decode("latin-1")
    if not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    for hop in reversed(hops):
        if _parse(hop) is None:
            return peer  # a garbled chain: do not guess
        if not _trusted(hop, proxies):
            return hop
    return hops[0]
