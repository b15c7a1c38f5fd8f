"""Remote `sso` sign-in against the IAM Identity Center fake: the device code (polling at the
fake's pace, slow_down obeyed) and the relay in paste mode (the person pastes the failed
127.0.0.1 redirect URL on the relay's page)."""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError, ProviderError
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.sso import SsoFake
from tests.fakes.sso.browser import decide_device, sign_in
from tests.peers.fault_proxy import FaultProxy
from tests.support.phone import NUMBER_PATTERN, confirm
from tests.support.sso_profile import (
    botocore_credentials,
    caller,
    credential_process,
    token_path,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class FakeTimeClock:
    """Waits cost no real time: a sleep moves the fake's clock (its interval checks and
    code expiry) and this clock's monotonic time by the same amount."""

    def __init__(self, fake: SsoFake) -> None:
        self.fake = fake
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        self.fake.state.advance_clock(seconds)
        time.sleep(0.01)


class Screen(io.StringIO):
    """The terminal's stderr, readable from another thread while login writes to it."""

    encoding = "utf-8"

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.getvalue())
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{pattern!r} never appeared in:\n{self.getvalue()}")


def in_background(action: Callable[[], Any]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threading.Thread(target=run, daemon=True).start()
    return errors


def test_device_code_login_obeys_slow_down_and_serves_every_profile(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    sso_fake.state.force_device_poll_errors("slow_down", "authorization_pending")
    screen = Screen()
    clock = FakeTimeClock(sso_fake)

    def person() -> None:
        url = screen.wait_for(r"(http://127\.0\.0\.1:\d+/device\?user_code=[A-Z-]+)").group(1)
        while sso_fake.calls[f"CreateToken/{DEVICE_GRANT}"] < 3:  # let it poll a little first
            time.sleep(0.01)
        decide_device(url)

    errors = in_background(person)
    lines = login(
        LoginOptions(profile="dev", remote=True, timeout=120),
        sso_env,
        Terminal(err=screen, out=io.StringIO(), stdin=io.StringIO()),
        clock=clock,
    ).lines
    assert errors == []
    assert lines[0] == f"Signed in as {caller()}"
    # Interval 1 s; slow_down made it 6 s for the rest of the polling.
    assert clock.sleeps[:3] == [1, 6, 6]
    assert set(clock.sleeps[1:]) == {6}
    shown = screen.getvalue()
    user_code = re.search(r"user_code=([A-Z-]+)", shown)
    assert user_code is not None
    assert f"Check that the page shows this code:  {user_code.group(1)}" in shown
    assert "\u2580" in shown or "\u2584" in shown  # the QR code
    # The device client is registered as the AWS CLI registers it for device codes.
    (client,) = sso_fake.state.clients.values()
    assert client.grant_types is None
    assert client.redirect_uris == ()
    # botocore refreshes from what the device sign-in cached, and every profile works.
    token = json.loads(token_path(Path(sso_env["HOME"])).read_text())
    assert sso_fake.state.refresh_token_is_valid(token["refreshToken"])
    assert botocore_credentials(sso_env, "prod")["method"] == "sso"
    done = credential_process(sso_env, "dev-ro")
    assert done.returncode == 0, done.stderr


def test_device_code_denied_on_the_page_is_one_clear_failure(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    screen = Screen()

    def person() -> None:
        url = screen.wait_for(r"(http://127\.0\.0\.1:\d+/device\?user_code=[A-Z-]+)").group(1)
        decide_device(url, approve=False)

    errors = in_background(person)
    with pytest.raises(ProviderError, match="sign-in was denied on the verification page"):
        login(
            LoginOptions(profile="dev", remote=True, timeout=120, qr=False),
            sso_env,
            Terminal(err=screen, out=io.StringIO(), stdin=io.StringIO()),
            clock=FakeTimeClock(sso_fake),
        )
    assert errors == []
    assert not token_path(Path(sso_env["HOME"])).exists()


def test_relay_paste_mode_takes_the_failed_loopback_url(
    sso_env: dict[str, str], sso_fake: SsoFake, relay_process: Any
) -> None:
    relay = relay_process(RELAY_ALLOWED_ORIGINS=sso_fake.base_url)
    screen = Screen()

    def phone() -> None:
        link = screen.wait_for(rf"({re.escape(relay.url)}/p/[A-Za-z0-9_-]+)").group(1)
        number = int(screen.wait_for(NUMBER_PATTERN).group(0))
        with httpx.Client(follow_redirects=False, timeout=15) as browser:
            confirmed = confirm(browser, link, number)
            assert confirmed.status_code == 303
            paste_url = urljoin(link, confirmed.headers["location"])
            page = browser.get(paste_url).text
            authorize = html.unescape(re.search(r'href="([^"]+/authorize\?[^"]+)"', page).group(1))
            # IAM Identity Center sends the browser to 127.0.0.1, where nothing listens on
            # this phone: the person copies that address and pastes it on the relay page.
            failed = sign_in(authorize)
            assert failed.startswith("http://127.0.0.1:")
            pasted = browser.post(
                urljoin(link, urlsplit(link).path + "/code"), data={"code": failed}
            )
            assert pasted.status_code == 303

    errors = in_background(phone)
    lines = login(
        LoginOptions(profile="dev", remote=True, relay=relay.url, timeout=60, qr=False),
        sso_env,
        Terminal(err=screen, out=io.StringIO(), stdin=io.StringIO()),
    ).lines
    assert errors == []
    assert lines[0] == f"Signed in as {caller()}"
    assert sso_fake.calls["CreateToken/authorization_code"] == 1
    assert sso_fake.calls["StartDeviceAuthorization"] == 0
    assert credential_process(sso_env, "prod").returncode == 0


@pytest.fixture
def oidc_behind_proxy(sso_env: dict[str, str], sso_fake: SsoFake) -> Iterator[FaultProxy]:
    """IAM Identity Center's OIDC endpoint reached through the fault-injecting proxy."""
    with FaultProxy() as proxy:
        port = urlsplit(sso_fake.base_url).port
        assert port is not None
        proxy.target = ("127.0.0.1", port)
        sso_env["AWS_ENDPOINT_URL_SSO_OIDC"] = proxy.url
        yield proxy


def test_device_code_polling_waits_through_an_unreachable_service(
    sso_env: dict[str, str], sso_fake: SsoFake, oidc_behind_proxy: FaultProxy
) -> None:
    screen = Screen()
    polls = f"CreateToken/{DEVICE_GRANT}"

    def person() -> None:
        url = screen.wait_for(r"(http://127\.0\.0\.1:\d+/device\?user_code=[A-Z-]+)").group(1)
        while sso_fake.calls[polls] < 2:
            time.sleep(0.01)
        oidc_behind_proxy.go_down()
        time.sleep(0.3)  # polls refused, at the backoff's pace
        oidc_behind_proxy.come_back()
        decide_device(url)

    errors = in_background(person)
    lines = login(
        LoginOptions(profile="dev", remote=True, timeout=600, qr=False),
        sso_env,
        Terminal(err=screen, out=io.StringIO(), stdin=io.StringIO()),
        clock=FakeTimeClock(sso_fake),
    ).lines
    assert errors == []
    assert lines[0] == f"Signed in as {caller()}"
    # One line while the service did not answer (stderr is not a terminal), then the
    # waiting line again.
    waiting = [line for line in screen.getvalue().splitlines() if " left" in line]
    assert [line.split("...")[0].strip() for line in waiting] == [
        "Waiting for you to sign in",
        "Waiting for IAM Identity Center to answer again",
        "Waiting for you to sign in",
    ]


def test_device_code_polling_against_a_service_that_never_answers_ends_at_expiry(
    sso_env: dict[str, str], sso_fake: SsoFake, oidc_behind_proxy: FaultProxy
) -> None:
    screen = Screen()
    polls = f"CreateToken/{DEVICE_GRANT}"

    def outage() -> None:
        screen.wait_for(r"user_code=")
        while sso_fake.calls[polls] < 1:
            time.sleep(0.01)
        oidc_behind_proxy.go_down()

    errors = in_background(outage)
    clock = FakeTimeClock(sso_fake)
    with pytest.raises(AwsloginError) as failure:
        login(
            LoginOptions(profile="dev", remote=True, timeout=3600, qr=False),
            sso_env,
            Terminal(err=screen, out=io.StringIO(), stdin=io.StringIO()),
            clock=clock,
        )
    assert errors == []
    assert failure.value.message == (
        "the device code expired before sign-in finished; run login again"
    )
    # The fake's code lives 600 s: polling stopped then, not before, not long after.
    assert 600 <= clock.elapsed <= 601
    assert max(clock.sleeps) <= 8.0
