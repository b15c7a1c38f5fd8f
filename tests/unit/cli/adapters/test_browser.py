"""Browser detection: when the CLI may open a browser on this host, and why not."""

from __future__ import annotations

import pytest

from awslogin.adapters.browser import why_no_local_browser

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("environ", "platform", "reason"),
    [
        ({"DISPLAY": ":0"}, "linux", None),
        ({}, "linux", "no display"),
        ({"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, "linux", "SSH session"),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", "SSH session"),
        ({}, "darwin", None),
        ({"BROWSER": "/bin/true"}, "linux", None),
    ],
)
def test_browser_detection(environ: dict[str, str], platform: str, reason: str | None) -> None:
    assert why_no_local_browser(environ, platform) == reason
