"""The command line as a person meets it: questions asked again after a bad answer,
Ctrl-D, a bare `awslogin`, an unknown option, help, and advice that can be followed."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from awslogin.cli import commands
from awslogin.cli.main import main
from awslogin.errors import AwsloginError
from tests.support.command_line import run
from tests.support.fake_idp import ISSUER
from tests.support.harmless_text import TERMINAL_UNSAFE

pytestmark = pytest.mark.unit

ROLE = "arn:aws:iam::123456789012:role/r"


def answering(monkeypatch: pytest.MonkeyPatch, *lines: str, then_eof: bool = False) -> None:
    """A terminal on stdin that answers `lines` in turn (then Ctrl-D, if asked)."""
    answers = io.StringIO("".join(f"{line}\n" for line in lines))
    answers.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", answers)


def test_configure_asks_again_after_a_bad_answer_and_keeps_the_others(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answering(
        monkeypatch,
        ISSUER,
        "cid",
        "arn:aws:iam::1:user/x",  # not a role: asked again
        ROLE,
        "http://relay.example.com",  # plain http elsewhere than loopback: asked again
        "https://relay.example.com/",
        "Ireland",  # not a region: asked again, after the relay was settled
        "eu-west-1",
    )
    code, _, err = run(capsys, env, "configure", "--profile", "p2")
    assert code == 0, err
    assert err.count("OIDC issuer URL") == 1
    assert err.count("IAM role ARN (--role-arn)") == 2
    assert "is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME); try again (2 left)" in err
    assert "must use https (http only for 127.0.0.1); try again (2 left)" in err
    assert "'Ireland' is not an AWS region name (like us-east-1); try again (2 left)" in err
    # the relay's complaint comes before the region is asked
    assert err.index("must use https") < err.index("AWS region (--region")
    text = Path(env["AWS_CONFIG_FILE"]).read_text()
    section = text[text.index("[profile p2]") :]
    assert section == (
        "[profile p2]\nawslogin_provider = oidc\n"
        f"awslogin_issuer = {ISSUER}\nawslogin_client_id = cid\n"
        f"awslogin_role_arn = {ROLE}\nawslogin_relay = https://relay.example.com\n"
        "region = eu-west-1\n"
        "credential_process = awslogin credential-process --profile p2\n"
    )


def test_configure_gives_up_after_three_bad_answers_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answering(monkeypatch, "ftp://idp", "", "http://idp.example.com")
    before = Path(env["AWS_CONFIG_FILE"]).read_text()
    code, _, err = run(capsys, env, "configure", "--profile", "p3")
    assert code == 2
    # (a terminal echoes each answer and its newline; this stdin does not)
    assert err.endswith(
        ": awslogin: issuer 'http://idp.example.com' must be an https URL "
        "(3 tries; nothing was written)\n"
    )
    assert "OIDC issuer URL (--issuer) is required; try again (1 left)" in err
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == before


def test_a_bad_option_is_refused_before_any_question(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answering(monkeypatch, ISSUER, "cid", ROLE, "", "")
    code, _, err = run(capsys, env, "configure", "--profile", "p4", "--region", "mars")
    assert code == 2
    assert err == "awslogin: 'mars' is not an AWS region name (like us-east-1)\n"


def test_ctrl_d_at_a_question_ends_the_line_and_says_so_once(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answering(monkeypatch, ISSUER)  # then the input ends: Ctrl-D at the second question
    code, _, err = run(capsys, env, "configure", "--profile", "p5")
    assert code == 2
    assert err.endswith(
        "OIDC client id (--client-id): \nawslogin: no answer: the input ended (Ctrl-D)\n"
    )
    assert err.count("OIDC client id") == 1


def test_bare_awslogin_prints_help_and_exits_as_a_usage_error(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, out, err = run(capsys, env)
    assert code == 2
    assert out.startswith("usage: awslogin ")
    assert "login" in out
    assert "exit codes:" in out
    assert err == ""
    assert run(capsys, env, "--debug")[:2] == (2, out)


@pytest.mark.parametrize("command", ["login", "status", "configure", "export"])
def test_an_unknown_option_points_at_the_commands_own_help(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], command: str
) -> None:
    code, _, err = run(capsys, env, command, "--bogus")
    assert code == 2
    assert err == (f"awslogin: unrecognized arguments: --bogus (see `awslogin {command} --help`)\n")


@pytest.mark.parametrize(
    "command",
    ["configure", "login", "credential-process", "export", "serve", "exec", "status", "logout"],
)
def test_every_commands_profile_option_has_help(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], command: str
) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"], env)
    assert done.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--profile PROFILE profile " in help_text


def test_login_on_a_profile_with_static_keys_gives_advice_that_can_be_followed(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + "\n[profile plain]\naws_access_key_id = AKIAEXAMPLE\n"
        "aws_secret_access_key = example\n"
    )
    code, _, err = run(capsys, env, "login", "--profile", "plain")
    assert code == 1
    assert "awslogin configure --profile plain" not in err
    assert err == (
        "awslogin: profile plain gets Access Key credentials from the AWS config file, not "
        "from awslogin: the AWS CLI and SDKs use it as it is, with no login. To sign in with "
        "awslogin, give it a profile of its own: `awslogin configure --profile NEW_NAME`\n"
    )
    # what it would have advised refuses; what it advises works
    refused, _, _ = run(
        capsys, env, "configure", "--profile", "plain", "--issuer", ISSUER,
        "--client-id", "c", "--role-arn", ROLE,
    )  # fmt: skip
    assert refused == 1
    followed, _, _ = run(
        capsys, env, "configure", "--profile", "plain-sso", "--issuer", ISSUER,
        "--client-id", "c", "--role-arn", ROLE,
    )  # fmt: skip
    assert followed == 0


def test_every_message_the_command_line_prints_is_one_filtered_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Hostile(AwsloginError):
        pass

    def hostile_command(args: list[str], environ: object) -> int:
        raise Hostile("relay said: \x1b[2J\nawslogin: Signed in as admin\u202e" + "y" * 5000)

    monkeypatch.setattr(commands, "run", hostile_command)
    assert main(["status"], {}) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("awslogin: relay said: \\x1b[2J awslogin: Signed in as admin\\u202e")
    assert TERMINAL_UNSAFE.search(err) is None
    assert len(err) < 1100
