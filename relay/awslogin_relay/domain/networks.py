"""Who counts as one client for the per-client limits: an address, or its networks.

An IPv6 client does not have one address: a home, an office or a phone gets a whole
/64 and picks addresses from it at will (privacy extensions rotate them), and whoever
holds an allocation (a /48, a /56) holds 2^16 or 2^8 such /64s. Counting full IPv6
addresses gives one client 2^64 quotas; counting only /64s still gives one allocation
thousands. So an IPv6 address counts under each of RELAY_IPV6_PREFIXES (default /64
and /48), and a request must fit every one of those networks' limits; a shorter prefix
gets a larger limit, doubled for each 8 bits it is shorter than the first (a /56 twice a
/64's, a /48 four times; docs/security.md#fair-share). IPv4 addresses count one by one
(RELAY_IPV4_PREFIX=32; a shorter prefix groups them). IPv4-mapped IPv6 addresses count
as IPv4. The audit log keeps the full address; only the limits group.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class ClientNetwork:
    """One network a request counts under: its `key` ("2001:db8:1::/48", "203.0.113.7")
    and how many times the per-client limits it may use (`scale`)."""

    key: str
    scale: int


def scale_of(prefix: int, client_prefix: int) -> int:
    """The limit multiplier of a network `prefix` bits long when the client is
    `client_prefix` bits long: doubled for each whole 8 bits shorter."""
    return 1 << max(0, (client_prefix - prefix) // 8)


def _key(parsed: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int) -> str:
    if prefix == parsed.max_prefixlen:
        return str(parsed)
    return str(ipaddress.ip_network((parsed, prefix), strict=False))


@lru_cache(maxsize=65536)
def client_networks(
    address: str, ipv4_prefix: int, ipv6_prefixes: tuple[int, ...]
) -> tuple[ClientNetwork, ...]:
    """The networks `address` counts under, the client itself first. Anything that is
    not an IP address (no peer address: "unknown") is its own group, of scale 1."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return (ClientNetwork(address, 1),)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if parsed.version == 4:
        return (ClientNetwork(_key(parsed, ipv4_prefix), 1),)
    first = ipv6_prefixes[0]
    return tuple(ClientNetwork(_key(parsed, p), scale_of(p, first)) for p in ipv6_prefixes)
