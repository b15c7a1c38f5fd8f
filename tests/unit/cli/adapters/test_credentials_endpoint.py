"""The credentials endpoint of `serve` and `exec`: bind addresses, URLs, and who may connect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from awslogin.adapters.credentials_endpoint import (
    Answer,
    CredentialsEndpoint,
    endpoint_url,
    is_loopback,
    listen_host,
)
from awslogin.errors import UsageError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "bound"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1.2.3", "127.1.2.3"),
        ("localhost", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("169.254.170.2", "169.254.170.2"),
        ("169.254.170.23", "169.254.170.23"),
        ("fd00:ec2::23", "fd00:ec2::23"),
    ],
)
def test_the_sdks_addresses_are_bound(given: str, bound: str) -> None:
    assert listen_host(given) == bound


@pytest.mark.parametrize("given", ["0.0.0.0", "::", "10.0.0.1", "169.254.169.254", "fd00::1"])
def test_other_addresses_are_refused_in_one_line(given: str) -> None:
    with pytest.raises(UsageError) as refused:
        listen_host(given)
    assert refused.value.message.startswith(f"--address {given}: the AWS SDKs fetch")
    assert "\n" not in refused.value.message


def test_urls_and_loopback_clients() -> None:
    assert endpoint_url("::1", 80, "/credentials/dev") == "http://[::1]:80/credentials/dev"
    assert endpoint_url("127.0.0.1", 9911, "/x") == "http://127.0.0.1:9911/x"
    for client in ("127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"):
        assert is_loopback(client)
    for client in ("10.203.0.1", "::ffff:10.0.0.1", "fe80::1%eth0", "unknown", ""):
        assert not is_loopback(client)


class _Writer:
    """The part of asyncio.StreamWriter the endpoint uses, for a client at `peer`."""

    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str) -> Any:
        return self.peer if name == "peername" else None

    def write(self, data: bytes) -> None:
        self.written += data

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    async def wait_closed(self) -> None:
        pass


def test_a_non_loopback_client_of_a_loopback_endpoint_gets_nothing() -> None:
    audit: list[tuple[str, str, int]] = []
    asked: list[int] = []

    async def credentials() -> Answer:
        asked.append(1)
        return Answer(200, b"{}", "served")

    endpoint = CredentialsEndpoint(
        host="127.0.0.1",
        port=0,
        path="/credentials/dev",
        token="t",
        credentials=credentials,
        audit=lambda client, outcome, status, detail: audit.append((client, outcome, status)),
    )
    writer = _Writer(("10.0.0.5", 40000))

    async def connect() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(b"GET /credentials/dev HTTP/1.1\r\nHost: x\r\nAuthorization: t\r\n\r\n")
        await endpoint._connection(reader, writer)  # type: ignore[arg-type]

    asyncio.run(connect())
    assert audit == [("10.0.0.5", "refused_client", 0)]
    assert writer.written == b""
    assert writer.closed
    assert asked == []
