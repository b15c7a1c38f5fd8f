"""The sign-in link as a message: what it says, where it goes, and failures reported."""

from __future__ import annotations

import io
import time
from collections.abc import Sequence

import pytest

from awslogin.adapters.notify import Message, Undelivered
from awslogin.adapters.terminal import Terminal
from awslogin.usecases.link_notice import (
    NotifyingDisplay,
    Sending,
    link_message,
    stop_message,
)

pytestmark = pytest.mark.unit

LINK = "https://relay.example.com/p/7Hq2kXbM4vNc"
ROLE = "arn:aws:iam::123456789012:role/dev"


def test_the_message_names_host_profile_role_link_code_and_deadline() -> None:
    ends = time.time() + 600
    message = link_message(
        Sending("dev", ["json://x"], role=ROLE, renewal=True), LINK, "BDKM-TRWX", ends, 47
    )
    assert "Choose this number on the page: 47" in message.body
    assert "renew the session of profile dev" in message.title
    for part in ("Profile: dev", f"Role: {ROLE}", f"Open: {LINK}", "BDKM-TRWX", "works until"):
        assert part in message.body
    assert time.strftime("%H:%M", time.localtime(ends)) in message.body


def test_what_a_server_sent_is_one_line_in_the_message() -> None:
    message = link_message(
        Sending("dev", ["json://x"]), LINK + "\n\x1b[2JOpen evil.example", "AB\rCD", time.time()
    )
    assert "\x1b" not in message.body
    assert "\r" not in message.body
    assert "Role:" not in message.body  # no role known: none claimed


def test_the_stop_message_says_what_to_do() -> None:
    message = stop_message(Sending("dev", ["json://x"], renewal=True), "sign-in was denied")
    assert "stopped" in message.title
    assert "awslogin login --profile dev" in message.body


class Recorder:
    def __init__(self, failing: Sequence[str] = ()) -> None:
        self.sent: list[tuple[list[str], Message]] = []
        self.failing = failing

    def __call__(self, urls: Sequence[str], message: Message) -> list[Undelivered]:
        self.sent.append((list(urls), message))
        return [
            Undelivered("json://127.0.0.1:9", "no answer within 20 s")
            for u in urls
            if u in self.failing
        ]


def test_the_link_goes_out_once_its_deadline_is_known_and_failures_are_said() -> None:
    err = io.StringIO()
    terminal = Terminal(err=err, out=io.StringIO(), stdin=io.StringIO())
    recorder = Recorder(failing=["json://bad"])
    reported: list[Undelivered] = []
    display = NotifyingDisplay(
        terminal,
        Sending("dev", ["json://good", "json://bad"]),
        on_undelivered=reported.append,
        sender=recorder,
    )
    display.show_link(LINK, user_code="BDKM-TRWX", qr=False)
    assert recorder.sent == []  # not before the flow says until when it works
    with display.countdown("Waiting...", time.monotonic() + 300):
        pass
    [(urls, message)] = recorder.sent
    assert urls == ["json://good", "json://bad"]
    assert LINK in message.body
    assert [each.destination for each in reported] == ["json://127.0.0.1:9"]
    shown = err.getvalue()
    assert LINK in shown  # the terminal still shows it
    assert "could not notify json://127.0.0.1:9: no answer within 20 s" in shown
    assert "sent to 1 of 2 notification destinations" in shown
    assert display.sent.delivered == 1
    assert display.sent.at is not None
    with display.countdown("Waiting again...", time.monotonic() + 300):
        pass
    assert len(recorder.sent) == 1  # one message per link
