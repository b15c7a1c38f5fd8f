"""The small rules of `serve` and `exec`: bind addresses, who may connect, the command's
environment, nesting, which signals are passed on, exit statuses."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from awslogin.adapters.child_process import _forward, exit_status
from awslogin.adapters.credentials_endpoint import (
    Answer,
    CredentialsEndpoint,
    endpoint_url,
    is_loopback,
    listen_host,
)
from awslogin.errors import UsageError
from awslogin.usecases.exec import (
    _refuse_nesting,
    command_environment,
    default_profile_credentials,
)

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


def test_the_commands_environment_has_nothing_that_shadows_the_endpoint() -> None:
    environ = {
        "PATH": "/bin",
        "AWS_PROFILE": "other",
        "AWS_DEFAULT_PROFILE": "other",
        "AWS_ACCESS_KEY_ID": "AKIA",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "t",
        "AWS_SECURITY_TOKEN": "t",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/f",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/w",
        "AWS_ROLE_ARN": "arn",
        "AWS_CONFIG_FILE": "/config",
        "AWS_ENDPOINT_URL_STS": "http://sts",
        # aliases that older SDKs read before the standard names
        "AWS_ACCESS_KEY": "AKIA",
        "AWS_SECRET_KEY": "s",
        "AMAZON_ACCESS_KEY_ID": "AKIA",
        "AMAZON_SECRET_ACCESS_KEY": "s",
        "AMAZON_SESSION_TOKEN": "t",
        "AWS_SESSION_EXPIRATION": "2020-01-01T00:00:00Z",
    }
    env = command_environment(environ, "dev", "eu-west-1")
    assert env == {
        "PATH": "/bin",
        "AWS_CONFIG_FILE": "/config",
        "AWS_ENDPOINT_URL_STS": "http://sts",
        "AWSLOGIN_EXEC_PROFILE": "dev",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    # A region the person chose wins over the profile's, under both names.
    chosen = command_environment({"AWS_DEFAULT_REGION": "us-west-2"}, "dev", "eu-west-1")
    assert chosen["AWS_REGION"] == chosen["AWS_DEFAULT_REGION"] == "us-west-2"


def test_nesting_another_profile_is_refused_the_same_is_not() -> None:
    _refuse_nesting("dev", {"AWSLOGIN_EXEC_PROFILE": "dev"})
    _refuse_nesting("dev", {})
    with pytest.raises(UsageError, match="already inside `awslogin exec --profile prod`"):
        _refuse_nesting("dev", {"AWSLOGIN_EXEC_PROFILE": "prod"})


def test_a_default_profile_with_credentials_is_found(tmp_path: Path) -> None:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    environ = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    assert default_profile_credentials(environ) is None
    config.write_text("[default]\nregion = eu-west-1\n[profile dev]\ncredential_process = x\n")
    assert default_profile_credentials(environ) is None
    config.write_text("[default]\ncredential_process = awslogin credential-process\n")
    assert default_profile_credentials(environ) == "credential_process"
    credentials.write_text("[default]\naws_access_key_id = AKIA\n")
    assert default_profile_credentials(environ) == "aws_access_key_id"


def siginfo(code: int, pid: int) -> signal.struct_siginfo:
    return signal.struct_siginfo((signal.SIGINT, code, 0, pid, 0, 0, 0))


def test_signals_the_terminal_or_the_command_sent_are_not_passed_on() -> None:
    child = 4242
    assert not _forward(siginfo(0x80, 0), child)  # SI_KERNEL: Ctrl-C, a hangup
    assert not _forward(siginfo(0, child), child)  # the command signalled awslogin
    assert _forward(siginfo(0, 1234), child)  # kill(awslogin) from elsewhere
    assert _forward(siginfo(-6, os.getpid()), child)  # SI_TKILL


def test_exit_statuses_are_the_shells() -> None:
    assert exit_status(7 << 8) == 7
    assert exit_status(signal.SIGTERM) == 143
    assert exit_status(signal.SIGKILL) == 137
