"""Text that others send and a person's page shows: nothing in it can deceive.

Jinja's autoescaping keeps markup out of the pages and the audit log's JSON escapes
quotes; what neither stops is text that looks different from what it is: control
characters (NUL; ESC, which a terminal showing a log line obeys), format characters
(zero-width joiners, soft hyphens, the bidi overrides that reorder what follows them),
line or paragraph separators that break one line into several, unusual spaces, letters
that render as nothing. `stripped` removes such characters and folds whitespace, for
text that is only read (a host's failure reason, its client software: docs/protocol.md,
"Outcome"), and cuts the result to a length, ending in "…". Text a person decides from
(the host's name) is not cleaned but judged: `domain.host_text`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Letters and marks that render as nothing (Unicode's default-ignorable code points
# outside the control and format categories), and the blank braille pattern.
_BLANK_GRAPHICS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
_CUT = "\u2026"


def _hidden(char: str) -> bool:
    """A character that is not shown as itself: controls, format characters (bidi,
    zero-width), surrogates, private use, unassigned, separators and spaces other than
    the plain space, and the blank graphics above."""
    if char == " ":
        return False
    return unicodedata.category(char)[0] in "CZ" or char in _BLANK_GRAPHICS


def _cut(pieces: Iterable[str], limit: int) -> str:
    """Join `pieces`; past `limit` characters, keep whole pieces and end with "…"."""
    pieces = list(pieces)
    if sum(len(piece) for piece in pieces) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > limit - len(_CUT):
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + _CUT


def stripped(text: str, limit: int) -> str:
    """`text` without hidden characters; whitespace of any kind becomes single spaces."""
    spaced = " ".join(text.split())
    return _cut((char for char in spaced if not _hidden(char)), limit)
