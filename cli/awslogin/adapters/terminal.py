"""What the person sees and types: messages on stderr, prompts, the live waiting line.

stdout is kept for data (`credential-process`, `export`) and final summaries; progress
goes to stderr. Whether stderr is a terminal decides the rest:

* a terminal (TERM other than `dumb`): the QR code in its own colours (unless NO_COLOR
  is set, https://no-color.org), and the waiting line redrawn in place every second,
  fitted to the width read at that moment (so a resized pane needs no SIGWINCH handler);
* TERM=dumb (no cursor control), a log or a pipe: no escape sequence at all, the plain QR
  code, and the waiting line printed once when the wait begins, then nothing until it
  ends: a log says what the process waits for and until when, without a line a minute.

On Windows a console shows escape sequences only with virtual terminal processing on
(Windows Terminal has it; the old console host needs asking): `live` asks for it, and a
console that refuses is treated as TERM=dumb. Python writes to a console in UTF-16, so
the QR code's half blocks always print there; redirected output that cannot encode them
gets the URL alone (`qr.can_draw`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from awslogin.adapters.qr import can_draw, draw_qr
from awslogin.adapters.waiting_line import seconds_left, waiting_line
from awslogin.errors import UsageError, one_line

# Width assumed where none can be read (a log, a pipe, a terminal reporting 0 columns).
_DEFAULT_COLUMNS = 80
_INDENT = "      "
# The longest link and user code shown: an authorization URL with its PKCE challenge,
# state and scopes is well under this; a user code is a few characters.
MAX_SHOWN_LINK = 4096
MAX_SHOWN_CODE = 64


# SetConsoleMode's flag that makes a Windows console interpret escape sequences.
_ENABLE_VIRTUAL_TERMINAL_PROCESSING = 0x0004


def _escapes_shown(stream: TextIO) -> bool:
    """Whether escape sequences written to `stream` (a terminal) are shown as meant:
    always on POSIX; on Windows once virtual terminal processing is on (asked for here)."""
    if sys.platform != "win32":
        return True
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return True  # not an OS console (a pty, a test's stream): it reads escapes itself
    try:
        import ctypes
        import msvcrt

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        handle = msvcrt.get_osfhandle(fd)  # type: ignore[attr-defined,unused-ignore]
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return True  # a pipe or a pty (mintty, ssh): not a console to ask
        wanted = mode.value | _ENABLE_VIRTUAL_TERMINAL_PROCESSING
        return mode.value == wanted or bool(kernel32.SetConsoleMode(handle, wanted))
    except (ImportError, AttributeError, OSError):
        return False


class Terminal:
    def __init__(
        self,
        err: TextIO | None = None,
        out: TextIO | None = None,
        stdin: TextIO | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        redraw_every: float = 1.0,
    ) -> None:
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        self.stdin = stdin or sys.stdin
        self.environ = os.environ if environ is None else environ
        self.redraw_every = redraw_every
        self._lock = threading.Lock()

    @property
    def live(self) -> bool:
        """stderr is a terminal that understands cursor control (TERM=dumb does not)."""
        is_tty = bool(getattr(self.err, "isatty", lambda: False)())
        return is_tty and self.environ.get("TERM") != "dumb" and _escapes_shown(self.err)

    @property
    def colours(self) -> bool:
        """Colours for the QR code: a live terminal, unless NO_COLOR is set and not empty."""
        return self.live and not self.environ.get("NO_COLOR")

    @property
    def can_prompt(self) -> bool:
        return bool(getattr(self.stdin, "isatty", lambda: False)())

    def columns(self) -> int | None:
        """The width of the terminal on stderr right now; None when it has none."""
        try:
            return os.get_terminal_size(self.err.fileno()).columns or None
        except (AttributeError, OSError, ValueError):
            return None

    def info(self, text: str) -> None:
        with self._lock:
            print(text, file=self.err, flush=True)

    def result(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show_link(
        self,
        url: str,
        *,
        user_code: str | None = None,
        qr: bool = True,
        type_at: str | None = None,
        number: int | None = None,
    ) -> None:
        """The URL to open, a QR code of it when wanted and drawable, the user code, and
        the number to choose on the page (number matching, docs/security.md).

        `type_at` is the page where the person can type `user_code` instead (the relay's
        /link, a device authorization's verification URI), shown under the QR code.
        Compact on purpose: for a relay link everything from the URL to the waiting line
        fits an 80x24 terminal (the QR code is 19 of those lines). All three come from a
        server, so they are shown (and QR-encoded) as `one_line` filters them.
        """
        url = one_line(url, MAX_SHOWN_LINK)
        user_code = one_line(user_code, MAX_SHOWN_CODE) if user_code is not None else None
        type_at = one_line(type_at, MAX_SHOWN_LINK) if type_at is not None else None
        lines = [
            "",
            "  Scan with your phone, or open on any device:" if qr else "  Open on any device:",
            f"{_INDENT}{url}",
        ]
        if qr:
            lines += self._qr_lines(url)
        if type_at and user_code:
            lines.append(f"{_INDENT}or open {type_at} and type {user_code}")
        if user_code:
            lines.append(f"  Check that the page shows this code:  {user_code}")
        if number is not None:
            lines.append(f"  Then choose this number on the page:  {number}")
        self.info("\n".join(lines))

    def _qr_lines(self, url: str) -> list[str]:
        if not can_draw(getattr(self.err, "encoding", None)):
            return [f"{_INDENT}(this terminal cannot draw a QR code; open the URL above)"]
        room = (self.columns() or _DEFAULT_COLUMNS) - 1  # a full row wraps on some terminals
        drawing = draw_qr(url, colours=self.colours, max_columns=room)
        if drawing is None:
            return [f"{_INDENT}(the link is too long to draw as a QR code here; open it above)"]
        indent = " " * min(len(_INDENT), room - drawing.columns)
        return [indent + row for row in drawing.rows]

    def prompt(self, question: str, default: str | None = None) -> str:
        if not self.can_prompt:
            raise UsageError(
                f"{question.rstrip(': ')}: no terminal to ask on; pass it as an option"
            )
        suffix = f" [{default}]" if default else ""
        with self._lock:
            print(f"{question}{suffix}: ", end="", file=self.err, flush=True)
        answer = self.stdin.readline()
        if not answer:
            # Ctrl-D: the cursor is still after the question; the message gets its own line
            # rather than repeating the question after it.
            with self._lock:
                print(file=self.err, flush=True)
            raise UsageError("no answer: the input ended (Ctrl-D)")
        return answer.strip() or (default or "")

    @contextmanager
    def countdown(self, text: str, deadline: float) -> Iterator[WaitingLine]:
        """`text 9:41 left` until the block ends; `deadline` is on time.monotonic()'s clock.

        On a live terminal a thread redraws it in place; elsewhere it is printed once, and
        again each time its words change. The block gets the line: `note(words)` shows
        other words in its place (the relay does not answer...), `note(None)` the first.
        """
        line = WaitingLine(self, text, deadline)
        if not self.live:
            line.print_once()
            yield line
            return
        ticker = threading.Thread(target=line.redraw_until_stopped, name="awslogin-countdown")
        ticker.daemon = True
        ticker.start()
        try:
            yield line
        finally:
            line.stop()
            ticker.join(timeout=2)
            self._write_live("\r\x1b[K")

    def _write_live(self, text: str) -> bool:
        """False once the terminal is gone (a closed session): nothing left to draw on."""
        with self._lock:
            try:
                self.err.write(text)
                self.err.flush()
            except (OSError, ValueError):
                return False
        return True


class WaitingLine:
    """The waiting line of one `Terminal.countdown`, and the words it shows right now."""

    def __init__(self, terminal: Terminal, text: str, deadline: float) -> None:
        self._terminal = terminal
        self._text = text
        self._deadline = deadline
        self._note: str | None = None
        self._changed = threading.Event()
        self._stopped = False

    @property
    def words(self) -> str:
        return self._note or self._text

    def note(self, words: str | None) -> None:
        """Show `words` instead of the line's own until called with None."""
        if words == self._note:
            return
        self._note = words
        if self._terminal.live:
            self._changed.set()
        else:
            self.print_once()

    def announce(self, text: str, then: str) -> None:
        """Print `text` once on a line of its own (the live line is cleared first and
        drawn again below it), then show `then` as the line's own words."""
        self._text = then
        if self._terminal.live:
            self._terminal._write_live(f"\r\x1b[K{text}\n")
            self._changed.set()
        else:
            self._terminal.info(text)
            self.print_once()

    def print_once(self) -> None:
        left = seconds_left(self._deadline, time.monotonic())
        self._terminal.info(waiting_line(self.words, left, None))

    def redraw_until_stopped(self) -> None:
        terminal = self._terminal
        while not self._stopped:
            left = seconds_left(self._deadline, time.monotonic())
            line = waiting_line(self.words, left, terminal.columns() or _DEFAULT_COLUMNS)
            if not terminal._write_live(f"\r\x1b[K{line}"):
                return
            self._changed.wait(terminal.redraw_every)
            self._changed.clear()

    def stop(self) -> None:
        self._stopped = True
        self._changed.set()
