"""`awslogin export --format`: each shell's lines as `aws configure export-credentials`
writes them (tests/integration/cli/test_export_shells.py compares with the real AWS CLI v2),
and a value that a shell would read as code is never printed for it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from awslogin.cli import export as export_command
from awslogin.cli.main import main
from awslogin.usecases.export import FORMATS, aws_cli_time
from tests.support.command_line import run
from tests.support.fake_idp import write_session

pytestmark = pytest.mark.unit


def _expiration(env: dict[str, str]) -> str:
    record = json.loads(Path(env["AWSLOGIN_CACHE_DIR"], "oidc--dev.json").read_text())
    expiration: str = record["credentials"]["Expiration"]
    assert expiration.endswith("Z")
    return expiration.removesuffix("Z") + "+00:00"


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        ("env", "export {name}={value}"),
        ("env-no-export", "{name}={value}"),
        ("powershell", '$Env:{name}="{value}"'),
        ("windows-cmd", "set {name}={value}"),
        ("fish", 'set -gx {name} "{value}"'),
    ],
)
def test_each_shell_gets_the_aws_clis_lines_then_the_account(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], fmt: str, line: str
) -> None:
    write_session(env)
    code, out, err = run(capsys, env, "export", "--profile", "dev", "--format", fmt)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        line.format(name=name, value=value)
        for name, value in [
            ("AWS_ACCESS_KEY_ID", "ASIAOLD"),
            ("AWS_SECRET_ACCESS_KEY", "old-secret"),
            ("AWS_SESSION_TOKEN", "old-token"),
            ("AWS_CREDENTIAL_EXPIRATION", _expiration(env)),
            ("AWS_ACCOUNT_ID", "123456789012"),
        ]
    ]


@pytest.mark.parametrize(
    ("fmt", "line_end"), [("env", b"\n"), ("fish", b"\n"), ("powershell", b"\r\n")]
)
def test_posix_and_fish_lines_end_in_a_line_feed_even_on_windows(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, fmt: str, line_end: bytes
) -> None:
    # Standard output as Windows makes it: text written with "\r\n" line ends.
    written = io.BytesIO()
    windows_stdout = io.TextIOWrapper(written, encoding="utf-8", newline="\r\n")
    monkeypatch.setattr(sys, "stdout", windows_stdout)
    write_session(env)
    assert main(["export", "--profile", "dev", "--format", fmt], env) == 0
    lines = written.getvalue().split(line_end)
    assert len(lines) == 6  # five variables, then the end
    assert all(b"\r" not in line for line in lines)


def test_json_is_credential_process_output(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_session(env)
    code, out, _ = run(capsys, env, "export", "--profile", "dev", "--format", "json")
    assert code == 0
    assert json.loads(out)["Expiration"].endswith("Z")  # as credential_process states it


def _hostile_session(env: dict[str, str]) -> None:
    path = write_session(env)
    record = json.loads(path.read_text())
    record["credentials"]["SessionToken"] = 'tok"$(touch pwned)`%PATH%&'
    path.write_text(json.dumps(record))


@pytest.mark.parametrize("fmt", ["powershell", "windows-cmd", "fish"])
def test_a_value_a_shell_would_interpret_is_refused_not_printed(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], fmt: str
) -> None:
    _hostile_session(env)
    code, out, err = run(capsys, env, "export", "--profile", "dev", "--format", fmt)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "would interpret" in err
    assert "pwned" not in err


@pytest.mark.parametrize("fmt", ["env", "env-no-export"])
def test_posix_shells_get_such_a_value_quoted(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], fmt: str
) -> None:
    _hostile_session(env)
    code, out, _ = run(capsys, env, "export", "--profile", "dev", "--format", fmt)
    assert code == 0
    assert "AWS_SESSION_TOKEN='tok\"$(touch pwned)`%PATH%&'\n" in out


def test_the_parser_offers_exactly_the_use_cases_formats() -> None:
    assert export_command.FORMATS == FORMATS


@pytest.mark.parametrize(
    ("stated", "printed"),
    [
        ("2026-11-22T01:00:00Z", "2026-11-22T01:00:00+00:00"),
        ("2026-11-22T01:00:00.250000Z", "2026-11-22T01:00:00.250000+00:00"),
        ("not a time", "not a time"),
    ],
)
def test_expiration_is_written_as_the_aws_cli_writes_it(stated: str, printed: str) -> None:
    assert aws_cli_time(stated) == printed
