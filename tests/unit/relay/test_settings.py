"""Settings from the environment, and the awslogin-relay command line."""

from __future__ import annotations

import ipaddress
import subprocess
import sys

import pytest

from awslogin_relay.__main__ import main, settings_from
from awslogin_relay.settings import SPECS, Settings, SettingsError

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.public_url == "http://127.0.0.1:8080"
    assert settings.callback_uri == "http://127.0.0.1:8080/callback"
    assert settings.verification_uri == "http://127.0.0.1:8080/link"
    assert settings.store == "memory"
    assert settings.pairing_ttl == 600
    assert settings.max_wait == 25
    assert (settings.result_ttl, settings.redelivery_ttl) == (120, 60)
    assert settings.allowed_origins == ()
    assert settings.create_tokens == ()
    assert settings.workers == 1
    assert settings.max_pending == 10000
    assert settings.max_pending_per_client == 20
    assert settings.max_pending_per_token == 1000
    assert (settings.ipv4_prefix, settings.ipv6_prefixes) == (32, (64, 48))
    assert settings.link_misses == 60


def test_values_are_parsed_and_normalized() -> None:
    settings = Settings.from_env(
        {
            "RELAY_PUBLIC_URL": "https://relay.example.com/",
            "RELAY_ALLOWED_ORIGINS": "https://IdP.example.com:443/, http://127.0.0.1:9000",
            "RELAY_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "RELAY_STORE": "redis://127.0.0.1:6379/0",
            "RELAY_WORKERS": "4",
            "RELAY_CREATE_TOKEN": "0123456789abcdef, team-b-0123456789abcdef,",
            "RELAY_POLL_INTERVAL": "0.5",
            "RELAY_MAX_PENDING_PER_CLIENT": "5",
            "RELAY_IPV4_PREFIX": "24",
            "RELAY_IPV6_PREFIXES": "64, 56,48",
        }
    )
    assert settings.public_url == "https://relay.example.com"
    assert settings.allowed_origins == ("https://idp.example.com", "http://127.0.0.1:9000")
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1"),
    )
    assert settings.workers == 4
    assert settings.poll_interval == 0.5
    assert settings.create_tokens == ("0123456789abcdef", "team-b-0123456789abcdef")
    assert settings.max_pending_per_client == 5
    assert (settings.ipv4_prefix, settings.ipv6_prefixes) == (24, (64, 56, 48))


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"RELAY_PORT": "http"}, "RELAY_PORT"),
        ({"RELAY_PORT": "70000"}, "RELAY_PORT"),
        ({"RELAY_PAIRING_TTL": "-1"}, "RELAY_PAIRING_TTL"),
        ({"RELAY_MAX_WAIT": "1000"}, "RELAY_MAX_WAIT"),
        ({"RELAY_ALLOWED_ORIGINS": "idp.example.com"}, "RELAY_ALLOWED_ORIGINS"),
        ({"RELAY_ALLOWED_ORIGINS": "https://idp.example.com/authorize"}, "RELAY_ALLOWED_ORIGINS"),
        ({"RELAY_ALLOWED_ORIGINS": "https://u@idp.example.com"}, "RELAY_ALLOWED_ORIGINS"),
        ({"RELAY_PUBLIC_URL": "ftp://relay"}, "RELAY_PUBLIC_URL"),
        ({"RELAY_PUBLIC_URL": "https://relay/?x=1"}, "RELAY_PUBLIC_URL"),
        ({"RELAY_STORE": "postgres://u:hunter2@db"}, "RELAY_STORE"),
        ({"RELAY_STORE": "redis://:hunter2@db:port/0"}, "RELAY_STORE"),
        ({"RELAY_TRUSTED_PROXIES": "10.0.0.0/33"}, "RELAY_TRUSTED_PROXIES"),
        ({"RELAY_CREATE_TOKEN": "short"}, "RELAY_CREATE_TOKEN"),
        ({"RELAY_CREATE_TOKEN": "0123456789abcdef,short"}, "RELAY_CREATE_TOKEN"),
        ({"RELAY_CREATE_TOKEN": "0123456789abcdef,0123456789abcdef"}, "RELAY_CREATE_TOKEN"),
        ({"RELAY_MAX_PENDING_PER_CLIENT": "0"}, "RELAY_MAX_PENDING_PER_CLIENT"),
        ({"RELAY_IPV4_PREFIX": "33"}, "RELAY_IPV4_PREFIX"),
        ({"RELAY_IPV6_PREFIXES": "64,16"}, "RELAY_IPV6_PREFIXES"),
        ({"RELAY_IPV6_PREFIXES": "129"}, "RELAY_IPV6_PREFIXES"),
        ({"RELAY_IPV6_PREFIXES": "48,64"}, "RELAY_IPV6_PREFIXES"),
        ({"RELAY_IPV6_PREFIXES": "64,64"}, "RELAY_IPV6_PREFIXES"),
        ({"RELAY_IPV6_PREFIXES": "64,/48"}, "RELAY_IPV6_PREFIXES"),
        ({"RELAY_IPV6_PREFIX": "56"}, "RELAY_IPV6_PREFIX"),  # renamed: said, not ignored
        ({"RELAY_LINK_MISSES": "0"}, "RELAY_LINK_MISSES"),
        ({"RELAY_WORKERS": "2"}, "RELAY_WORKERS"),  # memory store cannot be shared
        ({"RELAY_RESULT_TTL": "900"}, "RELAY_RESULT_TTL"),
        ({"RELAY_REDELIVERY_TTL": "0"}, "RELAY_REDELIVERY_TTL"),
        ({"RELAY_REDELIVERY_TTL": "soon"}, "RELAY_REDELIVERY_TTL"),
        ({"RELAY_MAX_BODY": "10"}, "RELAY_MAX_BODY"),
        ({"RELAY_LOG_LEVEL": "loud"}, "RELAY_LOG_LEVEL"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    message = str(info.value)
    assert message.startswith(f"{named}:")
    assert "\n" not in message
    assert "hunter2" not in message
    assert isinstance(info.value, ValueError)


def test_flags_override_the_environment() -> None:
    settings = settings_from(["--port", "9999", "--max-wait", "5"], {"RELAY_PORT": "1234"})
    assert settings.port == 9999
    assert settings.max_wait == 5


def test_bad_value_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_PORT", "nope")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("awslogin-relay: error: RELAY_PORT:")


def test_help_documents_every_setting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "awslogin_relay", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for spec in SPECS:
        assert spec.name in result.stdout
