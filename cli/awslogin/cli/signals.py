"""SIGTERM and SIGHUP end a login the way Ctrl-C does.

A login that is stopped (`kill`, a service manager, a CI timeout) or whose SSH session
drops (sshd hangs the session up) must not leave its pairing live on the relay for ten
minutes: the signal raises `Interrupted` in the main thread, so the same clean-up as for
Ctrl-C runs (the pairing is cancelled, or its failure reported once the result came),
and the exit code is 128 + the signal's number, as shells report it: 143 for SIGTERM,
129 for SIGHUP (130 for Ctrl-C).

After the first of them, further ones are ignored, so that the clean-up (a few seconds
at most) is not cut short by a second `kill`. A SIGHUP already ignored (`nohup`) stays
ignored.

Windows has no SIGHUP, and its SIGTERM is never sent by another process (the C runtime
raises it only from within): there a stopped login ends as the process ends, and only
the signals this platform has are handled (docs/architecture.md, "Platforms").
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from awslogin.errors import Interrupted

_WORDS = {
    "SIGTERM": "stopped (SIGTERM)",
    "SIGHUP": "the terminal hung up (SIGHUP)",
}
_WHAT = {signal.Signals[name]: words for name, words in _WORDS.items() if hasattr(signal, name)}


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Interrupted` (main thread only)."""
    caught = [number for number in _WHAT if signal.getsignal(number) is not signal.SIG_IGN]

    def interrupt(number: int, frame: FrameType | None) -> None:
        for other in caught:
            signal.signal(other, signal.SIG_IGN)
        raise Interrupted(number, _WHAT[signal.Signals(number)])

    previous = {number: signal.signal(number, interrupt) for number in caught}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
