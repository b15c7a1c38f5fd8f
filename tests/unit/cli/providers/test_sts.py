"""STS AssumeRoleWithWebIdentity over respx: credentials parsed from XML, errors in one line,
the role session name sanitised."""

from __future__ import annotations

import httpx
import pytest
import respx

from awslogin.errors import ProviderError
from awslogin.providers.sts import assume_role_with_web_identity, role_session_name
from tests.support.fake_idp import ROLE_ARN, STS_URL, sts_response

pytestmark = pytest.mark.unit


def test_sts_credentials_are_parsed_from_xml() -> None:
    with respx.mock() as router:
        route = router.post(STS_URL).respond(200, text=sts_response())
        with httpx.Client() as client:
            creds = assume_role_with_web_identity(client, STS_URL, ROLE_ARN, "alice", "jwt", 600)
    sent = dict(x.split("=", 1) for x in route.calls[0].request.content.decode().split("&"))
    assert sent["Action"] == "AssumeRoleWithWebIdentity"
    assert sent["DurationSeconds"] == "900"
    assert creds.access_key_id == "ASIAEXAMPLE"
    assert creds.secret_access_key == "secret/key"
    assert creds.assumed_role_arn.endswith(":assumed-role/dev/alice")


def test_sts_errors_are_one_line() -> None:
    error = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Code>'
        "AccessDenied</Code><Message>Not authorized\nto perform</Message></Error></ErrorResponse>"
    )
    with respx.mock() as router, httpx.Client() as client:
        router.post(STS_URL).respond(403, text=error)
        with pytest.raises(ProviderError) as failure:
            assume_role_with_web_identity(client, STS_URL, ROLE_ARN, "alice", "jwt", 3600)
    assert failure.value.message == (
        f"STS refused AssumeRoleWithWebIdentity for {ROLE_ARN}: "
        "AccessDenied: Not authorized to perform"
    )


def test_role_session_name_is_sanitised() -> None:
    assert role_session_name({"email": "a b@x.test"}) == "a-b@x.test"
    assert role_session_name({"sub": "x" * 100}) == "x" * 64
    assert role_session_name({}) == "awslogin"
