"""`configure --expected-identity`: the pin is written as login reads it, checked before
any question, kept when not given again, and refused where it cannot be checked (sso)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from awslogin.cli.main import main

pytestmark = pytest.mark.unit

PIN = "arn:aws:sts::123456789012:assumed-role/dev/alice@*"


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


def test_the_pin_is_written_and_kept_when_configured_again(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    assert main(["configure", "--profile", "dev", "--expected-identity", PIN], env) == 0
    assert f"awslogin_expected_identity = {PIN}\n" in config.read_text()

    assert main(["configure", "--profile", "dev", "--relay", "https://r.example.com"], env) == 0
    assert f"awslogin_expected_identity = {PIN}\n" in config.read_text()

    signin = ["configure", "--provider", "aws-signin", "--profile", "console"]
    assert main([*signin, "--region", "us-east-1", "--expected-identity", "arn:*"], env) == 0
    assert "awslogin_expected_identity = arn:*\n" in config.read_text()
    capsys.readouterr()


@pytest.mark.parametrize(
    ("provider", "pin", "said"),
    [
        ("oidc", "arn:*\x1b[2J", "must be one ARN pattern"),
        ("aws-signin", " ", "must be one ARN pattern"),
        ("sso", "arn:*\n", "must be one ARN pattern"),
    ],
)
def test_a_pin_that_cannot_hold_is_refused_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], provider: str, pin: str, said: str
) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    before = config.read_bytes()
    argv = ["configure", "--provider", provider, "--profile", "new", "--expected-identity", pin]

    code = main(argv, env)

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert said in err[0]
    assert config.read_bytes() == before
