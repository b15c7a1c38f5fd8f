"""Profile settings: a relay URL must be https, except on loopback; a pin
(`awslogin_expected_identity`) must be one printable ARN pattern."""

from __future__ import annotations

import pytest

from awslogin.errors import UsageError
from awslogin.profile import (
    expected_identity,
    normalize_relay_url,
    notify_destinations,
    session_limit,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "url", ["ftp://relay.test", "http://relay.example.com", "https://relay.test/?a=1", "nope"]
)
def test_relay_url_must_be_https_except_loopback(url: str) -> None:
    with pytest.raises(UsageError):
        normalize_relay_url(url)
    assert normalize_relay_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_no_pin_and_a_pin() -> None:
    assert expected_identity("dev", {}) is None
    pin = "arn:aws:sts::123456789012:assumed-role/dev/*"
    assert expected_identity("dev", {"awslogin_expected_identity": pin}) == pin


@pytest.mark.parametrize("pin", ["", "   ", "arn:*\x1b[2J", "arn:*\u202e", "a" * 2049])
def test_a_pin_no_arn_could_match_is_refused_before_any_sign_in(pin: str) -> None:
    with pytest.raises(UsageError, match="must be one ARN pattern"):
        expected_identity("dev", {"awslogin_expected_identity": pin})


@pytest.mark.parametrize(
    ("given", "environ", "profile", "expected"),
    [
        (
            ["json://a", "mailto://b,ntfy://c"],
            {"AWSLOGIN_NOTIFY": "json://e"},
            "json://p",
            ["json://a", "mailto://b", "ntfy://c"],
        ),
        ([], {"AWSLOGIN_NOTIFY": "json://e1, json://e2"}, "json://p", ["json://e1", "json://e2"]),
        ([], {}, "json://p1 json://p2,json://p3", ["json://p1", "json://p2", "json://p3"]),
        ([], {"AWSLOGIN_NOTIFY": " "}, "", []),
    ],
)
def test_destinations_come_from_the_flag_then_the_environment_then_the_profile(
    given: list[str], environ: dict[str, str], profile: str, expected: list[str]
) -> None:
    assert notify_destinations(given, environ, {"awslogin_notify": profile}) == expected


@pytest.mark.parametrize(("text", "seconds"), [(None, 43200), ("120", 120), (" 3600 ", 3600)])
def test_the_session_limit_is_seconds_with_a_default(text: str | None, seconds: int) -> None:
    values = {} if text is None else {"awslogin_session_limit": text}
    assert session_limit("dev", values, 43200) == seconds
