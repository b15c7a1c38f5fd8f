"""Remote login as a person does it: host over "SSH", phone in Chromium, real IdP and STS.

No fake in the path: node-oidc-provider, moto STS behind the proxy that verifies the
ID token, `awslogin-relay` as a uvicorn process, headless Chromium, and `awslogin` as a
subprocess with no DISPLAY and no BROWSER.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e import phone
from tests.e2e.host import HostProcess, StartLogin
from tests.e2e.journey import (
    ROLE_ARN,
    SIGNED_IN_LINE,
    WAITING_LINE,
    caller_identity_with_boto3,
    read_sign_in_screen,
    sign_in_on_phone,
)
from tests.e2e.terminal_qr import decode_terminal_qr
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory, RelayServer
from tests.peers.sts import StsPeer
from tests.support.phone import continue_button

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]

ASSUMED_ROLE = re.escape(ROLE_ARN.replace(":iam:", ":sts:").replace(":role/", ":assumed-role/"))


def only_error_line(host: HostProcess) -> str:
    """The host's stderr after the sign-in screen must end in exactly one message line."""
    messages = [line for line in host.lines["stderr"] if line.startswith("awslogin:")]
    assert len(messages) == 1, host.transcript()
    assert "Traceback" not in host.transcript()
    return messages[0]


def cached_files(host_env: dict[str, str]) -> list[str]:
    cache = Path(host_env["AWSLOGIN_CACHE_DIR"])
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_happy_path_from_terminal_to_boto3(
    configured: bytes,
    start_login: StartLogin,
    host_env: dict[str, str],
    page: Page,
    oidc_provider: OidcProvider,
    sts: StsPeer,
    idp_relay_process: RelayServer,
) -> None:
    host = start_login()
    screen = read_sign_in_screen(host)
    assert screen.url.startswith(f"{idp_relay_process.url}/p/")
    # The phone's camera reads the same link from the drawn QR code.
    assert decode_terminal_qr(screen.qr_rows) == screen.url
    host.wait_for(WAITING_LINE)

    # A login name used nowhere else: STS must see exactly the person typed on the phone.
    login = "dana"
    shown = sign_in_on_phone(page, screen, oidc_provider.issuer, login=login)
    assert shown == screen.user_code
    phone.wait_for_done_page(page, idp_relay_process.url, screen.pairing_id)
    assert "code=" not in page.url
    hostname = socket.gethostname()
    # The done page never claims more than the host reported: finishing until the host
    # reports its outcome (the next test follows the switch).
    phone.expect_heading(page, finishing_or_signed_in(hostname))

    assert host.wait(timeout=30) == 0, host.transcript()
    arn = host.wait_for(SIGNED_IN_LINE, stream="stdout").group(1)
    assert re.fullmatch(rf"{ASSUMED_ROLE}/{login}", arn)
    # once the host has reported, the page names what it signed in to
    phone.expect_heading(page, f"{hostname} is signed in as dev in 123456789012")

    identity = caller_identity_with_boto3(host_env)
    assert identity["Arn"] == arn
    assert identity["Account"] == "123456789012"
    # STS was handed the IdP's signed ID token (signature, iss, aud, exp checked by the
    # proxy) for the person who signed in on the phone, once: credential_process then
    # served boto3 from the cache.
    assert [claims["sub"] for claims in sts.received] == [login]
    assert sts.received[0]["iss"] == oidc_provider.issuer
    assert sts.received[0]["aud"] == oidc_provider.client_id
    assert sts.refused == []


def finishing_or_signed_in(hostname: str) -> re.Pattern[str]:
    """What the done page may say once the host has the result: finishing, until the
    host reports (docs/protocol.md, "Outcome"); then the account and role it reported."""
    host = re.escape(hostname)
    return re.compile(rf"Finishing on {host}…|{host} is signed in as dev in 123456789012")


def test_done_page_says_finishing_until_the_host_reports(
    configured: bytes,
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
    relay_process: RelayFactory,
) -> None:
    # Short polls, so that a paused host has no long-poll waiting at the relay: the
    # browser then reaches the done page before the host has collected the result.
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=oidc_provider.issuer, RELAY_MAX_WAIT="0", RELAY_POLL_INTERVAL="0.2"
    )
    host = start_login("--relay", relay.url)
    screen = read_sign_in_screen(host)
    host.wait_for(WAITING_LINE)
    host.pause()
    try:
        sign_in_on_phone(page, screen, oidc_provider.issuer)
        phone.wait_for_done_page(page, relay.url, screen.pairing_id)
        hostname = socket.gethostname()
        phone.expect_heading(page, f"Finishing on {hostname}…")
    finally:
        host.resume()
    assert host.wait(timeout=30) == 0, host.transcript()
    phone.expect_heading(page, f"{hostname} is signed in as dev in 123456789012")


def test_deny_at_the_idp_is_a_clear_one_line_failure(
    configured: bytes,
    start_login: StartLogin,
    host_env: dict[str, str],
    page: Page,
    oidc_provider: OidcProvider,
    sts: StsPeer,
    idp_relay_process: RelayServer,
) -> None:
    host = start_login()
    screen = read_sign_in_screen(host)
    assert phone.open_pairing_page(page, screen.url) == screen.user_code
    phone.continue_to_provider(page, oidc_provider.issuer, screen.number)
    phone.deny_at_provider(page)
    phone.wait_for_done_page(page, idp_relay_process.url, screen.pairing_id)

    assert host.wait(timeout=30) == 1, host.transcript()
    assert only_error_line(host) == (
        "awslogin: sign-in was denied at the identity provider: End-User aborted interaction"
    )
    assert host.lines["stdout"] == []
    assert sts.received == []
    assert cached_files(host_env) == []


def test_phone_keeps_saying_not_completed_after_the_host_saw_the_denial(
    configured: bytes,
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
    relay_process: RelayFactory,
) -> None:
    relay = relay_process(
        RELAY_ALLOWED_ORIGINS=oidc_provider.issuer, RELAY_MAX_WAIT="0", RELAY_POLL_INTERVAL="0.2"
    )
    host = start_login("--relay", relay.url)
    screen = read_sign_in_screen(host)
    host.wait_for(WAITING_LINE)
    host.pause()
    try:
        phone.open_pairing_page(page, screen.url)
        phone.continue_to_provider(page, oidc_provider.issuer, screen.number)
        phone.deny_at_provider(page)
        phone.wait_for_done_page(page, relay.url, screen.pairing_id)
        phone.expect_heading(page, "Sign-in was not completed")
    finally:
        host.resume()
    assert host.wait(timeout=30) == 1, host.transcript()
    page.reload()
    assert phone.heading(page) == "Sign-in was not completed"


@pytest.mark.parametrize(
    ("relay_settings", "login_options", "message"),
    [
        pytest.param(
            {"RELAY_PAIRING_TTL": "30", "RELAY_RESULT_TTL": "30"},
            (),
            # The relay's clock or the host's may end the pairing first.
            r"awslogin: the pairing expired( \(or was already used\))? before sign-in "
            r"finished; run login again",
            id="relay-pairing-ttl",
        ),
        pytest.param(
            {},
            ("--timeout", "3"),
            re.escape("awslogin: sign-in did not finish within 3 s (--timeout); run login again"),
            id="host-timeout",
        ),
    ],
)
def test_nobody_signs_in_before_expiry(
    relay_settings: dict[str, str],
    login_options: tuple[str, ...],
    message: str,
    configured: bytes,
    start_login: StartLogin,
    host_env: dict[str, str],
    page: Page,
    oidc_provider: OidcProvider,
    relay_process: RelayFactory,
    sts: StsPeer,
) -> None:
    relay = relay_process(RELAY_ALLOWED_ORIGINS=oidc_provider.issuer, **relay_settings)
    host = start_login("--relay", relay.url, *login_options)
    screen = read_sign_in_screen(host)

    assert host.wait(timeout=60) == 1, host.transcript()
    assert re.fullmatch(message, only_error_line(host))
    assert host.lines["stdout"] == []
    # Nothing cached, and the config is exactly what `awslogin configure` wrote.
    assert cached_files(host_env) == []
    assert Path(host_env["AWS_CONFIG_FILE"]).read_bytes() == configured
    assert sts.received == []
    # A late phone finds no sign-in to continue.
    response = page.goto(screen.url)
    assert response is not None
    assert continue_button(page, screen.number).count() == 0
