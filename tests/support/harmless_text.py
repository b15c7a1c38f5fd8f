"""One table for the rule "text from elsewhere is made harmless before a person sees it",
shared by the CLI's `one_line` (a terminal line, docs/security.md "Terminal hygiene") and
the relay's `escaped`/`stripped` (a page, docs/security.md#what-the-pages-show), so that
the two rules cannot drift apart unnoticed.

Each case gives the input and what each rule makes of it. `shown` is what both escaping
rules show (the CLI's `one_line` and the relay's `escaped`); where they legitimately
differ, the case gives the relay's `escaped` and says why in `differs`. `stripped` is the
relay's rule for text that is only read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What must never reach a terminal raw: C0 and C1 controls (but the newline, which the
# tests split on), the soft hyphen, invisible and bidi format characters, the BOM,
# interlinear annotations, tags and lone surrogates.
TERMINAL_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff]"
)


@dataclass(frozen=True)
class HarmlessCase:
    """One input, and what each rule makes of it at `limit` characters."""

    name: str
    raw: str
    shown: str
    stripped: str
    limit: int = 200
    escaped: str | None = None
    differs: str = ""

    @property
    def relay_escaped(self) -> str:
        """What the relay's `escaped` shows: `shown`, unless the case says otherwise."""
        return self.shown if self.escaped is None else self.escaped


# Whitespace other than the plain space: the CLI folds it into one line; the relay shows
# where a host's name had it, since a person decides from that name.
_FOLDED = "one_line folds whitespace runs into one space; escaped shows each one"

CASES = (
    HarmlessCase("plain text", "plain text", "plain text", "plain text"),
    HarmlessCase(
        "letters beyond ASCII",
        "caf\u00e9 \u2014 \u00fcber \u65e5\u672c",
        "caf\u00e9 \u2014 \u00fcber \u65e5\u672c",
        "caf\u00e9 \u2014 \u00fcber \u65e5\u672c",
    ),
    HarmlessCase(
        "an OSC sequence (window title)", "\x1b]0;owned\x07", "\\x1b]0;owned\\x07", "]0;owned"
    ),
    HarmlessCase(
        "CSI sequences (clear, home)",
        "\x1b[2J\x1b[HSigned in as root",
        "\\x1b[2J\\x1b[HSigned in as root",
        "[2J[HSigned in as root",
    ),
    HarmlessCase("NUL", "x\x00y", "x\\x00y", "xy"),
    HarmlessCase("DEL", "a\x7fb", "a\\x7fb", "ab"),
    HarmlessCase("the C1 CSI", "\x9b31m", "\\x9b31m", "31m"),
    HarmlessCase("a bidi override", "abc\u202edcba", "abc\\u202edcba", "abcdcba"),
    HarmlessCase(
        "bidi isolates and a zero-width space",
        "x\u2066y\u2069z\u200bw",
        "x\\u2066y\\u2069z\\u200bw",
        "xyzw",
    ),
    HarmlessCase("a soft hyphen", "a\u00adb", "a\\xadb", "ab"),
    HarmlessCase("a BOM", "\ufeffa", "\\ufeffa", "a"),
    HarmlessCase("a tag character", "tag\U000e0041", "tag\\U000e0041", "tag"),
    HarmlessCase(
        "a lone surrogate", "lone \ud800 surrogate", "lone \\ud800 surrogate", "lone  surrogate"
    ),
    HarmlessCase(
        "line breaks and tabs",
        "two\nlines\r\n\tand tabs",
        "two lines and tabs",
        "two lines and tabs",
        escaped="two\\x0alines\\x0d\\x0a\\x09and tabs",
        differs=_FOLDED,
    ),
    HarmlessCase(
        "a line separator", "a\u2028b", "a b", "a b", escaped="a\\u2028b", differs=_FOLDED
    ),
    HarmlessCase("a no-break space", "a\u00a0b", "a b", "a b", escaped="a\\xa0b", differs=_FOLDED),
    HarmlessCase(
        "a backslash that looks like an escape",
        "C:\\x1b",
        "C:\\x1b",
        "C:\\x1b",
        escaped="C:\\\\x1b",
        differs="the relay escapes the backslash, so that a host cannot fake an escape on "
        "the page a person decides from; a terminal line is only read",
    ),
    HarmlessCase(
        "a letter that renders as nothing",
        "a\u3164b",
        "a\u3164b",
        "ab",
        escaped="a\\u3164b",
        differs="one_line escapes what acts on a terminal or hides text by its code point "
        "ranges; the relay also escapes letters that render as nothing (a page shows a gap)",
    ),
    HarmlessCase("text at the limit", "a" * 12, "a" * 12, "a" * 12, limit=12),
    HarmlessCase(
        "text past the limit", "a" * 13, "a" * 11 + "\u2026", "a" * 11 + "\u2026", limit=12
    ),
    HarmlessCase("long text", "B" * 500, "B" * 9 + "\u2026", "B" * 9 + "\u2026", limit=10),
    HarmlessCase(
        "escapes past the limit",
        "ab" + "\u202e" * 10,
        "ab\\u202e\\u2\u2026",
        "ab",
        limit=12,
        escaped="ab\\u202e\u2026",
        differs="the relay cuts between whole escapes; one_line cuts the shown text at the "
        "limit, which may end inside an escape (still harmless: only backslashes and hex)",
    ),
)


# Each class of character that could hide or disguise a host's name on the relay's page,
# by name: (the character, the escape the page shows instead).
HIDDEN = {
    "NUL": ("\x00", "\\x00"),
    "ESC (a terminal escape sequence)": ("\x1b[2J", "\\x1b[2J"),
    "BEL": ("\x07", "\\x07"),
    "TAB": ("\t", "\\x09"),
    "LF": ("\n", "\\x0a"),
    "CR": ("\r", "\\x0d"),
    "DEL": ("\x7f", "\\x7f"),
    "C1 CSI": ("\x9b", "\\x9b"),
    "NEL": ("\x85", "\\x85"),
    "right-to-left override": ("\u202e", "\\u202e"),
    "left-to-right embedding": ("\u202a", "\\u202a"),
    "right-to-left isolate": ("\u2067", "\\u2067"),
    "pop directional isolate": ("\u2069", "\\u2069"),
    "right-to-left mark": ("\u200f", "\\u200f"),
    "arabic letter mark": ("\u061c", "\\u061c"),
    "zero-width space": ("\u200b", "\\u200b"),
    "zero-width joiner": ("\u200d", "\\u200d"),
    "word joiner": ("\u2060", "\\u2060"),
    "byte order mark": ("\ufeff", "\\ufeff"),
    "soft hyphen": ("\u00ad", "\\xad"),
    "line separator": ("\u2028", "\\u2028"),
    "paragraph separator": ("\u2029", "\\u2029"),
    "no-break space": ("\u00a0", "\\xa0"),
    "ideographic space": ("\u3000", "\\u3000"),
    "hangul filler": ("\u3164", "\\u3164"),
    "combining grapheme joiner": ("\u034f", "\\u034f"),
    "variation selector": ("\ufe0f", "\\ufe0f"),
    "blank braille pattern": ("\u2800", "\\u2800"),
    "tag letter": ("\U000e0041", "\\U000e0041"),
    "private use": ("\ue000", "\\ue000"),
    "unassigned": ("\U0003ffff", "\\U0003ffff"),
}
