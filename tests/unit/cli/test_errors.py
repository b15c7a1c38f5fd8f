"""The CLI's errors as a person reads them: one filtered line (the table of
tests/support/harmless_text.py), failures told in words, interrupts named."""

from __future__ import annotations

import socket

import httpx
import pytest

from awslogin.errors import (
    UNEXPECTED,
    AwsloginError,
    Interrupted,
    UsageError,
    exit_code_of,
    failure_in_words,
    message_of,
    one_line,
)
from tests.support.harmless_text import CASES, TERMINAL_UNSAFE, HarmlessCase

pytestmark = pytest.mark.unit


def _raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except Exception as caught:
        return caught


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (
            _raised_from(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")),
            "connection refused (nothing listens there)",
        ),
        (
            _raised_from(httpx.ConnectError("x"), socket.gaierror(-2, "unknown")),
            "the host name does not resolve",
        ),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "could not connect"),
        (httpx.ConnectTimeout("x"), "no connection within the time limit"),
        (httpx.ReadTimeout("x"), "no answer within the time limit"),
        (httpx.RemoteProtocolError("x"), "the connection closed before a whole answer came"),
        (
            _raised_from(httpx.ReadError("x"), ConnectionResetError(104, "reset")),
            "the connection was reset",
        ),
        (httpx.UnsupportedProtocol("x"), "not an http or https address"),
        (OSError("?"), "the connection failed"),
    ],
)
def test_network_failures_are_told_in_words_never_by_class(
    failure: BaseException, words: str
) -> None:
    told = failure_in_words(failure)
    assert told == words
    assert type(failure).__name__ not in told


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_one_line_escapes_what_acts_on_a_terminal(case: HarmlessCase) -> None:
    shown = one_line(case.raw, case.limit)
    assert shown == case.shown
    assert TERMINAL_UNSAFE.search(shown) is None
    shown.encode("utf-8")  # printable on a UTF-8 stream


def test_one_line_cuts_long_text_and_says_so() -> None:
    assert one_line("x" * 5_000_000, 10) == "x" * 9 + "\u2026"
    assert one_line("x" * 10, 10) == "x" * 10
    assert len(one_line("\x1b" * 1000, 50)) == 50


def test_the_message_of_an_interrupt_names_the_signal() -> None:
    assert message_of(KeyboardInterrupt()) == "interrupted"
    assert message_of(Interrupted(15, "stopped (SIGTERM)")) == "stopped (SIGTERM)"
    assert Interrupted(15, "stopped (SIGTERM)").exit_code == 143
    assert Interrupted(1, "the terminal hung up (SIGHUP)").exit_code == 129
    assert message_of(RecursionError()) == UNEXPECTED  # a bug: no class name, see --debug


def test_the_exit_code_of_each_kind_of_failure() -> None:
    assert exit_code_of(AwsloginError("no")) == 1
    assert exit_code_of(UsageError("bad option")) == 2
    assert exit_code_of(KeyboardInterrupt()) == 130
    assert exit_code_of(Interrupted(15, "stopped (SIGTERM)")) == 143
    assert exit_code_of(RecursionError()) == 1
