"""Profile settings: a relay URL must be https, except on loopback."""

from __future__ import annotations

import pytest

from awslogin.errors import UsageError
from awslogin.profile import normalize_relay_url

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "url", ["ftp://relay.test", "http://relay.example.com", "https://relay.test/?a=1", "nope"]
)
def test_relay_url_must_be_https_except_loopback(url: str) -> None:
    with pytest.raises(UsageError):
        normalize_relay_url(url)
    assert normalize_relay_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
