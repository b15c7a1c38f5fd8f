"""`awslogin logout` for aws-signin: the cache removed, no revocation, `--all` included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.aws_signin_cli import write_login_cache
from tests.support.command_line import run

pytestmark = pytest.mark.unit


def test_logout_removes_the_cache_and_says_there_is_no_revocation(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    path = write_login_cache(signin_unit_env)
    code, out, _ = run(capsys, signin_unit_env, "logout", "--profile", "dev")
    assert code == 0
    assert not path.exists()
    assert "15 minutes" in out
    assert (
        "login_session" in Path(signin_unit_env["AWS_CONFIG_FILE"]).read_text()
    )  # as `aws logout`


def test_logout_all_includes_aws_signin_sessions(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    path = write_login_cache(signin_unit_env)
    code, out, _ = run(capsys, signin_unit_env, "logout", "--all")
    assert code == 0
    assert not path.exists()
    assert "Profile dev: removed" in out
