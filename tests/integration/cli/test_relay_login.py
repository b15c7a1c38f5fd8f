"""Remote login through the real relay process, the OIDC peer and STS."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, ProviderError
from awslogin.usecases.login import LoginOptions, login
from tests.e2e.host import HostProcess
from tests.peers.oidc import OidcProvider
from tests.support.background import in_background
from tests.support.host import awslogin_script
from tests.support.oidc_profile import USER
from tests.support.phone import NUMBER_PATTERN, phone_through_relay

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Utf8Buffer(io.StringIO):
    """Captured stderr that, like a UTF-8 terminal, can show the QR code's blocks."""

    encoding = "utf-8"  # type: ignore[assignment]


class PhoneTerminal(Terminal):
    """A terminal whose printed link is 'scanned' by a phone that then signs in."""

    def __init__(self, oidc_provider: OidcProvider, *, deny: bool = False) -> None:
        super().__init__(err=Utf8Buffer(), out=io.StringIO(), stdin=io.StringIO())
        self.oidc_provider = oidc_provider
        self.deny = deny
        self.shown: list[tuple[str, str | None]] = []
        self.phone: Any = None

    def show_link(
        self,
        url: str,
        *,
        user_code: str | None = None,
        qr: bool = True,
        type_at: str | None = None,
        number: int | None = None,
    ) -> None:
        super().show_link(url, user_code=user_code, qr=qr, type_at=type_at, number=number)
        self.shown.append((url, user_code))
        self.phone = in_background(
            lambda: phone_through_relay(self.oidc_provider, url, number, deny=self.deny)
        )


@pytest.fixture
def idp_relay_process(relay_process: Any, oidc_provider: OidcProvider) -> Any:
    return relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer)


def test_remote_login_through_the_relay(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, idp_relay_process: Any
) -> None:
    terminal = PhoneTerminal(oidc_provider)
    started = time.monotonic()
    lines = login(
        LoginOptions(profile="dev", remote=True, relay=idp_relay_process.url, timeout=60),
        cli_env,
        terminal,
    )
    assert time.monotonic() - started < 20
    assert terminal.phone.errors == []
    url, user_code = terminal.shown[0]
    assert url.startswith(f"{idp_relay_process.url}/p/")
    assert user_code
    shown = terminal.err.getvalue()  # type: ignore[attr-defined]
    assert url in shown
    assert user_code in shown
    # The relay's own page for typing the code, from its discovery document.
    assert f"      or open {idp_relay_process.url}/link and type {user_code}\n" in shown
    assert "\u2588" in shown
    assert "Waiting for you to sign in..." in shown
    assert "left" in shown
    assert lines[0].startswith("Signed in as arn:aws:sts::123456789012:assumed-role/dev/")
    assert [claims["sub"] for claims in sts.received] == [USER]
    pairing_id = url.rsplit("/", 1)[1]
    status = httpx.get(f"{idp_relay_process.url}/p/{pairing_id}/status").json()["status"]
    # the host acknowledged and reported before login returned (docs/protocol.md,
    # "Delivery" and "Outcome")
    assert status == "signed_in"
    assert json.loads((Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").read_text())


def test_relay_chosen_automatically_in_an_ssh_session(
    cli_env: dict[str, str], oidc_provider: OidcProvider, idp_relay_process: Any
) -> None:
    terminal = PhoneTerminal(oidc_provider)
    env = {
        **cli_env,
        "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22",
        "AWSLOGIN_RELAY_URL": idp_relay_process.url,
    }
    lines = login(LoginOptions(profile="dev", qr=False, timeout=60), env, terminal)
    shown = terminal.err.getvalue()  # type: ignore[attr-defined]
    assert "No browser on this machine (SSH session): signing in through 127.0.0.1:" in shown
    assert "\u2588" not in shown
    assert lines[0].startswith("Signed in as")


def test_denied_at_the_idp_is_a_clear_failure(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, idp_relay_process: Any
) -> None:
    with pytest.raises(ProviderError, match="denied at the identity provider"):
        login(
            LoginOptions(profile="dev", remote=True, relay=idp_relay_process.url, timeout=60),
            cli_env,
            PhoneTerminal(oidc_provider, deny=True),
        )
    assert sts.received == []
    assert not Path(cli_env["AWSLOGIN_CACHE_DIR"]).exists()


def test_expired_pairing_is_a_clear_failure(
    cli_env: dict[str, str], oidc_provider: OidcProvider, relay_process: Any
) -> None:
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=oidc_provider.issuer, RELAY_PAIRING_TTL="30", RELAY_RESULT_TTL="30"
    )
    terminal = Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO())
    with pytest.raises(AwsloginError, match="pairing expired"):
        login(
            LoginOptions(profile="dev", remote=True, relay=relay.url, timeout=60), cli_env, terminal
        )
    assert not Path(cli_env["AWSLOGIN_CACHE_DIR"]).exists()


@pytest.mark.parametrize(
    ("signal_number", "exit_code", "said"),
    [
        (signal.SIGINT, 130, "awslogin: interrupted"),
        (signal.SIGTERM, 143, "awslogin: stopped (SIGTERM)"),
        (signal.SIGHUP, 129, "awslogin: the terminal hung up (SIGHUP)"),
    ],
    ids=["ctrl-c", "sigterm", "sighup"],
)
def test_a_stop_signal_cancels_the_pairing_and_exits_128_plus_n(
    cli_env: dict[str, str], idp_relay_process: Any, signal_number: int, exit_code: int, said: str
) -> None:
    process = subprocess.Popen(
        [
            awslogin_script(),
            "login",
            "--profile",
            "dev",
            "--remote",
            "--relay",
            idp_relay_process.url,
        ],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    url = ""
    deadline = time.monotonic() + 30
    while not url and time.monotonic() < deadline:
        line = process.stderr.readline()
        if f"{idp_relay_process.url}/p/" in line:
            url = line.strip()
    waiting = process.stderr.readline() + process.stderr.readline()
    while "Waiting" not in waiting and time.monotonic() < deadline:
        waiting = process.stderr.readline()
    assert "left" in waiting
    assert "\r" not in waiting
    process.send_signal(signal_number)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == exit_code, rest
    assert rest.strip().splitlines()[-1] == said
    assert "Traceback" not in rest
    pairing_id = url.rsplit("/", 1)[1]
    assert (
        httpx.get(f"{idp_relay_process.url}/p/{pairing_id}/status").json()["status"] == "cancelled"
    )


def test_unreachable_relay_is_one_line(cli_env: dict[str, str], free_port: int) -> None:
    done = subprocess.run(
        [
            awslogin_script(),
            "login",
            "--profile",
            "dev",
            "--remote",
            "--relay",
            f"http://127.0.0.1:{free_port}",
        ],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"awslogin: cannot reach the relay at 127.0.0.1:{free_port}: connection refused "
        "(nothing listens there); "
        "check --relay / AWSLOGIN_RELAY_URL"
    ]


@pytest.fixture
def silent_sts() -> Iterator[tuple[str, threading.Event]]:
    """An STS endpoint that takes the request and never answers: the login is stopped
    after the relay's result came, while it exchanges it."""
    listener = socket.create_server(("127.0.0.1", 0))
    reached = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                held.append(connection)
                reached.set()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", reached
    listener.close()
    for connection in held:
        connection.close()


def test_sigterm_after_the_result_came_reports_the_failure_to_the_relay(
    cli_env: dict[str, str],
    oidc_provider: OidcProvider,
    idp_relay_process: Any,
    silent_sts: tuple[str, threading.Event],
) -> None:
    sts_url, sts_reached = silent_sts
    env = {**cli_env, "AWS_ENDPOINT_URL_STS": sts_url}
    argv = [
        awslogin_script(),
        "login",
        "--profile",
        "dev",
        "--remote",
        "--relay",
        idp_relay_process.url,
    ]
    with HostProcess([*argv, "--no-qr"], env) as host:
        url = host.wait_for(rf"^ {{6}}({re.escape(idp_relay_process.url)}/p/\S+)$").group(1)
        number = int(host.wait_for(NUMBER_PATTERN).group(0))
        phone_through_relay(oidc_provider, url, number)
        assert sts_reached.wait(30), host.transcript()
        os.kill(host.pid, signal.SIGTERM)
        assert host.wait(timeout=30) == 143, host.transcript()
    assert host.lines["stderr"][-1] == "awslogin: stopped (SIGTERM)"
    pairing_id = url.rsplit("/", 1)[1]
    # The phone's page learns that this terminal could not finish, not "signed in".
    assert httpx.get(f"{idp_relay_process.url}/p/{pairing_id}/status").json()["status"] == "failed"
    assert not Path(cli_env["AWSLOGIN_CACHE_DIR"]).exists()
