"""RELAY_STORE's Redis URLs, Sentinel's included: parsed offline, refused in one line
that never repeats the URL (it may hold a password)."""

from __future__ import annotations

import pytest

from awslogin_relay.redis_urls import SentinelUrl, check_url, parse_sentinel_url
from awslogin_relay.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        (
            "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,sentinel-c/awslogin",
            SentinelUrl(
                sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26380), ("sentinel-c", 26379)),
                service="awslogin",
            ),
        ),
        (
            "redis+sentinel://:p%40ss@[2001:db8::1]:26379,[2001:db8::2]/relay-store/3"
            "?sentinel_password=s3nt",
            SentinelUrl(
                sentinels=(("2001:db8::1", 26379), ("2001:db8::2", 26379)),
                service="relay-store",
                db=3,
                password="p@ss",
                sentinel_password="s3nt",
            ),
        ),
        (
            "redis+sentinel://relay:hunter2@s1:1/awslogin",
            SentinelUrl(
                sentinels=(("s1", 1),), service="awslogin", username="relay", password="hunter2"
            ),
        ),
    ],
)
def test_sentinel_urls_are_parsed(url: str, parsed: SentinelUrl) -> None:
    assert parse_sentinel_url(url) == parsed
    check_url(url)
    assert Settings.from_env({"RELAY_STORE": url}).store == url


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://:hunter2@s1:26379",  # no service name
        "redis+sentinel://:hunter2@s1:26379/",
        "redis+sentinel://:hunter2@s1:port/awslogin",
        "redis+sentinel://:hunter2@s1:70000/awslogin",
        "redis+sentinel://:hunter2@s1,,s2/awslogin",
        "redis+sentinel://:hunter2@s1/awslogin/zero",
        "redis+sentinel://:hunter2@s1/awslogin/0/extra",
        "redis+sentinel://:hunter2@[::1/awslogin",
        "redis+sentinel://:hunter2@::1/awslogin",
        "redis+sentinel://:hunter2@s1/awslogin?socket_timeout=1",
        "redis+sentinel://:hunter2@s1/awslogin#x",
        "redis://:hunter2@cache:port/0",
    ],
)
def test_malformed_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="not a valid Redis URL") as info:
        check_url(url)
    assert "hunter2" not in str(info.value)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"RELAY_STORE": url})
    message = str(refused.value)
    assert message.startswith("RELAY_STORE:")
    assert "hunter2" not in message
    assert "redis+sentinel://" in message  # it says which forms are accepted


def test_a_sentinel_password_keeps_its_plus_and_no_password_is_printed() -> None:
    url = parse_sentinel_url("redis+sentinel://:p+1@s1/awslogin?sentinel_password=a+b%2Bc")
    assert (url.password, url.sentinel_password) == ("p+1", "a+b+c")
    assert "p+1" not in repr(url)
    assert "a+b+c" not in repr(url)


@pytest.mark.parametrize(
    "url", ["redis+sentinel://s1:²/awslogin", "redis+sentinel://s1/awslogin/²"]
)
def test_digits_that_are_not_ascii_are_refused_without_quoting_the_url(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_sentinel_url(url)
    assert "²" not in str(refused.value)
