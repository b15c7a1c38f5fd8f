"""The confirmation notice on the real host's terminal (a real pty): as soon as a
browser confirms, the terminal says when, from where and with what, within one
long-poll; a User-Agent with bidi and C1 characters never reaches the terminal raw; and
the person can stop the login with Ctrl-C (docs/security.md, "The confirmation notice")."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.e2e.journey import remote_login_argv
from tests.e2e.pty_screen import PtyScreen
from tests.peers.relay import RelayServer
from tests.support.phone import confirm, number_in
from tests.support.waiting import wait_until

MAX_WAIT_SECONDS = 25  # the relay's RELAY_MAX_WAIT, one long-poll
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
# obs-text bytes a header may carry: U+202E (right-to-left override) and U+0085 (a C1
# control) in UTF-8, which the relay reads as Latin-1 characters, C1 controls among them
HOSTILE = IPHONE.encode() + b" \xe2\x80\xae\xc2\x85evil" + b"A" * 4000


@pytest.mark.parametrize("user_agent", [IPHONE.encode(), HOSTILE], ids=["iphone", "hostile"])
def test_the_terminal_says_who_confirmed_within_one_long_poll(
    configured: bytes,
    host_env: dict[str, str],
    idp_relay_process: RelayServer,
    user_agent: bytes,
) -> None:
    env = {**host_env, "TERM": "xterm-256color"}
    with PtyScreen(remote_login_argv(), env, columns=100, lines=40) as terminal:
        terminal.wait_for(
            lambda: "(Ctrl-C to cancel)" in terminal.rows()[terminal.cursor_row()],
            "the waiting line",
        )
        rows = terminal.rows()
        link = next(r.strip() for r in rows if r.startswith(f"      {idp_relay_process.url}/p/"))
        number = number_in("\n".join(rows))
        wait_until(lambda: idp_relay_process.long_polls() == 1, "the host's long-poll")
        with httpx.Client(
            follow_redirects=False, timeout=10, headers={"user-agent": user_agent}
        ) as browser:
            assert confirm(browser, link, number).status_code == 303
        confirmed = time.monotonic()
        terminal.wait_for(
            lambda: any(r.startswith("  Confirmed at ") for r in terminal.rows()),
            "the confirmation notice",
        )
        seen = time.monotonic() - confirmed
        notice = next(r.rstrip() for r in terminal.rows() if r.startswith("  Confirmed at "))
        assert re.fullmatch(
            r"  Confirmed at \d\d:\d\d from 127\.0\.0\.1 \(Safari on iPhone\)\. Not you\? Ctrl-C\.",
            notice,
        ), notice
        # within the long-poll that was waiting (25 s), not after it: at once, in fact
        assert seen < MAX_WAIT_SECONDS
        # the waiting line is drawn again below the notice
        terminal.wait_for(
            lambda: terminal.rows()[terminal.cursor_row()].startswith(
                "  Waiting for the sign-in..."
            ),
            "the waiting line below the notice",
        )

        terminal.type(b"\x03")  # not them: Ctrl-C
        assert terminal.wait() == 130
    assert b"\xe2\x80\xae" not in terminal.raw
    assert b"\xc2\x85" not in terminal.raw
    assert b"evil" not in terminal.raw
    assert b"Traceback" not in terminal.raw
