"""A person at the browser, without a browser: drives the fake's pages with httpx.

For tests of a CLI flow that need the sign-in to happen while the CLI waits; tests that
want the real thing can drive the same forms with Chromium.
"""

from __future__ import annotations

import re

import httpx


def sign_in(authorize_url: str, *, approve: bool = True, user: str = "alice") -> str:
    """Opens the authorize URL, submits the sign-in form; returns the redirect back.

    The redirect (to the client's loopback `redirect_uri`) is returned, not followed, so
    the caller decides whether to deliver it to a waiting listener.
    """
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        page = client.get(authorize_url)
        if page.status_code in (302, 303):
            return page.headers["location"]
        page.raise_for_status()
        action = re.search(r"<form method=post action=([^ >]+)>", page.text)
        if action is None:
            raise RuntimeError("no sign-in form on the authorize page")
        answer = client.post(
            httpx.URL(authorize_url).join(action.group(1)),
            data={"username": user, "action": "allow" if approve else "deny"},
        )
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"sign-in form answered {answer.status_code}")
        return answer.headers["location"]


def decide_device(
    verification_uri_complete: str, *, approve: bool = True, user: str = "alice"
) -> None:
    """Opens the device page and presses Allow (or Deny) for the code it was given."""
    url = httpx.URL(verification_uri_complete)
    user_code = url.params.get("user_code", "")
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        client.get(url).raise_for_status()
        answer = client.post(
            url.copy_with(query=None),
            data={
                "user_code": user_code,
                "username": user,
                "action": "approve" if approve else "deny",
            },
        )
        answer.raise_for_status()
