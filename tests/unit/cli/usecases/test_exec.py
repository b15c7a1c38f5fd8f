"""`awslogin exec`: the command's environment, nesting refused, a default profile found."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.errors import UsageError
from awslogin.usecases.exec import (
    ExecOptions,
    _refuse_nesting,
    command_environment,
    default_profile_credentials,
    exec_command,
)

pytestmark = pytest.mark.unit


def test_the_commands_environment_has_nothing_that_shadows_the_endpoint() -> None:
    environ = {
        "PATH": "/bin",
        "AWS_PROFILE": "other",
        "AWS_DEFAULT_PROFILE": "other",
        "AWS_ACCESS_KEY_ID": "AKIA",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "t",
        "AWS_SECURITY_TOKEN": "t",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/f",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/w",
        "AWS_ROLE_ARN": "arn",
        "AWS_CONFIG_FILE": "/config",
        "AWS_ENDPOINT_URL_STS": "http://sts",
        # aliases that older SDKs read before the standard names
        "AWS_ACCESS_KEY": "AKIA",
        "AWS_SECRET_KEY": "s",
        "AMAZON_ACCESS_KEY_ID": "AKIA",
        "AMAZON_SECRET_ACCESS_KEY": "s",
        "AMAZON_SESSION_TOKEN": "t",
        "AWS_SESSION_EXPIRATION": "2020-01-01T00:00:00Z",
    }
    env = command_environment(environ, "dev", "eu-west-1")
    assert env == {
        "PATH": "/bin",
        "AWS_CONFIG_FILE": "/config",
        "AWS_ENDPOINT_URL_STS": "http://sts",
        "AWSLOGIN_EXEC_PROFILE": "dev",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    # A region the person chose wins over the profile's, under both names.
    chosen = command_environment({"AWS_DEFAULT_REGION": "us-west-2"}, "dev", "eu-west-1")
    assert chosen["AWS_REGION"] == chosen["AWS_DEFAULT_REGION"] == "us-west-2"


def test_nesting_another_profile_is_refused_the_same_is_not() -> None:
    _refuse_nesting("dev", {"AWSLOGIN_EXEC_PROFILE": "dev"})
    _refuse_nesting("dev", {})
    with pytest.raises(UsageError, match="already inside `awslogin exec --profile prod`"):
        _refuse_nesting("dev", {"AWSLOGIN_EXEC_PROFILE": "prod"})


def test_a_default_profile_with_credentials_is_found(tmp_path: Path) -> None:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    environ = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    assert default_profile_credentials(environ) is None
    config.write_text("[default]\nregion = eu-west-1\n[profile dev]\ncredential_process = x\n")
    assert default_profile_credentials(environ) is None
    config.write_text("[default]\ncredential_process = awslogin credential-process\n")
    assert default_profile_credentials(environ) == "credential_process"
    credentials.write_text("[default]\naws_access_key_id = AKIA\n")
    assert default_profile_credentials(environ) == "aws_access_key_id"


def test_env_with_notify_is_refused_as_nothing_would_renew(tmp_path: Path) -> None:
    """--env hands fixed credentials to a command that replaces awslogin: refused before
    anything is read or run, rather than dropping the renewal without a word."""
    options = ExecOptions(
        profile="dev", command=["true"], env=True, notify=("json://127.0.0.1:9/hook",)
    )
    environ = {"AWS_CONFIG_FILE": str(tmp_path / "config")}
    terminal = Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO())
    with pytest.raises(UsageError, match=r"^--notify renews .* drop --env or --notify$"):
        exec_command(options, environ, terminal)
