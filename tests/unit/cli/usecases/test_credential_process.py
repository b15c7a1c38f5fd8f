"""`awslogin credential-process` for aws-signin: served from the login cache, one line when
not signed in, no network after the session's end, nothing heavy imported on a cache hit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.aws_signin_cli import ALICE, one_line, write_login_cache
from tests.support.command_line import run

pytestmark = pytest.mark.unit


def test_credential_process_serves_the_login_cache(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    write_login_cache(signin_unit_env)
    code, out, _ = run(capsys, signin_unit_env, "credential-process", "--profile", "dev")
    assert code == 0
    output = json.loads(out)
    assert output["Version"] == 1
    assert output["AccessKeyId"] == "ASIACACHED"
    assert output["SessionToken"] == "cached-token"
    assert output["AccountId"] == ALICE.split(":")[4]


def test_a_profile_that_aws_login_wrote_works_as_it_stands(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    Path(signin_unit_env["AWS_CONFIG_FILE"]).write_text(
        f"[profile plain]\nlogin_session = {ALICE}\n"
    )
    write_login_cache(signin_unit_env)
    code, out, _ = run(capsys, signin_unit_env, "credential-process", "--profile", "plain")
    assert code == 0
    assert json.loads(out)["AccessKeyId"] == "ASIACACHED"


def test_not_signed_in_is_one_line(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    code, _, err = run(capsys, signin_unit_env, "credential-process", "--profile", "dev")
    assert code == 1
    assert "awslogin login --profile dev" in one_line(err)


def test_a_session_past_its_12_hours_asks_for_a_login_without_the_network(
    capsys: pytest.CaptureFixture[str], signin_unit_env: dict[str, str]
) -> None:
    write_login_cache(signin_unit_env, credentials_left=-10, session_left=-1)
    code, _, err = run(capsys, signin_unit_env, "credential-process", "--profile", "dev")
    assert code == 1
    line = one_line(err)
    assert "time limit" in line
    assert "awslogin login --profile dev" in line


def test_cache_hit_imports_nothing_heavy(signin_unit_env: dict[str, str]) -> None:
    write_login_cache(signin_unit_env)
    probe = (
        "import sys\nfrom awslogin.cli.main import main\n"
        "code = main(['credential-process', '--profile', 'dev'])\n"
        "heavy = {'httpx', 'cryptography', 'qrcode', 'jwt', 'filelock', 'argparse',\n"
        "         'apprise'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy), file=sys.stderr); sys.exit(code or bool(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **signin_unit_env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == "ASIACACHED"


def test_the_refresh_path_never_imports_apprise() -> None:
    """Refreshing (every provider, the snapshot worker of serve and exec) needs no
    notification: apprise is left to login and renewals."""
    probe = (
        "import sys\nimport awslogin.usecases.snapshot, awslogin.usecases.credential_process\n"
        "import awslogin.providers.oidc, awslogin.providers.sso, awslogin.providers.aws_signin\n"
        "print(sorted({'apprise'} & set(sys.modules)), file=sys.stderr)\n"
        "sys.exit('apprise' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_serve_and_exec_load_no_flow_and_no_apprise_until_they_renew() -> None:
    """An idle serve holds neither the flows, httpx nor Apprise: a renewal runs them in
    its worker (usecases/renewal_attempt.py)."""
    probe = (
        "import sys\nimport awslogin.usecases.serve, awslogin.usecases.exec\n"
        "heavy = {'apprise', 'httpx', 'cryptography', 'qrcode', 'pydantic', 'awslogin.flows'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy), file=sys.stderr); sys.exit(bool(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
