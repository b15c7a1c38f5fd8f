"""The client address behind proxies: X-Forwarded-For believed only from trusted ones."""

from __future__ import annotations

import pytest

from awslogin_relay.settings import Settings
from awslogin_relay.web.client_address import client_address

pytestmark = pytest.mark.unit


def _scope(peer: str, forwarded: str | None = None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (peer, 1234), "headers": headers}


PROXIES = Settings.from_env({"RELAY_TRUSTED_PROXIES": "10.0.0.0/8,127.0.0.1"}).trusted_proxies


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.9", "1.2.3.4", "198.51.100.9"),  # not a proxy: header ignored
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # spoofed left part ignored
        ("10.0.0.5", "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # chain of our proxies
        ("10.0.0.5", "garbage", "10.0.0.5"),
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "10.0.0.7, 10.0.0.9", "10.0.0.7"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    peer: str, forwarded: str | None, expected: str
) -> None:
    assert client_address(_scope(peer, forwarded), PROXIES) == expected  # type: ignore[arg-type]


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(_scope("10.0.0.5", "1.2.3.4"), ()) == "10.0.0.5"  # type: ignore[arg-type]
