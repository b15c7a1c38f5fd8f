"""`awslogin configure` for aws-signin: the profile written, the file kept, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.aws_signin_cli import one_line
from tests.support.command_line import run

pytestmark = pytest.mark.unit


def test_configure_writes_an_aws_signin_profile_and_keeps_the_file(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    code, out, _ = run(
        capsys,
        signin_unit_env,
        "configure",
        "--provider",
        "aws-signin",
        "--profile",
        "new",
        "--region",
        "eu-west-1",
    )
    assert code == 0
    text = Path(signin_unit_env["AWS_CONFIG_FILE"]).read_text()
    assert text.startswith("# team config\n[profile dev]\n")
    assert "[profile new]\nawslogin_provider = aws-signin\nregion = eu-west-1\n" in text
    assert "credential_process" not in text.split("[profile new]")[1]
    assert "awslogin login --profile new" in out
    assert "credential_process = awslogin credential-process --profile new" in out


@pytest.mark.parametrize(
    ("profile", "words"),
    [("keys", "Access Key credentials"), ("oidc", "awslogin oidc profile")],
)
def test_configure_refuses_profiles_with_other_credentials(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str], profile: str, words: str
) -> None:
    config = Path(signin_unit_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + "\n[profile oidc]\nawslogin_provider = oidc\n")
    before = config.read_text()
    code, _, err = run(
        capsys, signin_unit_env, "configure", "--provider", "aws-signin", "--profile", profile
    )
    assert code == 1
    assert words in one_line(err)
    assert config.read_text() == before


def test_configure_refuses_oidc_options(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    code, _, err = run(
        capsys,
        signin_unit_env,
        "configure",
        "--provider",
        "aws-signin",
        "--profile",
        "new",
        "--issuer",
        "https://idp.example.test",
    )
    assert code == 2
    assert "--issuer" in one_line(err)
