"""Remote aws-signin logins: the verification code typed into the terminal (as with
`aws login --remote`), and pasted on the relay's page in headless Chromium."""

from __future__ import annotations

import html
import queue
import re
import subprocess
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.fakes.signin import SigninFake
from tests.fakes.signin.person import answer_sign_in, read_verification_code
from tests.peers.fault_proxy import Fault, FaultProxy
from tests.support.host import awslogin_script
from tests.support.phone import (
    NOT_ME_BUTTON,
    NUMBER_PATTERN,
    cancel_url,
    confirm,
    press_continue,
    press_not_me,
)
from tests.support.signin_profile import ALICE, BOB, cache_path, read_cache

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CROSS_DEVICE = "arn:aws:signin:::devtools/cross-device"


class LoginProcess:
    """`awslogin login ...` as a subprocess whose stderr is read line by line as it comes."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [awslogin_script(), "login", "--profile", "dev", "--no-qr", *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.err: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_url(self, pattern: str) -> str:
        while (line := self.lines.get(timeout=30)) is not None:
            self.err.append(line)
            match = re.search(pattern, line)
            if match:
                return match.group(0)
        raise AssertionError("no URL printed:\n" + "".join(self.err))

    def wait_for_number(self) -> int:
        """The number the terminal shows for the relay's page (number matching)."""
        return int(self.wait_for_url(NUMBER_PATTERN))

    def finish(self, stdin: str = "") -> tuple[int, str, str]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(stdin)
        self.process.stdin.close()
        out = self.process.stdout.read()
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        while (line := self.lines.get(timeout=5)) is not None:
            self.err.append(line)
        return code, out, "".join(self.err)


@pytest.mark.parametrize("paste", ["verification-code", "redirect-url"])
def test_remote_login_reads_the_code_from_the_terminal(
    fake: SigninFake, signin_env: dict[str, str], paste: str
) -> None:
    login = LoginProcess(signin_env, "--remote")
    url = login.wait_for_url(re.escape(fake.base_url) + r"/v1/authorize\?\S+")
    assert f"client_id={CROSS_DEVICE.replace(':', '%3A').replace('/', '%2F')}" in url

    confirmation = answer_sign_in(url, username="bob")  # on the phone
    typed = read_verification_code(confirmation) if paste == "verification-code" else confirmation

    code, out, err = login.finish(typed + "\n")
    assert code == 0, err
    assert f"Signed in as {BOB}" in out
    assert "Paste the verification code" in err
    assert typed not in err  # what was typed is never echoed back
    cache = read_cache(signin_env, BOB)
    assert cache["clientId"] == CROSS_DEVICE
    assert fake.sessions[0].client_id == CROSS_DEVICE


def test_remote_login_without_input_is_one_line(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    login = LoginProcess(signin_env, "--remote")
    login.wait_for_url(re.escape(fake.base_url) + r"/v1/authorize\?\S+")
    code, _, err = login.finish("")
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "awslogin: no verification code was entered (end of input)"
    )


def test_a_host_without_a_browser_or_relay_asks_for_the_code(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    env = {**signin_env, "SSH_CONNECTION": "10.0.0.2 5000 10.0.0.1 22"}
    login = LoginProcess(env)
    url = login.wait_for_url(re.escape(fake.base_url) + r"/v1/authorize\?\S+")
    code, out, err = login.finish(read_verification_code(answer_sign_in(url)) + "\n")
    assert code == 0, err
    assert "No browser on this machine (SSH session)" in err
    assert f"Signed in as {ALICE}" in out


@pytest.fixture
def signin_relay_process(relay_process: Any, fake: SigninFake) -> Any:
    return relay_process(RELAY_ALLOWED_ORIGINS=fake.base_url)


def test_remote_login_through_the_relays_paste_page_in_chromium(
    fake: SigninFake,
    signin_env: dict[str, str],
    signin_relay_process: Any,
    browser_context: BrowserContext,
) -> None:
    login = LoginProcess(signin_env, "--remote", "--relay", signin_relay_process.url)
    relay_page = login.wait_for_url(re.escape(signin_relay_process.url) + r"/p/[A-Za-z0-9_-]+")
    number = login.wait_for_number()
    phone = browser_context.new_page()
    phone.goto(relay_page)
    press_continue(phone, number)
    phone.wait_for_url(re.compile(r".*/p/[^/]+/paste$"))
    with browser_context.expect_page() as opened:
        phone.get_by_role("link", name="Open the sign-in page").click()
    sign_in = opened.value
    sign_in.wait_for_load_state()
    assert sign_in.url.startswith(f"{fake.base_url}/v1/authorize?")
    sign_in.click("#allow")
    shown = sign_in.inner_text("#verification-code")

    phone.fill("#code", shown)
    phone.get_by_role("button", name=re.compile("Send to")).click()
    phone.wait_for_url(re.compile(r".*/p/[^/]+/done$"))

    code, out, err = login.finish()
    assert code == 0, err
    assert f"Signed in as {ALICE}" in out
    assert read_cache(signin_env)["clientId"] == CROSS_DEVICE
    assert fake.token_calls_by_grant == {"authorization_code": 1}


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_not_me_on_the_paste_page_ends_the_login_and_only_the_confirming_browser_can(
    fake: SigninFake,
    signin_env: dict[str, str],
    relay_process: Any,
    browser: Browser,
    browser_context: BrowserContext,
    request: pytest.FixtureRequest,
    store: str,
) -> None:
    """A denial at AWS Sign-In leaves nothing to paste: "not me" on the relay's paste page
    is how the person says no. Before that, another browser and a page on another site
    try to press it for them and are refused; the host waits on, then prints its one line
    and exits 1, and nobody signed in. On either store."""
    if store == "redis":
        store = request.getfixturevalue("redis_server").url
    relay = relay_process(RELAY_ALLOWED_ORIGINS=fake.base_url, RELAY_STORE=store)
    login = LoginProcess(signin_env, "--remote", "--relay", relay.url)
    link = login.wait_for_url(re.escape(relay.url) + r"/p/[A-Za-z0-9_-]+")
    number = login.wait_for_number()
    phone = browser_context.new_page()
    phone.goto(link)
    press_continue(phone, number)
    phone.wait_for_url(re.compile(r".*/p/[^/]+/paste$"))
    assert phone.get_by_role("button", name=NOT_ME_BUTTON).is_visible()

    # Another browser that holds the link: no button on its page, and a post is refused.
    other = browser.new_context(locale="en-US")
    try:
        onlooker = other.new_page()
        onlooker.goto(link)
        assert onlooker.get_by_role("button", name=NOT_ME_BUTTON).count() == 0
        assert other.request.post(cancel_url(link)).status == 403
    finally:
        other.close()
    # A page on another site that posts the form in the confirming browser: refused.
    attacker = browser_context.new_page()
    form = f'<form method="post" action="{html.escape(cancel_url(link))}"></form>'
    attacker.goto("data:text/html," + form + "<script>document.forms[0].submit()</script>")
    attacker.wait_for_url(re.compile(r".*/cancel$"))
    assert attacker.get_by_role("heading").inner_text() == "Cancel on the relay's own page"
    status = httpx.get(link + "/status", timeout=10, trust_env=False)
    assert status.json() == {"status": "pending"}
    assert login.process.poll() is None  # still waiting

    started = time.monotonic()
    press_not_me(phone)
    phone.wait_for_url(re.compile(r".*/p/[^/]+/done$"))
    heading = phone.get_by_role("heading").inner_text()
    assert heading == "This sign-in request was cancelled on its page"
    code, out, err = login.finish()
    assert time.monotonic() - started < 10  # the long-poll woke; no wait for its end
    assert code == 1
    assert out == ""
    assert err.strip().splitlines()[-1] == (
        'awslogin: sign-in was denied on the relay\'s page ("not me"); nothing was signed in'
    )
    assert "Traceback" not in err
    assert not fake.token_calls_by_grant
    # the host acknowledged the denial: the store's tombstone keeps why it ended
    ended = httpx.get(link + "/status", timeout=10, trust_env=False)
    assert ended.json() == {"status": "denied_on_page"}
    assert not cache_path(signin_env).exists()


def test_the_relays_paste_through_a_reset_long_poll_and_a_cut_result(
    fake: SigninFake, signin_env: dict[str, str], relay_process: Any
) -> None:
    """aws-signin's paste through the relay, the host and the phone behind the
    fault-injecting proxy: one long-poll reset while it waits, then the answer with the
    sealed paste cut after the relay sent it. The login signs in all the same."""
    with FaultProxy() as proxy:
        relay = relay_process(RELAY_ALLOWED_ORIGINS=fake.base_url, RELAY_PUBLIC_URL=proxy.url)
        proxy.target = ("127.0.0.1", relay.port)
        proxy.reset_polls = Fault(count=1)
        proxy.cut_results = Fault(count=1)
        login = LoginProcess(signin_env, "--remote", "--relay", proxy.url)
        link = login.wait_for_url(re.escape(proxy.url) + r"/p/[A-Za-z0-9_-]+")
        number = login.wait_for_number()
        deadline = time.monotonic() + 30
        while proxy.counts.resets < 1 or proxy.counts.polls < 2:
            assert time.monotonic() < deadline, "the long-poll was not reset and retried"
            time.sleep(0.05)
        with httpx.Client(follow_redirects=False, timeout=15, trust_env=False) as phone:
            path = urlsplit(link).path
            confirmed = confirm(phone, link, number)
            assert confirmed.status_code == 303
            page = phone.get(urljoin(link, confirmed.headers["location"])).text
            found = re.search(r'href="([^"]+/v1/authorize\?[^"]+)"', page)
            assert found is not None, page
            authorize = html.unescape(found[1])
            shown = read_verification_code(answer_sign_in(authorize))
            assert phone.post(urljoin(link, f"{path}/code"), data={"code": shown}).is_redirect
        code, out, err = login.finish()
    assert code == 0, err
    assert f"Signed in as {ALICE}" in out
    assert (proxy.counts.resets, proxy.counts.cuts) == (1, 1)
    assert fake.token_calls_by_grant == {"authorization_code": 1}
