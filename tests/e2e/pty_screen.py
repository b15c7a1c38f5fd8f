"""A command run on a real pseudo-terminal of a given size, its screen kept by pyte.

The command gets the pty as its controlling terminal (so a resize sends it SIGWINCH and
Ctrl-C typed on the master interrupts it, as in a real terminal) and as its stdout and
stderr. A thread reads everything it writes and feeds a terminal emulator of the same
size, so a test looks at the screen a person would see, escape sequences interpreted,
and at the raw bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Self

import pyte

# Become the session's controlling terminal's owner, then run the command.
_ON_THE_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(2, termios.TIOCSCTTY, 0); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


class PtyScreen:
    """Use as a context manager: on the way out the command's process group is killed."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        columns: int,
        lines: int,
        input_from_terminal: bool = False,
    ) -> None:
        """`input_from_terminal`: stdin is the terminal too (what `type` sends is read as
        typed input); else stdin is a pipe that `end_input` closes."""
        self.argv = list(argv)
        self.input_from_terminal = input_from_terminal
        self.env = dict(env)
        self.screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self._changed = threading.Condition()
        self._master = -1
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> Self:
        self._master, slave = os.openpty()
        self._set_size(self._master, self.screen.columns, self.screen.lines)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _ON_THE_TERMINAL, *self.argv],
                env=self.env,
                stdin=slave if self.input_from_terminal else subprocess.PIPE,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
            )
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()
        return self

    @staticmethod
    def _set_size(fd: int, columns: int, lines: int) -> None:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the last process holding the slave is gone
                chunk = b""
            with self._changed:
                if chunk:
                    self.raw += chunk
                    self._stream.feed(chunk)
                self._changed.notify_all()
            if not chunk:
                return

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        """Until `condition` (called under the screen's lock) holds; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the terminal never showed {what}; screen:\n" + "\n".join(self.rows())
                    )
                self._changed.wait(min(left, 0.5))

    @contextlib.contextmanager
    def still(self) -> Iterator[pyte.Screen]:
        """The screen, with the command's output held back while the block reads it."""
        with self._changed:
            yield self.screen

    def rows(self) -> list[str]:
        with self._changed:
            return [row.rstrip() for row in self.screen.display]

    def cursor_row(self) -> int:
        with self._changed:
            return int(self.screen.cursor.y)

    def count(self, data: bytes) -> int:
        """How many times the command has written `data` so far."""
        with self._changed:
            return self.raw.count(data)

    def resize(self, columns: int, lines: int) -> None:
        """The window changes size: the emulator first, then the pty (SIGWINCH)."""
        with self._changed:
            self.screen.resize(lines, columns)
            self._set_size(self._master, columns, lines)

    def type(self, data: bytes) -> None:
        """Keys typed at the terminal (b"\\x03" is Ctrl-C)."""
        os.write(self._master, data)

    def end_input(self) -> None:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        process.stdin.close()

    def wait(self, timeout: float = 30.0) -> int:
        assert self._process is not None
        code = self._process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=5.0)
        return code

    def stop(self) -> None:
        process = self._process
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10.0)
            if process.stdin is not None:
                process.stdin.close()
        if self._reader is not None:
            self._reader.join(timeout=5.0)
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
