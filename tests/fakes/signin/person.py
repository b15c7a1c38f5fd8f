"""A person in a browser, played with httpx: for tests that need a code without Chromium."""

from __future__ import annotations

import re
from html import unescape

import httpx

_REQUEST_ID = re.compile(r"name='request_id' value='([^']+)'")
_VERIFICATION_CODE = re.compile(r"<pre id='verification-code'>([^<]+)</pre>")


def answer_sign_in(authorize_url: str, *, username: str = "alice", allow: bool = True) -> str:
    """Open the sign-in page, submit it, and return the redirect Location (not followed)."""
    with httpx.Client(follow_redirects=False, timeout=5) as client:
        page = client.get(authorize_url)
        page.raise_for_status()
        match = _REQUEST_ID.search(page.text)
        if match is None:
            raise AssertionError("sign-in page has no form")
        answer = client.post(
            authorize_url.split("?", 1)[0],
            data={
                "request_id": unescape(match.group(1)),
                "username": username,
                "action": "allow" if allow else "deny",
            },
        )
        if answer.status_code != 302:
            raise AssertionError(f"sign-in answer was {answer.status_code}")
        return answer.headers["location"]


def read_verification_code(confirmation_url: str) -> str:
    """Open the cross-device confirmation page and read the code shown to the person."""
    page = httpx.get(confirmation_url, timeout=5)
    page.raise_for_status()
    match = _VERIFICATION_CODE.search(page.text)
    if match is None:
        raise AssertionError("confirmation page shows no verification code")
    return unescape(match.group(1))
