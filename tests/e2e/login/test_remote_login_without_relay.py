"""oidc on a host with no browser and no relay, as a person does it: the phone in Chromium.

With an IdP that offers device codes (RFC 8628), the host shows the verification link as
a QR code and the user code; the person confirms the code on the IdP's page and signs
in, and the host finds the token by polling. With an IdP that offers none, the host shows
the authorization URL itself (link and QR code) with a 127.0.0.1 redirect; the phone's
browser fails to open that address after sign-in, and the person pastes it into the
terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import phone
from tests.e2e.host import HostHome, HostProcess
from tests.e2e.journey import (
    CODE_LINE,
    PROFILE,
    SIGNED_IN_LINE,
    WAITING_LINE,
    caller_identity_with_boto3,
    configure_profile,
)
from tests.e2e.terminal_qr import decode_terminal_qr, qr_rows_after
from tests.peers import oidc as oidc_peer
from tests.peers import sts as sts_peer
from tests.peers.ci import require_peer
from tests.peers.oidc import OidcProvider
from tests.peers.sts import StsPeer
from tests.support.host import awslogin_script

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LOGIN = [awslogin_script(), "login", "--profile", PROFILE]


@pytest.fixture(scope="module")
def idp_without_device_codes(_peer_scratch: None) -> Iterator[tuple[OidcProvider, StsPeer]]:
    """A second node-oidc-provider, with device codes turned off, and an STS that trusts it."""
    require_peer(oidc_peer.available(), "node-oidc-provider (npm)")
    require_peer(sts_peer.available(), "moto[server]")
    with (
        OidcProvider(device_flow=False) as provider,
        StsPeer(
            issuer=provider.issuer, audience=provider.client_id, jwks_uri=provider.jwks_uri
        ) as sts,
    ):
        yield provider, sts


def drawn_link(host: HostProcess, pattern: str) -> str:
    """The link the host printed, after checking that its QR code reads the same."""
    link = host.wait_for(pattern)
    lines = list(host.lines["stderr"])
    assert decode_terminal_qr(qr_rows_after(lines, lines.index(link.string))) == link.group(1)
    return link.group(1)


def test_a_device_code_from_terminal_to_boto3(
    host_env: dict[str, str], page: Page, oidc_provider: OidcProvider, sts: StsPeer
) -> None:
    configure_profile(
        host_env, issuer=oidc_provider.issuer, client_id=oidc_provider.client_id, relay=None
    )
    with HostProcess(LOGIN, host_env) as host:
        host.wait_for(r"^No browser on this machine \(no display\): signing in with a device code")
        issuer = re.escape(oidc_provider.issuer)
        link = drawn_link(host, rf"^ {{6}}({issuer}/device\?user_code=\S+)$")
        user_code = host.wait_for(CODE_LINE).group(1)
        host.wait_for(WAITING_LINE)

        page.goto(link, timeout=phone.STEP_TIMEOUT_MS)
        phone.expect_heading(page, "Confirm Device")
        assert page.locator("code").inner_text().strip() == user_code
        page.get_by_role("button", name="Continue").click(timeout=phone.STEP_TIMEOUT_MS)
        page.wait_for_url(f"{oidc_provider.issuer}/interaction/**")
        phone.sign_in_at_provider(page, "gina")
        phone.expect_heading(page, "Sign-in Success")

        assert host.wait(timeout=30) == 0, host.transcript()
        arn = host.wait_for(SIGNED_IN_LINE, stream="stdout").group(1)
    assert arn.endswith(":assumed-role/dev/gina")
    assert caller_identity_with_boto3(host_env)["Arn"] == arn
    assert [claims["sub"] for claims in sts.received] == ["gina"]
    assert sts.refused == []


def test_a_device_code_aborted_on_the_phone_is_one_line(
    host_env: dict[str, str], page: Page, oidc_provider: OidcProvider
) -> None:
    configure_profile(
        host_env, issuer=oidc_provider.issuer, client_id=oidc_provider.client_id, relay=None
    )
    with HostProcess(LOGIN, host_env) as host:
        link = host.wait_for(r"^ {6}(http://\S+/device\?user_code=\S+)$").group(1)
        page.goto(link, timeout=phone.STEP_TIMEOUT_MS)
        page.get_by_role("button", name="[ Abort ]").click(timeout=phone.STEP_TIMEOUT_MS)
        expect(page.locator("body")).to_contain_text("interrupted")
        assert host.wait(timeout=30) == 1
    messages = [line for line in host.lines["stderr"] if line.startswith("awslogin:")]
    assert messages == [
        "awslogin: sign-in was denied on the verification page; run login again to retry"
    ]


def test_without_device_codes_the_address_the_phone_failed_to_open_is_pasted(
    host_home: HostHome,
    page: Page,
    idp_without_device_codes: tuple[OidcProvider, StsPeer],
) -> None:
    provider, sts = idp_without_device_codes
    env = host_home.environ(sts.endpoint_url)
    configure_profile(env, issuer=provider.issuer, client_id=provider.client_id, relay=None)
    with HostProcess(LOGIN, env, typing=True) as host:
        host.wait_for(r"^No browser on this machine \(no display\): sign in on another device\.")
        link = drawn_link(host, rf"^ {{6}}({re.escape(provider.issuer)}/auth\?\S+)$")
        prompt = host.wait_for(r"fails to open a page at (http://127\.0\.0\.1:\d+): copy the whole")

        page.goto(link, timeout=phone.STEP_TIMEOUT_MS)
        expect(page.locator("input[name=login]")).to_be_visible(timeout=phone.STEP_TIMEOUT_MS)
        # After sign-in the IdP sends the browser to 127.0.0.1 on the phone, where nothing
        # listens: the address bar keeps that address, which the person copies.
        with page.expect_request(
            lambda request: request.url.startswith(f"{prompt.group(1)}/oauth/callback?"),
            timeout=phone.STEP_TIMEOUT_MS,
        ) as redirect:
            phone.sign_in_at_provider(page, "hugo")
        failed_address = redirect.value.url
        assert "code=" in failed_address
        host.type_line(failed_address)

        assert host.wait(timeout=30) == 0, host.transcript()
        arn = host.wait_for(SIGNED_IN_LINE, stream="stdout").group(1)
    assert arn.endswith(":assumed-role/dev/hugo")
    assert [claims["sub"] for claims in sts.received] == ["hugo"]
    assert caller_identity_with_boto3(env)["Arn"] == arn
