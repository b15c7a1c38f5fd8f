"""`awslogin export --format` against the real thing: the AWS CLI v2's own
`aws configure export-credentials` for the same credentials, and the shells that evaluate
the output (bash, fish) handing the credentials to a program they start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.ci import require_peer
from tests.peers.shells import aws_cli_v2, shell
from tests.support.fake_idp import CLIENT_ID, ISSUER, ROLE_ARN, write_session
from tests.support.host import awslogin_script, host_environ

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# Credentials shaped as STS issues them: base64 with `/`, `+` and `=`.
CREDENTIALS = {
    "AccessKeyId": "ASIAQWERTYUIOP123456",
    "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY+EXAMPLEKEY",
    "SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+abc/def==",
}
# What a program started by the shell must see.
EXPECTED = {
    "AWS_ACCESS_KEY_ID": CREDENTIALS["AccessKeyId"],
    "AWS_SECRET_ACCESS_KEY": CREDENTIALS["SecretAccessKey"],
    "AWS_SESSION_TOKEN": CREDENTIALS["SessionToken"],
    "AWS_ACCOUNT_ID": "123456789012",
}
# A program that prints the AWS variables it was given, as JSON.
SHOW_ENVIRONMENT = (
    "import json, os; "
    "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_') "
    "and k not in ('AWS_CONFIG_FILE',)}))"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Profile `dev` with a live awslogin session, whose credential_process is awslogin:
    the AWS CLI and awslogin see the same credentials."""
    config = tmp_path / "config"
    config.write_text(
        f"[profile dev]\nawslogin_provider = oidc\nawslogin_issuer = {ISSUER}\n"
        f"awslogin_client_id = {CLIENT_ID}\nawslogin_role_arn = {ROLE_ARN}\n"
        f"region = us-east-1\ncredential_process = {awslogin_script()} credential-process "
        "--profile dev\n"
    )
    environ = host_environ(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWSLOGIN_CACHE_DIR=str(tmp_path / "cache"),
        HOME=str(tmp_path),
    )
    path = write_session(environ)
    record = json.loads(path.read_text())
    record["credentials"].update(CREDENTIALS)
    path.write_text(json.dumps(record))
    return environ


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def _export(env: dict[str, str], fmt: str) -> str:
    return _run([awslogin_script(), "export", "--profile", "dev", "--format", fmt], env)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "account_line"),
    [
        ("env", "export AWS_ACCOUNT_ID=123456789012"),
        ("env-no-export", "AWS_ACCOUNT_ID=123456789012"),
        ("powershell", '$Env:AWS_ACCOUNT_ID="123456789012"'),
        ("windows-cmd", "set AWS_ACCOUNT_ID=123456789012"),
    ],
)
def test_the_same_lines_as_the_aws_cli_v2_then_the_account(
    env: dict[str, str], fmt: str, account_line: str
) -> None:
    aws = aws_cli_v2()
    require_peer(aws is not None, "the AWS CLI v2 (Debian package awscli)")
    assert aws is not None
    theirs = _run(
        [aws, "configure", "export-credentials", "--profile", "dev", "--format", fmt], env
    )
    ours = _export(env, fmt)
    assert CREDENTIALS["SessionToken"] in theirs  # the AWS CLI did read awslogin's session
    assert ours == theirs + account_line + "\n"


def test_fish_evaluates_its_format_and_its_programs_get_the_credentials(
    env: dict[str, str],
) -> None:
    fish = shell("fish")
    require_peer(fish is not None, "fish (Debian package fish)")
    assert fish is not None
    script = (
        f"{awslogin_script()} export --profile dev --format fish | source; "
        f"and {sys.executable} -c {_fish_quote(SHOW_ENVIRONMENT)}"
    )
    seen = json.loads(_run([fish, "--no-config", "-c", script], env))
    assert {name: seen.get(name) for name in EXPECTED} == EXPECTED
    assert seen["AWS_CREDENTIAL_EXPIRATION"].endswith("+00:00")


@pytest.mark.parametrize("fmt", ["env", "env-no-export"])
def test_bash_evaluates_the_posix_formats(env: dict[str, str], fmt: str) -> None:
    bash = shell("bash")
    require_peer(bash is not None, "bash")
    assert bash is not None
    # env-no-export sets shell variables only: the shell exports them itself, as a script
    # that wants them local would not.
    exported = "export ${!AWS_*}; " if fmt == "env-no-export" else ""
    script = (
        f'eval "$({awslogin_script()} export --profile dev --format {fmt})" && {exported}'
        f'{sys.executable} -c "{SHOW_ENVIRONMENT}"'
    )
    seen = json.loads(_run([bash, "--noprofile", "--norc", "-c", script], env))
    assert {name: seen.get(name) for name in EXPECTED} == EXPECTED


def test_bash_gets_a_hostile_value_as_data_not_code(env: dict[str, str], tmp_path: Path) -> None:
    bash = shell("bash")
    require_peer(bash is not None, "bash")
    assert bash is not None
    path = Path(env["AWSLOGIN_CACHE_DIR"], "oidc--dev.json")
    record = json.loads(path.read_text())
    hostile = f"x'$(touch {tmp_path}/pwned)`touch {tmp_path}/pwned`"
    record["credentials"]["SessionToken"] = hostile
    path.write_text(json.dumps(record))
    script = f'eval "$({awslogin_script()} export --profile dev)" && printf %s "$AWS_SESSION_TOKEN"'
    assert _run([bash, "--noprofile", "--norc", "-c", script], env) == hostile
    assert not (tmp_path / "pwned").exists()


def _fish_quote(text: str) -> str:
    """`text` as one fish word: single quotes, with `\\` and `'` escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
