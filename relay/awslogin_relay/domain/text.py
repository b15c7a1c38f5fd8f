"""Text that others send and a person's page shows: one line, nothing that can deceive.

Jinja's autoescaping keeps markup out of the pages; what it leaves is text that looks
different from what it is: control characters, format characters (zero-width joiners,
soft hyphens) and the bidi overrides that reorder what follows them, and line or
paragraph separators that break one line into several. `one_line` removes them, so a
host's failure reason or a provider's error reads on the phone as the characters it
holds (docs/protocol.md, "Outcome").
"""

from __future__ import annotations

import unicodedata

# Cc control, Cf format (bidi overrides and isolates included), Cs surrogates, Co
# private use, Cn unassigned: removed. Zl/Zp separators and whitespace become a space.
_REMOVED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
ELLIPSIS = "\u2026"


def one_line(text: str, limit: int) -> str:
    """`text` as one line of at most `limit` characters, ending in "…" when cut."""
    kept: list[str] = []
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Zl", "Zp"):
            if kept and kept[-1] != " ":
                kept.append(" ")
        elif unicodedata.category(char) not in _REMOVED:
            kept.append(char)
    line = "".join(kept).strip()
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + ELLIPSIS
    return line
