"""Number matching in Chromium (docs/security.md#number-matching): the right number
continues; the code typed on /link needs none (docs/security.md#typing-the-code); a
wrong one ends the pairing, the page says so and the real host prints its one line and
exits 1; and an onlooker who holds only the link and chooses blindly wins
about one time in three, every loss seen by the host side of its pairing."""

from __future__ import annotations

import math
import random

import httpx
import pytest
from playwright.sync_api import Browser, Page

from awslogin_protocol import REVISION
from awslogin_protocol.sealing import HostKey
from tests.e2e import phone
from tests.e2e.host import StartLogin
from tests.e2e.journey import read_sign_in_screen
from tests.peers.oidc import OidcProvider
from tests.peers.relay import RelayFactory, RelayServer
from tests.support.phone import offered_numbers, press_continue, type_code
from tests.support.relay_app import authorize_url

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(180)]

WRONG_NUMBER_LINE = (
    "awslogin: someone chose the wrong number on the confirmation page; nothing was signed in"
)
BLIND_TRIES = 30


def test_the_right_number_continues_to_the_provider(
    configured: bytes, start_login: StartLogin, page: Page, oidc_provider: OidcProvider
) -> None:
    host = start_login()
    screen = read_sign_in_screen(host)
    assert phone.open_pairing_page(page, screen.url) == screen.user_code
    assert screen.number in offered_numbers(page)
    phone.continue_to_provider(page, oidc_provider.issuer, screen.number)
    phone.sign_in_at_provider(page, "alice")
    assert host.wait(timeout=60) == 0, host.transcript()


def test_the_code_typed_on_link_needs_no_number_and_the_terminal_hears_who_confirmed(
    configured: bytes,
    start_login: StartLogin,
    page: Page,
    oidc_provider: OidcProvider,
    idp_relay_process: RelayServer,
) -> None:
    host = start_login()
    screen = read_sign_in_screen(host)
    type_code(page, idp_relay_process.url, screen.user_code)
    assert page.url == f"{idp_relay_process.url}/p/{screen.pairing_id}"
    assert offered_numbers(page) == []
    phone.continue_to_provider(page, oidc_provider.issuer, None)
    phone.sign_in_at_provider(page, "alice")
    assert host.wait(timeout=60) == 0, host.transcript()
    notices = [line for line in host.lines["stderr"] if "Confirmed at " in line]
    assert len(notices) == 1, host.transcript()
    assert "(HeadlessChrome on Linux)" in notices[0]


def test_a_wrong_number_ends_the_pairing_and_the_terminal_says_so_in_one_line(
    configured: bytes,
    start_login: StartLogin,
    page: Page,
    idp_relay_process: RelayServer,
) -> None:
    host = start_login()
    screen = read_sign_in_screen(host)
    phone.open_pairing_page(page, screen.url)
    wrong = next(n for n in offered_numbers(page) if n != screen.number)
    press_continue(page, wrong)
    phone.wait_for_done_page(page, idp_relay_process.url, screen.pairing_id)
    phone.expect_heading(page, "Wrong number: this sign-in request has ended")

    assert host.wait(timeout=30) == 1, host.transcript()
    messages = [line for line in host.lines["stderr"] if line.startswith("awslogin:")]
    assert messages == [WRONG_NUMBER_LINE], host.transcript()
    assert "Traceback" not in host.transcript()
    assert host.lines["stdout"] == []
    page.reload()  # still says so once the host has acknowledged the denial
    assert phone.heading(page) == "Wrong number: this sign-in request has ended"


def _binomial_bounds(tries: int, chance: float, risk: float) -> tuple[int, int]:
    """The widest-tailed range [low, high] of successes in `tries` blind choices outside
    of which a fair relay falls with probability below `risk`."""
    mass = [math.comb(tries, k) * chance**k * (1 - chance) ** (tries - k) for k in range(tries + 1)]
    low, high, left = 0, tries, 0.0
    while left + mass[low] < risk / 2:
        left += mass[low]
        low += 1
    right = 0.0
    while right + mass[high] < risk / 2:
        right += mass[high]
        high -= 1
    return low, high


def test_an_onlooker_choosing_blindly_wins_about_a_third_and_every_loss_reaches_the_host(
    relay_process: RelayFactory, browser: Browser
) -> None:
    provider = relay_process().url
    relay = relay_process(RELAY_ALLOWED_ORIGINS=provider, RELAY_POLL_INTERVAL="0").url
    chooser = random.Random()
    wins = 0
    with httpx.Client(base_url=relay, trust_env=False, timeout=10) as host:
        for _ in range(BLIND_TRIES):
            created = host.post(
                "/v1/pairings",
                json={
                    "authorize_url": authorize_url(
                        f"{provider}/healthz", redirect_uri=f"{relay}/callback"
                    ),
                    "public_key": HostKey().public_key,
                    "host": {"hostname": "gpu-box-3", "user": "alice"},
                    "revision": REVISION,
                },
            ).json()
            context = browser.new_context()  # the onlooker holds the link, nothing else
            try:
                page = context.new_page()
                page.goto(created["verification_uri_complete"])
                guess = chooser.choice(offered_numbers(page))
                press_continue(page, guess)
                page.wait_for_load_state()
                won = "/healthz?" in page.url
            finally:
                context.close()
            assert won == (guess == created["match_number"])
            answer = host.get(
                f"/v1/pairings/{created['pairing_id']}/result",
                headers={"Authorization": f"Bearer {created['poll_token']}"},
            ).json()
            if won:
                wins += 1
                assert answer["status"] == "pending"
            else:  # the host side of the pairing sees why it ended
                assert answer["status"] == "denied"
                assert answer["error"] == "wrong_number"
    low, high = _binomial_bounds(BLIND_TRIES, 1 / 3, risk=1e-4)
    assert (low, high) == (1, 20)
    assert low <= wins <= high, f"{wins} of {BLIND_TRIES} blind choices won"
