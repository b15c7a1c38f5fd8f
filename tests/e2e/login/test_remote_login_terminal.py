"""The remote sign-in screen of the real `awslogin login --remote` on a real 80x24 pty.

The host talks to the real relay; its screen is what a terminal emulator makes of the
bytes it wrote. The QR code on it must read (zxing-cpp, inversion off) on a light and on
a dark terminal, the relay's page for typing the code must be offered under it, and
Ctrl-C must end the wait with one line.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.journey import remote_login_argv
from tests.e2e.pty_screen import PtyScreen
from tests.e2e.terminal_qr import THEMES, decode_screen
from tests.peers.relay import RelayServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]


def test_the_sign_in_screen_fits_80x24_scans_everywhere_and_offers_typing(
    configured: bytes, host_env: dict[str, str], idp_relay_process: RelayServer
) -> None:
    env = {**host_env, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    with PtyScreen(remote_login_argv(), env, columns=80, lines=24) as terminal:
        terminal.wait_for(
            lambda: "left   (Ctrl-C to cancel)" in terminal.rows()[terminal.cursor_row()],
            "the waiting line",
        )
        with terminal.still() as screen:
            rows = [row.rstrip() for row in screen.display]
            scanned = {theme.name: decode_screen(screen, theme) for theme in THEMES}
        url_row = next(
            y for y, row in enumerate(rows) if row.startswith(f"      {idp_relay_process.url}/p/")
        )
        url = rows[url_row].strip()
        code = re.fullmatch(r"  Check that the page shows this code:  (\S+)", rows[-3])
        assert code is not None, "\n".join(rows)
        assert re.fullmatch(r"  Then choose this number on the page:  \d\d", rows[-2])
        # From the URL to the waiting line, all of it on the 24 rows.
        assert rows[-4] == f"      or open {idp_relay_process.url}/link and type {code.group(1)}"
        assert re.fullmatch(r"  Waiting for you to sign in\.\.\. \d+:\d\d left   \(.*\)", rows[-1])
        assert scanned == {theme.name: url for theme in THEMES}

        terminal.type(b"\x03")  # Ctrl-C, through the terminal's line discipline
        assert terminal.wait() == 130
        last = [row for row in terminal.rows() if row]
        assert last[-1].startswith("awslogin:"), "\n".join(last)
    assert b"Traceback" not in terminal.raw
