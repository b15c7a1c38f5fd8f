"""The words of the live waiting line: `Waiting for you to sign in... 9:41 left`.

The line is redrawn in place with a carriage return, which only works while it stays on
one terminal row: a line as wide as the pane wraps, and every redraw then adds a row
until what was printed above scrolls away. So the line is fitted to the width read at
each redraw, shorter forms first dropping the Ctrl-C hint, then words of the message.

A deadline comes from a server's `expires_in`, which may be anything: a value that is
not finite shows no time at all, and the rest is clamped to what the clock face shows.
"""

from __future__ import annotations

import math

CANCEL_HINT = "   (Ctrl-C to cancel)"
_MOST_SHOWN = 99 * 3600 + 59 * 60 + 59


def seconds_left(deadline: float, now: float) -> int | None:
    """Whole seconds until `deadline`, clamped to 0..99:59:59; None when not finite."""
    left = deadline - now
    if not math.isfinite(left):
        return None
    return int(min(max(left, 0.0), _MOST_SHOWN))


def format_left(seconds: int) -> str:
    """M:SS under an hour, H:MM:SS from one hour on."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _forms(text: str, left: int | None) -> list[str]:
    """The line from its longest to its shortest form."""
    time_left = "" if left is None else f" {format_left(left)} left"
    words = text.split()
    forms = [f"  {text}{time_left}{CANCEL_HINT}", f"  {text}{time_left}"]
    if len(words) > 1:
        forms.append(f"  {words[0].rstrip('.')}...{time_left}")
    if left is not None:
        forms += [f"  {format_left(left)} left", format_left(left)]
    return forms


def waiting_line(text: str, left: int | None, columns: int | None) -> str:
    """The longest form that leaves the last of `columns` free; the first if no width.

    The last column stays free because some terminals wrap as soon as it is written.
    """
    forms = _forms(text, left)
    if columns is None:
        return forms[0]
    room = max(0, columns - 1)
    for form in forms:
        if len(form) <= room:
            return form
    return forms[-1][:room]
