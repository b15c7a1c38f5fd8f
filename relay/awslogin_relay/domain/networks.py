"""Who counts as one client for the per-client limits: an address, or its network.

An IPv6 client does not have one address: a home, an office or a phone gets a whole
/64 and picks addresses from it at will (privacy extensions rotate them), so counting
full IPv6 addresses gives one client 2^64 quotas. The rate limits and the cap on
pending pairings therefore count networks: IPv6 addresses by their /64
(RELAY_IPV6_PREFIX), IPv4 addresses one by one (RELAY_IPV4_PREFIX=32; a shorter prefix
groups addresses, e.g. a provider's blocks). IPv4-mapped IPv6 addresses count as IPv4.
The audit log keeps the full address; only the limits group.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=65536)
def client_network(address: str, ipv4_prefix: int, ipv6_prefix: int) -> str:
    """The network `address` counts under: the address itself when the prefix is its
    full length, else the network in CIDR form ("2001:db8:1:2::/64"). Anything that is
    not an IP address (no peer address: "unknown") is its own group."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = ipv4_prefix if parsed.version == 4 else ipv6_prefix
    if prefix == parsed.max_prefixlen:
        return str(parsed)
    return str(ipaddress.ip_network((parsed, prefix), strict=False))
