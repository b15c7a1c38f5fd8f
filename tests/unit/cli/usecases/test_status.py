"""`awslogin status` for aws-signin: the session from the login cache."""

from __future__ import annotations

import pytest

from tests.support.aws_signin_cli import ALICE, write_login_cache
from tests.support.command_line import run

pytestmark = pytest.mark.unit


def test_status_shows_the_session_from_the_login_cache(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    write_login_cache(signin_unit_env)
    code, out, _ = run(capsys, signin_unit_env, "status", "--profile", "dev")
    assert code == 0
    assert "provider:    aws-signin" in out
    assert f"identity:    {ALICE}" in out
    assert "min left" in out
