"""Nothing a relay, an identity provider or AWS sends acts on the terminal: `one_line`
escapes what could (controls, escape sequences, bidi overrides, invisible characters),
folds every message onto one line and cuts it; the link, the user code and the waiting
line's notes go through it, and so does every error the command line prints."""

from __future__ import annotations

import io
import re
import time

import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.cli import commands
from awslogin.cli.main import main
from awslogin.errors import UNEXPECTED, AwsloginError, Interrupted, message_of, one_line

pytestmark = pytest.mark.unit

# Anything that would reach the terminal as a control: C0 but newline, DEL, C1, and the
# characters that reorder or hide text.
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff]"
)


class TtyBuffer(io.StringIO):
    encoding = "utf-8"  # type: ignore[assignment]

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("two\nlines\r\n\tand tabs", "two lines and tabs"),
        ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
        ("\x1b[2J\x1b[HSigned in as root", "\\x1b[2J\\x1b[HSigned in as root"),
        ("\x9b31m", "\\x9b31m"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("x\u2066y\u2069z\u200bw", "x\\u2066y\\u2069z\\u200bw"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("caf\u00e9 \u2014 \u00fcber \u65e5\u672c", "caf\u00e9 \u2014 \u00fcber \u65e5\u672c"),
    ],
)
def test_one_line_escapes_what_acts_on_a_terminal(raw: str, shown: str) -> None:
    assert one_line(raw) == shown
    assert UNSAFE.search(one_line(raw)) is None
    one_line(raw).encode("utf-8")  # printable on a UTF-8 stream


def test_one_line_cuts_long_text_and_says_so() -> None:
    assert one_line("x" * 5_000_000, 10) == "x" * 9 + "\u2026"
    assert one_line("x" * 10, 10) == "x" * 10
    assert len(one_line("\x1b" * 1000, 50)) == 50


def test_every_message_the_command_line_prints_is_one_filtered_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Hostile(AwsloginError):
        pass

    def hostile_command(args: list[str], environ: object) -> int:
        raise Hostile("relay said: \x1b[2J\nawslogin: Signed in as admin\u202e" + "y" * 5000)

    monkeypatch.setattr(commands, "run", hostile_command)
    assert main(["status"], {}) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("awslogin: relay said: \\x1b[2J awslogin: Signed in as admin\\u202e")
    assert UNSAFE.search(err) is None
    assert len(err) < 1100


def test_the_message_of_an_interrupt_names_the_signal() -> None:
    assert message_of(KeyboardInterrupt()) == "interrupted"
    assert message_of(Interrupted(15, "stopped (SIGTERM)")) == "stopped (SIGTERM)"
    assert Interrupted(15, "stopped (SIGTERM)").exit_code == 143
    assert Interrupted(1, "the terminal hung up (SIGHUP)").exit_code == 129
    assert message_of(RecursionError()) == UNEXPECTED  # a bug: no class name, see --debug


def test_the_link_the_code_and_the_link_page_are_shown_filtered() -> None:
    stream = TtyBuffer()
    Terminal(err=stream, environ={"TERM": "dumb"}).show_link(
        "https://relay.example.com/p/ab\x1b]0;title\x07",
        user_code="\x1b[2J" + "B" * 5_000_000,
        type_at="https://relay.example.com/link\u202e",
        qr=False,
    )
    shown = stream.getvalue()
    assert UNSAFE.search(shown.replace("\n", "")) is None
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
