"""A browser's User-Agent in a few words ("Safari on iPhone"), for the host's terminal.

The confirmation notice tells the person at the terminal which browser confirmed their
pairing (docs/protocol.md, "The confirmation notice"). A User-Agent is whatever the
browser, or anyone, sends: ua-parser's rules (the ones Browserscope and others keep up
to date) name its browser family and platform, and only letters, digits and a few
punctuation marks of those names are kept, each name cut short. So nothing the sender
chose reaches the terminal beyond a short, plain name; the host filters it again.
"""

from __future__ import annotations

import re

from ua_parser import parse

# ua-parser's rules scan the whole string: a longer User-Agent is cut before parsing,
# so that a huge header cannot make the confirmation slow (no real one is this long).
MAX_PARSED = 512
MAX_NAME = 24
_NOT_KNOWN = frozenset({"", "Other"})
# Words that say the form factor, which the platform says already.
_FORM_WORDS = re.compile(r"\b(?:Mobile|iOS)\b")
_UNSAFE = re.compile(r"[^A-Za-z0-9 .+_-]+")
_APPLE_DEVICES = frozenset({"iPhone", "iPad", "iPod"})
_PLATFORMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}


def _plain(name: str | None) -> str:
    """`name` with only plain characters, one space between words, at most MAX_NAME."""
    if not name or name in _NOT_KNOWN:
        return ""
    return " ".join(_UNSAFE.sub(" ", name).split())[:MAX_NAME].strip()


def browser_summary(user_agent: str) -> str:
    """ "Safari on iPhone", "Firefox on Linux", "Chrome", or "" when nothing is known."""
    parsed = parse(user_agent[:MAX_PARSED])
    family = _plain(_FORM_WORDS.sub("", parsed.user_agent.family if parsed.user_agent else ""))
    device = parsed.device.family if parsed.device else ""
    system = parsed.os.family if parsed.os else ""
    platform = _plain(device if device in _APPLE_DEVICES else _PLATFORMS.get(system, system))
    if family and platform:
        return f"{family} on {platform}"
    return family or platform
