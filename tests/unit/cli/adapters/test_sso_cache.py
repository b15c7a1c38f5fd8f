"""The AWS CLI's SSO token and registration files, read defensively."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit


def test_sso_token_and_registration_files_are_read_defensively() -> None:
    from awslogin.adapters.sso_cache import parse_registration, parse_token

    assert parse_token({"accessToken": 1}) is None
    assert parse_token({"accessToken": "at", "expiresAt": 5, "region": "eu-west-1"}) == {
        "accessToken": "at",
        "region": "eu-west-1",
    }
    good = {"clientId": "c", "clientSecret": "s", "expiresAt": "2030-01-01T00:00:00Z"}
    assert parse_registration({**good, "scopes": ["sso:account:access"]}) == {
        **good,
        "scopes": ["sso:account:access"],
    }
    assert parse_registration({**good, "scopes": "sso:account:access"}) is None
    assert parse_registration({**good, "scopes": [], "grantTypes": "refresh_token"}) is None
