"""`awslogin console --remote` end to end: the real command (a subprocess, its session
from node-oidc-provider and moto STS), the relay as a process on Redis, the federation
fake, and the phone in headless Chromium whose page makes its key in WebCrypto, opens
the sealed URL and signs in at the fake, which sends it on to the AWS console (the
browser of the tests resolves no name but loopback, so the console's own address is
where the tab ends, unreached). The relay's log, its Redis and every answer it gave the
phone never hold the sign-in token: its bytes are searched for
(docs/security.md, "The console")."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis

from awslogin_protocol.sealing import HostKey, seal_to_browser
from tests.e2e.host import HostProcess
from tests.fakes.federation import FederationFake
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory
from tests.support.host import awslogin_script
from tests.support.oidc_profile import sign_in_oidc
from tests.support.phone import NUMBER_PATTERN, take_console_handover

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Response

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LANDING = "https://console.aws.amazon.com/s3/home?region=us-east-1"


@pytest.fixture
def host_env(
    cli_env: dict[str, str], oidc_provider: OidcProvider, federation_fake: FederationFake
) -> dict[str, str]:
    env = {**cli_env, **federation_fake.endpoint_env()}
    sign_in_oidc(env, oidc_provider)
    return env


def navigations(page: Page) -> list[str]:
    """The URLs this tab navigated to (requested as documents), in order."""
    seen: list[str] = []

    def keep(request: Request) -> None:
        if request.is_navigation_request():
            seen.append(request.url)

    page.on("request", keep)
    return seen


def relay_answers(page: Page, relay: str) -> list[bytes]:
    """Every body the relay sends this tab, as it arrives."""
    bodies: list[bytes] = []

    def keep(response: Response) -> None:
        if response.url.startswith(relay):
            try:
                bodies.append(response.body())
            except Exception:
                bodies.append(b"")

    page.on("response", keep)
    return bodies


def redis_contents(url: str) -> bytes:
    """Every key and value of the relay's Redis, as bytes, whatever each value's type."""
    client = redis.Redis.from_url(url)
    found: list[bytes] = []
    for key in client.scan_iter():
        found.append(key)
        kind = client.type(key)
        if kind == b"string":
            found.append(client.get(key) or b"")
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                found += [field, value]
        elif kind == b"zset":
            found += [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == b"set":
            found += list(client.smembers(key))
        elif kind == b"list":
            found += list(client.lrange(key, 0, -1))
    return b"\n".join(found)


def test_the_console_url_reaches_the_phone_sealed_and_the_relay_never_holds_it(
    host_env: dict[str, str],
    federation_fake: FederationFake,
    relay_process: RelayFactory,
    redis_server: Any,
    page: Page,
) -> None:
    relay = relay_process(
        RELAY_STORE=redis_server.url,
        RELAY_LOG_LEVEL="debug",
        RELAY_CONSOLE_ORIGINS=federation_fake.base_url,
    )
    went = navigations(page)
    answers = relay_answers(page, relay.url)
    argv = [awslogin_script(), "console", "--profile", "dev", "--remote", "--relay", relay.url]
    with HostProcess([*argv, "--no-qr", "--destination", "s3"], host_env) as host:
        link = host.wait_for(rf"^ {{6}}({re.escape(relay.url)}/p/\S+)$").group(1)
        with page.expect_request(LANDING, timeout=30_000):
            take_console_handover(page, link, int(host.wait_for(NUMBER_PATTERN).group(0)))
        assert host.wait(timeout=30) == 0, host.transcript()
    assert federation_fake.state.logins == [LANDING]  # signed in with the live token
    (signed_in,) = [url for url in went if url.startswith(federation_fake.endpoint)]
    assert went[-2:] == [signed_in, LANDING]
    assert "Sent the AWS console sign-in as arn:aws:sts::123456789012:assumed-role/dev/" in (
        host.transcript()
    )
    assert host.lines["stdout"] == []  # no URL printed

    (token,) = federation_fake.state.tokens
    credentials = federation_fake.state.sessions[-1]
    secrets = [token.encode(), token[:24].encode(), credentials.session_token.encode()]
    stored = redis_contents(redis_server.url)
    logged = relay.log_path.read_bytes()
    shown = b"\n".join(answers)
    assert b"console-" in stored  # the pairing's records are there to search
    assert b'"ready"' in shown  # and the phone got the sealed URL from the relay
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
        assert secret not in shown
    assert b"SigninToken" not in stored + logged + shown


def test_without_javascript_there_is_no_handover(
    host_env: dict[str, str],
    federation_fake: FederationFake,
    relay_process: RelayFactory,
    browser: Browser,
) -> None:
    relay = relay_process(RELAY_CONSOLE_ORIGINS=federation_fake.base_url)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        argv = [awslogin_script(), "console", "--profile", "dev", "--remote"]
        env = {**host_env, "AWSLOGIN_RELAY_URL": relay.url}
        with HostProcess([*argv, "--no-qr", "--timeout", "20"], env) as host:
            link = host.wait_for(rf"^ {{6}}({re.escape(relay.url)}/p/\S+)$").group(1)
            take_console_handover(page, link, int(host.wait_for(NUMBER_PATTERN).group(0)))
            assert "there is no handover" in page.locator("noscript").inner_text()
            host.stop()
    finally:
        context.close()
    assert federation_fake.state.sessions == []  # no sign-in token was made


def test_the_page_goes_nowhere_but_aws_sign_in(relay_process: RelayFactory, page: Page) -> None:
    """A host that seals another site's address (whoever runs it) gets no open redirect:
    the page checks what it opened against the relay's sign-in origins (invariant 5)."""
    relay = relay_process(RELAY_POLL_INTERVAL="0")
    went = navigations(page)
    key = HostKey()
    with httpx.Client(base_url=relay.url, trust_env=False, timeout=10) as host:
        created = host.post(
            "/v1/pairings",
            json={
                "authorize_url": "",
                "mode": "console",
                "public_key": key.public_key,
                "host": {"hostname": "gpu-box-3", "user": "mallory"},
            },
        ).json()
        bearer = {"Authorization": f"Bearer {created['poll_token']}"}
        take_console_handover(page, created["verification_uri_complete"], None)
        result = host.get(
            f"/v1/pairings/{created['pairing_id']}/result", params={"wait": 10}, headers=bearer
        ).json()
        browser_key = json.loads(key.open(result["sealed"], created["pairing_id"]))["browser_key"]
        elsewhere = "https://evil.example/federation?Action=login"
        sealed = seal_to_browser(elsewhere.encode(), browser_key, created["pairing_id"])
        reported = host.post(
            f"/v1/pairings/{created['pairing_id']}/outcome",
            json={"outcome": "signed_in", "sealed_console": sealed},
            headers=bearer,
        )
        assert reported.status_code == 204
    status = page.locator("#console-status")
    status.filter(has_text="another site than AWS (evil.example)").wait_for(timeout=10_000)
    assert not any("evil.example" in url for url in went)
