"""Opening the browser, and telling whether this machine has one the user can see.

`webbrowser` honours BROWSER. Without BROWSER, an SSH session or a Linux box with no
display has no browser the person can use: login then goes remote by itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

BrowserOpener = Callable[[str], bool]


def why_no_local_browser(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """None when a browser can open here; otherwise the reason, for the message to the user."""
    if environ.get("BROWSER"):
        return None
    if environ.get("SSH_CONNECTION") or environ.get("SSH_CLIENT") or environ.get("SSH_TTY"):
        return "SSH session"
    unix_desktop = platform.startswith("linux") or "bsd" in platform
    if unix_desktop and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return "no display"
    return None


def open_in_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False
