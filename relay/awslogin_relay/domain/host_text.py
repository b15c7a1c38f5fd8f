"""What a host says about itself, made harmless to show, once, when a pairing is created.

`hostname`, `user` and `client` come from whoever calls `POST /v1/pairings`. Jinja2
escapes markup on the pages and the audit log's JSON escapes quotes, but neither stops
characters that change how text *looks*: bidi controls (U+202E shows what follows
reversed), zero-width and other invisible characters, C0 and C1 controls (NUL; ESC,
which a terminal showing a log line obeys), line separators, unusual spaces. Cleaned
before they are stored, these fields are harmless on every page, in every audit line and
in whatever later reads the store (docs/security.md#what-the-pages-show).

How, per field:

* `hostname` and `user` are **escaped visibly** (``\\u202e``, ``\\x1b``; a backslash as
  ``\\\\``). The person decides from ``user@hostname`` whether this is their terminal, so
  every character the host sent stays on the page: one that would be invisible or would
  reorder the text shows as an escape, which itself says that something is odd. Removing
  it would show a name the host did not send (``gpu\\u200b-box`` as ``gpu-box``).
* `client` is **stripped**: it names the host's software (``awslogin/0.1.0``) for the
  audit log and diagnostics, and nobody decides anything from it, so a short, readable
  value matters more than a faithful one. Runs of whitespace become one space.

Lengths: the protocol caps each field as sent (a longer one is refused with 422);
escaping makes a value longer, so the result is cut again to the same cap, between two
characters or escapes, and ends with "…" when cut.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from awslogin_protocol.messages import MAX_HOST_CLIENT, MAX_HOST_USER, MAX_HOSTNAME

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


def _escape(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if not _hidden(char):
        return char
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


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


def escaped(text: str, limit: int) -> str:
    """`text` with every hidden character (and the backslash) as a visible escape."""
    return _cut((_escape(char) for char in text), limit)


def stripped(text: str, limit: int) -> str:
    """`text` without hidden characters; whitespace of any kind becomes single spaces."""
    spaced = " ".join(text.split())
    return _cut((char for char in spaced if not _hidden(char)), limit)


def shown_hostname(text: str) -> str:
    return escaped(text, MAX_HOSTNAME)


def shown_user(text: str) -> str:
    return escaped(text, MAX_HOST_USER)


def shown_client(text: str) -> str:
    return stripped(text, MAX_HOST_CLIENT)
