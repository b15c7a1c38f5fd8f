"""A User-Agent in a few plain words for the host's confirmation notice, whatever was sent."""

from __future__ import annotations

import re
import time

import pytest

from awslogin_relay.domain.browser_summary import MAX_NAME, browser_summary

pytestmark = pytest.mark.unit

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PLAIN = re.compile(rf"[A-Za-z0-9 .+_-]{{0,{2 * MAX_NAME + 4}}}")


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
            "Firefox on Linux",
        ),
        ("python-httpx/0.27.0", ""),
        ("", ""),
    ],
)
def test_a_known_browser_is_named_in_a_few_words(user_agent: str, summary: str) -> None:
    assert browser_summary(user_agent) == summary


@pytest.mark.parametrize(
    "user_agent",
    [
        "Evil\x1b[31m/1.0 (\x07Windows NT 10.0)",  # escape sequences and a bell
        "Mozilla/5.0 (\u202eenohPi; CPU iPhone OS 17_5) Safari/604.1",  # bidi override
        "Mozilla/5.0 (Windows NT 10.0) Chrome/1.0\r\nX-Injected: yes",
        "Mozilla/5.0 (Linux; Android 14; \u200bPixel\u00a0\ufeff8) Chrome/126.0 Mobile",
        "Opera/9.80 (" + "Ω" * 5000 + ") Presto/2.12",
    ],
)
def test_a_hostile_user_agent_becomes_plain_short_words(user_agent: str) -> None:
    summary = browser_summary(user_agent)
    assert PLAIN.fullmatch(summary), summary


def test_a_huge_user_agent_is_cut_before_parsing() -> None:
    browser_summary(IPHONE)  # the rules are loaded
    started = time.perf_counter()
    assert browser_summary(IPHONE + "x" * 1_000_000) == "Safari on iPhone"
    assert time.perf_counter() - started < 0.5
