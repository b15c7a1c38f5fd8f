"""The edge settings (head size, read timeouts, keep-alive, connection cap) and the cap
that the relay derives from its open-file limit."""

from __future__ import annotations

import pytest

from awslogin_relay.server import connection_cap, edge_limits, uvicorn_options
from awslogin_relay.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


def test_defaults_bound_heads_reads_and_idle_connections() -> None:
    settings = Settings.from_env({})
    assert settings.max_header == 16384
    assert settings.header_timeout == 10.0
    assert settings.body_timeout == 10.0
    assert settings.keepalive_timeout == 5
    assert settings.max_connections == 0
    limits = edge_limits(settings, open_files=20000)
    assert (limits.max_head, limits.header_timeout, limits.body_timeout) == (16384, 10.0, 10.0)
    options = uvicorn_options(settings)
    assert options["http"] == "awslogin_relay.edge:EdgeProtocol"
    assert options["timeout_keep_alive"] == 5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RELAY_MAX_HEADER", "100", "RELAY_MAX_HEADER: expected a whole number from 1024"),
        # above 64 KiB, uvicorn would refuse a long request target before the head limit
        (
            "RELAY_MAX_HEADER",
            "65537",
            "RELAY_MAX_HEADER: expected a whole number from 1024 to 65536",
        ),
        ("RELAY_HEADER_TIMEOUT", "0", "RELAY_HEADER_TIMEOUT: expected 0.1 to 3600 seconds"),
        ("RELAY_BODY_TIMEOUT", "soon", "RELAY_BODY_TIMEOUT: expected a number of seconds"),
        ("RELAY_KEEPALIVE_TIMEOUT", "0", "RELAY_KEEPALIVE_TIMEOUT: expected a whole number"),
        ("RELAY_MAX_CONNECTIONS", "-1", "RELAY_MAX_CONNECTIONS: expected a whole number"),
    ],
)
def test_a_bad_edge_setting_is_one_line_naming_it(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("configured", "open_files", "cap"),
    [
        (0, 1024, 896),  # an eighth of the limit is kept free
        (0, 1_048_576, 917_504),
        (0, 256, 192),  # and at least 64 descriptors
        (0, 40, 16),  # never below 16
        (500, 1024, 500),  # a setting below the limit is kept
        (5000, 1024, 896),  # one above it is lowered to what the limit allows
    ],
)
def test_connection_cap_stays_below_the_open_file_limit(
    configured: int, open_files: int, cap: int
) -> None:
    assert connection_cap(configured, open_files) == cap
