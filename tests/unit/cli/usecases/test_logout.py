"""`awslogin logout` for aws-signin: the cache removed even when AWS Sign-In cannot be
reached to revoke the refresh token, `--all` included."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.aws_signin_cli import one_line, write_login_cache
from tests.support.command_line import run

pytestmark = pytest.mark.unit


def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_logout_removes_the_cache_when_aws_signin_cannot_be_reached(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    env = signin_unit_env
    env["AWS_ENDPOINT_URL_SIGNIN"] = f"http://127.0.0.1:{closed_port()}"
    path = write_login_cache(env)
    code, out, err = run(capsys, env, "logout", "--profile", "dev")
    assert code == 0  # as `aws sso logout` when its Logout call fails
    assert not path.exists()
    assert "Profile dev: removed cached tokens and credentials" in out
    line = one_line(err)
    assert "refresh token not revoked" in line
    assert "cannot reach AWS Sign-In" in line
    assert "login_session" in Path(env["AWS_CONFIG_FILE"]).read_text()  # as `aws logout`


def test_logout_all_includes_aws_signin_sessions(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    env = signin_unit_env
    env["AWS_ENDPOINT_URL_SIGNIN"] = f"http://127.0.0.1:{closed_port()}"
    path = write_login_cache(env)
    code, out, err = run(capsys, env, "logout", "--all")
    assert code == 0
    assert not path.exists()
    assert "Profile dev: removed" in out
    assert "profile dev: refresh token not revoked" in one_line(err)
