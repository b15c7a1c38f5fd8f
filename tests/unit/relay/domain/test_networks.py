"""The networks a client address counts under for the per-client limits."""

from __future__ import annotations

import pytest

from awslogin_relay.domain.networks import ClientNetwork, client_networks, scale_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("address", "v4", "v6", "networks"),
    [
        ("203.0.113.7", 32, (64, 48), [("203.0.113.7", 1)]),
        ("203.0.113.7", 24, (64, 48), [("203.0.113.0/24", 1)]),
        (
            "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
            32,
            (64, 48),
            [("2001:db8:1:2::/64", 1), ("2001:db8:1::/48", 4)],
        ),
        (
            "2001:db8:1:2::1",
            32,
            (64, 56, 48),
            [("2001:db8:1:2::/64", 1), ("2001:db8:1::/56", 2), ("2001:db8:1::/48", 4)],
        ),
        ("2001:db8:1:2::1", 32, (56,), [("2001:db8:1::/56", 1)]),
        ("2001:db8:1:2::1", 32, (128, 64), [("2001:db8:1:2::1", 1), ("2001:db8:1:2::/64", 256)]),
        ("::ffff:203.0.113.7", 32, (64, 48), [("203.0.113.7", 1)]),  # IPv4-mapped is IPv4
        ("::1", 32, (64, 48), [("::/64", 1), ("::/48", 4)]),
        ("unknown", 32, (64, 48), [("unknown", 1)]),
    ],
)
def test_client_networks(
    address: str, v4: int, v6: tuple[int, ...], networks: list[tuple[str, int]]
) -> None:
    assert client_networks(address, v4, v6) == tuple(ClientNetwork(*n) for n in networks)


@pytest.mark.parametrize(
    ("prefix", "client", "scale"), [(64, 64, 1), (60, 64, 1), (56, 64, 2), (48, 64, 4), (40, 64, 8)]
)
def test_each_8_bits_shorter_doubles_the_share(prefix: int, client: int, scale: int) -> None:
    assert scale_of(prefix, client) == scale
