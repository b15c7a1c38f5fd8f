"""The waiting line on a real terminal: a child process runs the CLI's Terminal on a
pseudo-terminal of 40, 60 and 80 columns, and what it writes is interpreted by a terminal
emulator of that size. However many times the line is redrawn, the screen holds one
waiting line, on the cursor's row, and nothing above it moves.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from tests.e2e.pty_screen import PtyScreen

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

REDRAWS = 30
REDRAW = b"\r\x1b[K"
# The sign-in screen of a remote login, then the waiting line until stdin closes.
_CHILD = """
import sys, time
from awslogin.adapters.terminal import Terminal

terminal = Terminal(redraw_every=float(sys.argv[1]))
terminal.info("No browser on this machine (SSH session): signing in through relay.example.com.")
terminal.show_link(
    "https://relay.example.com/p/7Hq2kXbM4vNc",
    user_code="BDKM-TRWX",
    type_at="https://relay.example.com/link",
)
with terminal.countdown("Waiting for you to sign in...", time.monotonic() + float(sys.argv[2])):
    sys.stdin.read()
"""
# Any form of the line, from "  Waiting for you ... (Ctrl-C to cancel)" down to "9:41".
WAITING_ROW = re.compile(
    r"^(  (Waiting[ .\w]*)?)?\s*(\d+:\d\d( left)?)?(   \(Ctrl-C to cancel\))?$"
)


def waiting_terminal(columns: int, *, deadline: str = "600") -> PtyScreen:
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    env.pop("NO_COLOR", None)
    argv = [sys.executable, "-c", _CHILD, "0.02", deadline]
    return PtyScreen(argv, env, columns=columns, lines=24)


def redraws(terminal: PtyScreen) -> int:
    return terminal.count(REDRAW)


def waiting_rows(terminal: PtyScreen) -> list[int]:
    return [y for y, row in enumerate(terminal.rows()) if "Waiting" in row or " left" in row]


@pytest.mark.parametrize("columns", [40, 60, 80])
def test_the_waiting_line_stays_on_one_row(columns: int) -> None:
    with waiting_terminal(columns) as terminal:
        terminal.wait_for(lambda: redraws(terminal) >= 1, "the waiting line")
        before = terminal.rows()
        cursor_row = terminal.cursor_row()
        terminal.wait_for(lambda: redraws(terminal) >= REDRAWS, f"{REDRAWS} redraws")
        after = terminal.rows()
        assert terminal.cursor_row() == cursor_row
        assert waiting_rows(terminal) == [cursor_row], "\n".join(after)
        line = after[cursor_row]
        assert WAITING_ROW.match(line), line
        assert re.search(r"\d+:\d\d", line), line
        assert len(line) <= columns - 1
        # Nothing printed before the waiting line scrolled or changed.
        assert after[:cursor_row] == before[:cursor_row]
        assert after[cursor_row + 1 :] == before[cursor_row + 1 :]
        terminal.end_input()
        assert terminal.wait() == 0
        # The line is wiped when the wait ends; nothing else is left behind.
        assert terminal.rows()[cursor_row] == ""
    assert b"Traceback" not in terminal.raw


def test_the_line_follows_a_pane_made_narrower_while_it_waits() -> None:
    with waiting_terminal(80) as terminal:
        terminal.wait_for(lambda: redraws(terminal) >= 1, "the waiting line")
        cursor_row = terminal.cursor_row()
        assert terminal.rows()[cursor_row].endswith("left   (Ctrl-C to cancel)")
        terminal.resize(40, 24)  # the child gets SIGWINCH and reads the width again
        narrowed = terminal.rows()
        resized_at = redraws(terminal)
        terminal.wait_for(lambda: redraws(terminal) >= resized_at + 10, "redraws at 40 columns")
        after = terminal.rows()
        assert waiting_rows(terminal) == [cursor_row]
        assert after[cursor_row].startswith("  Waiting... ")
        assert len(after[cursor_row]) <= 39
        assert after[:cursor_row] == narrowed[:cursor_row]
        terminal.end_input()
        assert terminal.wait() == 0
    assert b"Traceback" not in terminal.raw


@pytest.mark.parametrize("deadline", ["nan", "inf"])
def test_a_deadline_that_is_not_a_number_shows_no_time(deadline: str) -> None:
    with waiting_terminal(60, deadline=deadline) as terminal:
        terminal.wait_for(lambda: redraws(terminal) >= 5, "redraws")
        row = terminal.rows()[terminal.cursor_row()]
        assert row == "  Waiting for you to sign in...   (Ctrl-C to cancel)"
        terminal.end_input()
        assert terminal.wait() == 0
    assert b"Traceback" not in terminal.raw
