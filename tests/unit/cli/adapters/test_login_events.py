"""The wire shape of `login --json`: one JSON object per line, flushed, each event's
fields and nothing else (tests/integration/cli/test_login_json.py runs a real login)."""

from __future__ import annotations

import io
import json
import re
import threading
import time

import pytest

from awslogin.adapters.login_events import JsonLoginEvents, utc_time

pytestmark = pytest.mark.unit


class Flushes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


def test_each_event_is_one_flushed_line_of_json() -> None:
    out = Flushes()
    events = JsonLoginEvents(out)
    events.link("https://relay.example.com/p/abc", "https://relay.example.com/link")
    events.link("https://idp.example.com/auth", None)
    events.code("BDKM-TRWX", 47)
    events.code("WXYZ", None)
    events.confirmed("Confirmed at 10:02 from 10.0.4.7 (Firefox on Linux). Not you? Ctrl-C.")
    events.waiting("Waiting for the relay to answer again...")
    events.signed_in("dev", "arn:aws:sts::123456789012:assumed-role/dev/alice", 1795348800)
    events.failed("interrupted", 130)
    lines = out.getvalue().splitlines()
    # flushed after each event, whole lines only
    assert [snapshot.count("\n") for snapshot in out.flushed] == list(range(1, 9))
    assert all(snapshot.endswith("\n") for snapshot in out.flushed)
    assert [json.loads(line) for line in lines] == [
        {
            "event": "link",
            "url": "https://relay.example.com/p/abc",
            "type_at": "https://relay.example.com/link",
        },
        {"event": "link", "url": "https://idp.example.com/auth"},
        {"event": "code", "user_code": "BDKM-TRWX", "number": 47},
        {"event": "code", "user_code": "WXYZ"},
        {
            "event": "confirmed",
            "text": "Confirmed at 10:02 from 10.0.4.7 (Firefox on Linux). Not you? Ctrl-C.",
        },
        {"event": "waiting", "text": "Waiting for the relay to answer again..."},
        {
            "event": "result",
            "signed_in": True,
            "profile": "dev",
            "identity": "arn:aws:sts::123456789012:assumed-role/dev/alice",
            "session_expires_at": "2026-11-22T12:00:00Z",
        },
        {"event": "result", "signed_in": False, "error": "interrupted", "exit_code": 130},
    ]


def test_expiry_is_an_absolute_utc_time_and_the_seconds_left() -> None:
    out = io.StringIO()
    before = time.time()
    JsonLoginEvents(out).expiry(600)
    event = json.loads(out.getvalue())
    assert set(event) == {"event", "expires_at", "expires_in"}
    assert event["expires_in"] == 600
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["expires_at"])
    assert utc_time(before + 599) <= event["expires_at"] <= utc_time(time.time() + 601)


def test_events_from_two_threads_never_share_a_line() -> None:
    out = io.StringIO()
    events = JsonLoginEvents(out)
    text = "x" * 10_000

    def tell() -> None:
        for _ in range(200):
            events.waiting(text)

    threads = [threading.Thread(target=tell) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [json.loads(line)["text"] for line in out.getvalue().splitlines()] == [text] * 800


def test_what_a_windows_pipe_cannot_encode_is_escaped() -> None:
    # A pipe on Windows encodes with the ANSI code page (cp1252 here), strictly.
    written = io.BytesIO()
    pipe = io.TextIOWrapper(written, encoding="cp1252", errors="strict")
    JsonLoginEvents(pipe).confirmed("Confirmed at 10:02 from 10.0.4.7 (Safari on iPhone ✓ 東京)")
    line = written.getvalue().decode("ascii")
    assert json.loads(line)["text"].endswith("iPhone ✓ 東京)")
