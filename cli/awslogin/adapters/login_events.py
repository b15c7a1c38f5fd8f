"""`awslogin login --json`: one JSON object per line on stdout for each thing the login
shows, for a wrapper or an editor to drive the sign-in as `tailscale up --json` allows
(each event is shown here on as many lines as it needs; it is one line on stdout).

The one owner of the events' wire shape: each event is a TypedDict below, written by
`JsonLoginEvents` and nowhere else. In order (README "Login events for programs"):

    {"event": "link", "url": "https://relay.example.com/p/7Hq2kXbM4vNc",
     "type_at": "https://relay.example.com/link"}
    {"event": "code", "user_code": "BDKM-TRWX", "number": 47}
    {"event": "expiry", "expires_at": "2026-11-22T01:10:00Z", "expires_in": 600}
    {"event": "confirmed",
     "text": "Confirmed at 01:01 from 10.0.4.7 (Chrome on Android). Not you? Ctrl-C."}
    {"event": "waiting", "text": "Waiting for the sign-in..."}
    {"event": "waiting", "text": "Waiting for the relay at relay.example.com to answer..."}
    {"event": "result", "signed_in": true, "profile": "dev",
     "identity": "arn:aws:sts::...", "session_expires_at": "2026-11-22T13:00:00Z"}

`type_at` only when there is a page to type the code at, `code` only when the flow has a
user code, `number` only when the relay asks for number matching (the page offers three
numbers; the person picks this one), `confirmed` when the relay says who confirmed the
pairing (docs/protocol.md, "The confirmation notice"), `waiting` each time the waiting
line's words change (the relay does not answer, and answers again), and
`result` always last, also when the login fails (`signed_in: false`, with the one line
that stderr shows and the exit code). No event holds a secret: the link and the code are
what the QR code and the terminal show, passed through the terminal's `one_line`; tokens
and credentials never reach this module.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Literal, NotRequired, TextIO, TypedDict


class LinkEvent(TypedDict):
    event: Literal["link"]
    url: str
    type_at: NotRequired[str]  # a page where the code can be typed instead


class CodeEvent(TypedDict):
    event: Literal["code"]
    user_code: str  # the code the relay page (or the provider's) must show
    number: NotRequired[int]  # the one to choose of the three the relay page offers


class ExpiryEvent(TypedDict):
    event: Literal["expiry"]
    expires_at: str  # UTC ISO 8601: the link stops working then (or --timeout ends)
    expires_in: int  # seconds from this event


class WaitingEvent(TypedDict):
    event: Literal["waiting"]
    text: str  # what the waiting line says now


class ConfirmedEvent(TypedDict):
    event: Literal["confirmed"]
    text: str  # when, from where and which browser confirmed, as the terminal says it


class SignedInEvent(TypedDict):
    event: Literal["result"]
    signed_in: Literal[True]
    profile: str
    identity: str  # the ARN, or sso's "role R in account A"
    session_expires_at: str  # UTC ISO 8601: credentials refresh until then


class FailedEvent(TypedDict):
    event: Literal["result"]
    signed_in: Literal[False]
    error: str  # the one line stderr shows after "awslogin: "
    exit_code: int


LoginEvent = (
    LinkEvent
    | CodeEvent
    | ExpiryEvent
    | WaitingEvent
    | ConfirmedEvent
    | SignedInEvent
    | FailedEvent
)


def utc_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class JsonLoginEvents:
    """Writes each event as one line of JSON to `out`, flushed at once (a reader acts on
    the link while the login waits). Called from the waiting line's thread too."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def _write(self, event: LoginEvent) -> None:
        with self._lock:
            # ASCII only: a Windows pipe encodes with the ANSI code page, which cannot
            # write every character an IdP or a relay may send; JSON's escapes can.
            self._out.write(json.dumps(event) + "\n")
            self._out.flush()

    def link(self, url: str, type_at: str | None) -> None:
        event: LinkEvent = {"event": "link", "url": url}
        if type_at:
            event["type_at"] = type_at
        self._write(event)

    def code(self, user_code: str, number: int | None) -> None:
        event: CodeEvent = {"event": "code", "user_code": user_code}
        if number is not None:
            event["number"] = number
        self._write(event)

    def expiry(self, seconds_left: int) -> None:
        self._write(
            {
                "event": "expiry",
                "expires_at": utc_time(time.time() + seconds_left),
                "expires_in": seconds_left,
            }
        )

    def waiting(self, text: str) -> None:
        self._write({"event": "waiting", "text": text})

    def confirmed(self, text: str) -> None:
        self._write({"event": "confirmed", "text": text})

    def signed_in(self, profile: str, identity: str, session_expires_at: int) -> None:
        self._write(
            {
                "event": "result",
                "signed_in": True,
                "profile": profile,
                "identity": identity,
                "session_expires_at": utc_time(session_expires_at),
            }
        )

    def failed(self, error: str, exit_code: int) -> None:
        self._write({"event": "result", "signed_in": False, "error": error, "exit_code": exit_code})
