"""Notification destinations: how they are named in reports, and the missing extra."""

from __future__ import annotations

import sys

import pytest

from awslogin.adapters.notify import EXTRA_MISSING, Message, redacted, require_extra, send
from awslogin.errors import UsageError
from tests.support.destinations import link_in, smtp_server

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://user:secret@hooks.example.com:8443/path?token=t", "json://hooks.example.com:8443"),
        ("mailto://alice:app-password@smtp.example.com?to=a@b", "mailto://smtp.example.com"),
        ("ntfys://ntfy.sh/secret-topic", "ntfys://ntfy.sh"),
        ("tgram://123456:bot-token/987", "tgram://"),
        ("ntfy://secret-topic", "ntfy://"),
        ("json://127.0.0.1:9/x", "json://127.0.0.1:9"),
        ("json://[::1]:9/x", "json://[::1]:9"),
        ("json://localhost/x", "json://localhost"),
        ("json://hooks.example.com:notaport/x", "json://hooks.example.com"),
        ("json://[::1/x", "(a destination that is not a URL)"),
        ("\x1b[31mevil://a.b", "?://"),
    ],
)
def test_a_destination_is_named_by_scheme_and_host_only(url: str, shown: str) -> None:
    assert redacted(url) == shown
    assert "secret" not in redacted(url)
    assert "token" not in redacted(url)


def test_without_the_extra_a_destination_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise now fails
    with pytest.raises(UsageError, match=r"pip install 'awslogin\[notify\]'"):
        require_extra(["json://127.0.0.1:9/x"])
    require_extra([])  # no destination: nothing needed
    undelivered = send(["json://127.0.0.1:9/x"], Message("t", "b"))
    assert [(each.destination, each.reason) for each in undelivered] == [
        ("json://127.0.0.1:9", EXTRA_MISSING)
    ]


def test_a_url_apprise_does_not_know_is_undelivered_at_once() -> None:
    [undelivered] = send(["nosuchscheme://example.com/x"], Message("t", "b"), 5)
    assert undelivered.destination == "nosuchscheme://example.com"
    assert "not a destination Apprise knows" in undelivered.reason


def test_a_message_keeps_its_lines_as_an_email_delivers_it() -> None:
    with smtp_server() as mail:
        assert send([mail.url], Message("t", "Host: h\nOpen: https://r.example/p/abc"), 10) == []
        body = mail.wait_for_message(1, 10)
    assert link_in(body) == "https://r.example/p/abc"
