"""The remote sign-in screen as a terminal shows it: the exact bytes the Terminal prints
go through a terminal emulator (pyte), are painted with a light, a dark and a remapped
theme, and the QR code is read back by zxing-cpp with inversion off.
"""

from __future__ import annotations

import io
import re
import threading
import time

import pytest

from awslogin.adapters.qr import draw_qr
from awslogin.adapters.terminal import Terminal
from tests.e2e.terminal_qr import (
    DARK,
    LIGHT,
    SOLARIZED_DARK,
    THEMES,
    Theme,
    decode_qr_codes,
    decode_screen,
    screen_of,
    screen_picture,
)
from tests.support.harmless_text import TERMINAL_UNSAFE
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


URL = "https://relay.example.com/p/7Hq2kXbM4vNc"


LINK_PAGE = "https://relay.example.com/link"


USER_CODE = "BDKM-TRWX"


WAITING = "Waiting for you to sign in..."


COLOUR_TERM = {"TERM": "xterm-256color"}


class TtyBuffer(io.StringIO):
    """Captured stderr that says it is a UTF-8 terminal (of unknown width: 80 assumed)."""

    encoding = "utf-8"  # type: ignore[assignment]

    def isatty(self) -> bool:
        return True


class PipeBuffer(io.StringIO):
    encoding = "utf-8"  # type: ignore[assignment]


class SizedTerminal(Terminal):
    """A terminal of a given width (the pty tests read a real one)."""

    def __init__(self, width: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.width = width

    def columns(self) -> int | None:
        return self.width


def sign_in_screen(terminal: Terminal, stream: io.StringIO) -> str:
    """What a remote login prints, up to the first drawing of the waiting line."""
    terminal.info("No browser on this machine (SSH session): signing in through relay.example.com.")
    terminal.show_link(URL, user_code=USER_CODE, type_at=LINK_PAGE)
    with terminal.countdown(WAITING, time.monotonic() + 581.5):
        wait_until(lambda: "left" in stream.getvalue(), "the waiting line", 5)
        return stream.getvalue()


@pytest.mark.parametrize("theme", THEMES, ids=lambda theme: theme.name)
def test_relay_sign_in_screen_fits_80x24_and_scans_on_any_background(theme: Theme) -> None:
    stream = TtyBuffer()
    printed = sign_in_screen(Terminal(err=stream, environ=COLOUR_TERM), stream)
    screen = screen_of(printed, 80, 24)
    rows = [row.rstrip() for row in screen.display]
    # Everything from the heading to the waiting line is on the 24 rows; only the
    # "No browser" line and a blank line have scrolled away.
    assert rows[0] == "  Scan with your phone, or open on any device:"
    assert rows[1] == f"      {URL}"
    assert rows[21] == f"      or open {LINK_PAGE} and type {USER_CODE}"
    assert rows[22] == f"  Check that the page shows this code:  {USER_CODE}"
    assert rows[23] == f"  {WAITING} 9:41 left   (Ctrl-C to cancel)"
    # 19 rows of QR code (29 modules and 2 x 4 of quiet zone) in 37 columns.
    qr_cells = [[screen.buffer[y][x] for x in range(80)] for y in range(2, 21)]
    painted = [[x for x, cell in enumerate(row) if cell.bg == "white"] for row in qr_cells]
    assert all(columns == list(range(6, 6 + 37)) for columns in painted)
    assert decode_screen(screen, theme) == URL


@pytest.mark.parametrize(
    "environ",
    [{"NO_COLOR": "1", "TERM": "xterm-256color"}, {"TERM": "dumb"}],
    ids=["NO_COLOR", "TERM=dumb"],
)
def test_plain_drawing_without_colours_is_right_on_dark_backgrounds(
    environ: dict[str, str],
) -> None:
    stream = TtyBuffer()
    terminal = Terminal(err=stream, environ=environ)
    terminal.show_link(URL, user_code=USER_CODE, type_at=LINK_PAGE)
    printed = stream.getvalue()
    assert "\x1b" not in printed
    screen = screen_of(printed, 80, 30)
    for theme in (DARK, SOLARIZED_DARK):
        assert decode_screen(screen, theme) == URL
    # Light modules are the ink: on a light background only an inverting reader gets it.
    light = screen_picture(screen, LIGHT)
    assert decode_qr_codes(light, try_invert=False) == []
    assert decode_qr_codes(light, try_invert=True) == [URL]


def test_an_empty_no_color_keeps_the_colours() -> None:
    # https://no-color.org: only a NO_COLOR that is present and not empty turns them off.
    stream = TtyBuffer()
    Terminal(err=stream, environ={"NO_COLOR": "", "TERM": "xterm"}).show_link(URL)
    assert "\x1b[30;47m" in stream.getvalue()


def test_dumb_terminal_gets_one_waiting_line_and_no_cursor_control() -> None:
    stream = TtyBuffer()
    terminal = Terminal(err=stream, environ={"TERM": "dumb"}, redraw_every=0.01)
    with terminal.countdown(WAITING, time.monotonic() + 125.5):
        time.sleep(0.1)
    assert stream.getvalue() == f"  {WAITING} 2:05 left   (Ctrl-C to cancel)\n"


def test_a_log_or_a_pipe_gets_the_plain_screen_and_the_waiting_line_once() -> None:
    stream = PipeBuffer()
    terminal = Terminal(err=stream, environ=COLOUR_TERM, redraw_every=0.01)
    terminal.show_link(URL, user_code=USER_CODE, type_at=LINK_PAGE)
    with terminal.countdown(WAITING, time.monotonic() + 125.5):
        time.sleep(0.1)  # ten redraw periods
    printed = stream.getvalue()
    assert "\x1b" not in printed
    assert "\r" not in printed
    assert printed.count(WAITING) == 1
    assert printed.endswith(f"  {WAITING} 2:05 left   (Ctrl-C to cancel)\n")
    assert decode_screen(screen_of(printed, 80, 30), DARK) == URL


@pytest.mark.parametrize("length", [2_000, 3_500])
def test_a_link_too_long_to_draw_is_shown_as_text(length: int) -> None:
    # 2,000 bytes fit a version 40 code (185 columns with its quiet zone), which no
    # terminal shows; 3,500 fit no QR code at all.
    url = "https://idp.example.com/authorize?request=" + "x" * length
    stream = TtyBuffer()
    Terminal(err=stream, environ=COLOUR_TERM).show_link(url)
    lines = stream.getvalue().splitlines()
    assert f"      {url}" in lines
    assert "      (the link is too long to draw as a QR code here; open it above)" in lines
    assert "\u2580" not in stream.getvalue()
    assert draw_qr(url, colours=True, max_columns=10_000) is None or length < 2_953


@pytest.mark.parametrize(("width", "indent"), [(80, 6), (44, 6), (40, 2), (38, 0)])
def test_the_qr_code_moves_left_in_a_narrow_terminal(width: int, indent: int) -> None:
    stream = TtyBuffer()
    SizedTerminal(width, err=stream, environ=COLOUR_TERM).show_link(URL)
    screen = screen_of(stream.getvalue(), width, 30)
    rows = [row for row in screen.display if row.strip()]
    drawn = [row for row in rows if "\u2584" in row or "\u2580" in row]
    assert len(drawn) == 15  # the top and bottom rows are quiet zone
    assert all(len(row) - len(row.lstrip(" ")) >= indent for row in drawn)
    assert decode_screen(screen, LIGHT) == URL


def test_a_terminal_too_narrow_for_the_code_says_so() -> None:
    stream = TtyBuffer()
    SizedTerminal(37, err=stream, environ=COLOUR_TERM).show_link(URL)
    assert "too long to draw as a QR code here" in stream.getvalue()
    assert "\u2580" not in stream.getvalue()


@pytest.mark.parametrize("deadline", [float("nan"), float("inf"), float("-inf")])
def test_a_deadline_that_is_not_a_number_shows_no_time_and_keeps_drawing(
    deadline: float,
) -> None:
    failures: list[BaseException | None] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    try:
        stream = TtyBuffer()
        terminal = Terminal(err=stream, environ=COLOUR_TERM, redraw_every=0.01)
        with terminal.countdown(WAITING, deadline):
            wait_until(lambda: stream.getvalue().count("\r\x1b[K") >= 5, "five redraws", 5)
    finally:
        threading.excepthook = previous_hook
    assert failures == []
    drawn = set(re.split(r"\r\x1b\[K", stream.getvalue())) - {""}
    assert drawn == {f"  {WAITING}   (Ctrl-C to cancel)"}


def test_the_link_the_code_and_the_link_page_are_shown_filtered() -> None:
    stream = TtyBuffer()
    Terminal(err=stream, environ={"TERM": "dumb"}).show_link(
        "https://relay.example.com/p/ab\x1b]0;title\x07",
        user_code="\x1b[2J" + "B" * 5_000_000,
        type_at="https://relay.example.com/link\u202e",
        qr=False,
    )
    shown = stream.getvalue()
    assert TERMINAL_UNSAFE.search(shown.replace("\n", "")) is None
    assert "https://relay.example.com/p/ab\\x1b]0;title\\x07" in shown
    assert "https://relay.example.com/link\\u202e" in shown
    assert len(shown) < 500


def test_a_note_replaces_the_waiting_line_until_it_is_taken_back() -> None:
    stream = io.StringIO()
    terminal = Terminal(err=stream, environ={"TERM": "dumb"})
    with terminal.countdown("Waiting for you to sign in...", time.monotonic() + 125.5) as line:
        line.note("Waiting for the relay to answer again...")
        line.note("Waiting for the relay to answer again...")
        line.note(None)
    assert stream.getvalue().splitlines() == [
        "  Waiting for you to sign in... 2:05 left   (Ctrl-C to cancel)",
        "  Waiting for the relay to answer again... 2:05 left   (Ctrl-C to cancel)",
        "  Waiting for you to sign in... 2:05 left   (Ctrl-C to cancel)",
    ]


def test_a_live_line_shows_the_note_at_once_and_then_its_own_words_again() -> None:
    stream = TtyBuffer()
    terminal = Terminal(err=stream, environ={"TERM": "xterm"}, redraw_every=60)
    with terminal.countdown("Waiting for you to sign in...", time.monotonic() + 125.5) as line:
        deadline = time.monotonic() + 5
        while "sign in" not in stream.getvalue():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        line.note("Waiting for the relay to answer again...")
        while "answer again" not in stream.getvalue():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        line.note(None)
        while stream.getvalue().count("sign in") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    drawn = [part for part in stream.getvalue().split("\r\x1b[K") if part]
    assert drawn == [
        "  Waiting for you to sign in... 2:05 left   (Ctrl-C to cancel)",
        "  Waiting for the relay to answer again... 2:05 left   (Ctrl-C to cancel)",
        "  Waiting for you to sign in... 2:05 left   (Ctrl-C to cancel)",
    ]


class Heard:
    """A listener that keeps what it was told (`login --json` writes it instead)."""

    def __init__(self) -> None:
        self.told: list[tuple[str, object]] = []

    def link(self, url: str, type_at: str | None) -> None:
        self.told.append(("link", (url, type_at)))

    def code(self, user_code: str, number: int | None) -> None:
        self.told.append(("code", (user_code, number)))

    def expiry(self, seconds_left: int) -> None:
        self.told.append(("expiry", seconds_left))

    def waiting(self, text: str) -> None:
        self.told.append(("waiting", text))

    def confirmed(self, text: str) -> None:
        self.told.append(("confirmed", text))


def test_a_listener_is_told_what_is_shown_filtered_and_each_change_of_the_line() -> None:
    heard = Heard()
    stream = io.StringIO()
    terminal = Terminal(err=stream, environ={"TERM": "dumb"}, listener=heard)
    terminal.show_link(
        "https://relay.example.com/p/ab\x1b[2J",
        user_code="BDKM-TRWX",
        type_at="https://relay.example.com/link",
        qr=False,
        number=47,
    )
    with terminal.countdown("Waiting for you to sign in...", time.monotonic() + 125.5) as line:
        line.note("Waiting for the relay to answer again...")
        line.note("Waiting for the relay to answer again...")
        line.announce("  Confirmed at 10:02 from 10.0.4.7. Not you? Ctrl-C.", "Waiting for sign-in")
        line.note(None)
        line.announce("  Confirmed again.", "Waiting still")
    assert heard.told == [
        ("link", ("https://relay.example.com/p/ab\\x1b[2J", "https://relay.example.com/link")),
        ("code", ("BDKM-TRWX", 47)),
        ("expiry", 125),
        ("waiting", "Waiting for the relay to answer again..."),
        # a note still stands: the line's words do not change at the notice
        ("confirmed", "Confirmed at 10:02 from 10.0.4.7. Not you? Ctrl-C."),
        ("waiting", "Waiting for sign-in"),
        ("confirmed", "Confirmed again."),
        ("waiting", "Waiting still"),
    ]
    assert "BDKM-TRWX" in stream.getvalue()  # the person still sees it all on stderr


def test_a_link_without_a_code_tells_no_code() -> None:
    heard = Heard()
    Terminal(err=io.StringIO(), environ={"TERM": "dumb"}, listener=heard).show_link(
        "https://idp.example.com/auth", qr=False
    )
    assert heard.told == [("link", ("https://idp.example.com/auth", None))]
