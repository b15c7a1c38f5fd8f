"""Fixtures for CLI unit tests: a stand-in IdP's keys and tokens (tests/support/fake_idp.py)
and an isolated environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.aws_signin_cli import aws_signin_unit_environ
from tests.support.command_line import isolated_environ
from tests.support.fake_idp import CLIENT_ID, ISSUER, ROLE_ARN, FakeIdp


@pytest.fixture
def idp() -> FakeIdp:
    return FakeIdp()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with its own config file and cache directory, no SSH, a display."""
    return isolated_environ(
        tmp_path,
        "# team config\n[default]\nregion = eu-west-1\n\n"
        f"[profile dev]\nawslogin_provider = oidc\nawslogin_issuer = {ISSUER}\n"
        f"awslogin_client_id = {CLIENT_ID}\nawslogin_role_arn = {ROLE_ARN}\nregion = us-east-1\n"
        "credential_process = awslogin credential-process --profile dev\n",
    )


@pytest.fixture
def signin_unit_env(tmp_path: Path) -> dict[str, str]:
    """Profile `dev` (provider aws-signin) and `keys` (static keys), see
    tests/support/aws_signin_cli.py."""
    return aws_signin_unit_environ(tmp_path)
