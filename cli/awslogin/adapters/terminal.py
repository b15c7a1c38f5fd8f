"""What the person sees and types: messages on stderr, prompts, the live waiting line.

stdout is kept for data (`credential-process`, `export`) and final summaries; progress
goes to stderr. The countdown redraws one line in place only when stderr is a terminal;
in a log or a pipe it prints plain lines instead of carriage returns.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from awslogin.adapters.qr import can_draw, render_half_blocks
from awslogin.errors import UsageError

_PLAIN_LINE_EVERY = 60.0


def format_left(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Terminal:
    def __init__(
        self,
        err: TextIO | None = None,
        out: TextIO | None = None,
        stdin: TextIO | None = None,
    ) -> None:
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        self.stdin = stdin or sys.stdin
        self._lock = threading.Lock()

    @property
    def live(self) -> bool:
        return bool(getattr(self.err, "isatty", lambda: False)())

    @property
    def can_prompt(self) -> bool:
        return bool(getattr(self.stdin, "isatty", lambda: False)())

    def info(self, text: str) -> None:
        with self._lock:
            print(text, file=self.err, flush=True)

    def result(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show_link(self, url: str, *, user_code: str | None = None, qr: bool = True) -> None:
        """The URL to open, a QR code of it when wanted and drawable, and the check code."""
        lines = [
            "",
            "  Scan with your phone, or open on any device:" if qr else "  Open on any device:",
        ]
        # Compact on purpose: with a 16-line QR code, everything fits an 80x24 terminal.
        lines.append(f"      {url}")
        if qr:
            if can_draw(getattr(self.err, "encoding", None)):
                lines += ["      " + row for row in render_half_blocks(url).splitlines()]
            else:
                lines.append("      (this terminal cannot draw a QR code; open the URL above)")
        if user_code:
            lines.append(f"  Check that the page shows this code:  {user_code}")
        self.info("\n".join(lines))

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
            raise UsageError(f"{question.rstrip(': ')}: no answer (end of input)")
        return answer.strip() or (default or "")

    @contextmanager
    def countdown(self, text: str, deadline: float) -> Iterator[None]:
        """Show `text ... M:SS left` until the block ends; `deadline` is time.monotonic()."""
        stop = threading.Event()
        hint = "   (Ctrl-C to cancel)"

        def draw_live() -> None:
            while True:
                with self._lock:
                    left = format_left(deadline - time.monotonic())
                    self.err.write(f"\r\x1b[K  {text} {left} left{hint}")
                    self.err.flush()
                if stop.wait(1.0):
                    return

        def draw_plain() -> None:
            while True:
                self.info(f"  {text} {format_left(deadline - time.monotonic())} left{hint}")
                if stop.wait(_PLAIN_LINE_EVERY):
                    return

        ticker = threading.Thread(target=draw_live if self.live else draw_plain, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join(timeout=2)
            if self.live:
                with self._lock:
                    self.err.write("\r\x1b[K")
                    self.err.flush()
