"""aws-signin through the command line: configure, credential-process, status, logout."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from awslogin.cli.main import main
from awslogin.crypto.dpop import DpopKey
from awslogin.stores.aws_signin import token_from_record

pytestmark = pytest.mark.unit

ALICE = "arn:aws:iam::123456789012:user/alice"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config"
    config.write_text(
        "# team config\n[profile dev]\nawslogin_provider = aws-signin\nregion = us-east-1\n"
        f"login_session = {ALICE}\n\n[profile keys]\naws_access_key_id = AKIAEXAMPLE\n"
    )
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWSLOGIN_CACHE_DIR": str(tmp_path / "cache"),
        "AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path / "login"),
        "HOME": str(tmp_path),
        "DISPLAY": ":0",
        "PATH": "/usr/bin:/bin",
    }


def cache_file(env: dict[str, str], session: str = ALICE) -> Path:
    name = hashlib.sha256(session.encode()).hexdigest() + ".json"
    return Path(env["AWS_LOGIN_CACHE_DIRECTORY"]) / name


def write_login_cache(
    env: dict[str, str], *, credentials_left: float = 600, session_left: float = 40000
) -> Path:
    now = int(time.time())
    record: dict[str, Any] = {
        "config": {"login_session": ALICE},
        "identity": {"arn": ALICE, "accountId": "123456789012"},
        "credentials": {
            "AccessKeyId": "ASIACACHED",
            "SecretAccessKey": "cached-secret",
            "SessionToken": "cached-token",
            "Expiration": "",
            "ExpiresAt": now + credentials_left,
        },
        "session": {"startedAt": now - 100, "expiresAt": now + session_left},
        "providerState": {
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": "rt-1",
            "idToken": "x.e30.y",
            "dpopKey": DpopKey.generate().to_pem(),
            "tokenType": "aws_sigv4",
        },
    }
    path = cache_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(token_from_record(record, None)))
    return path


def run(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], *args: str
) -> tuple[int, str, str]:
    code = main(list(args), env)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("awslogin: ")
    return lines[0]


# configure -------------------------------------------------------------------------------


def test_configure_writes_an_aws_signin_profile_and_keeps_the_file(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, out, _ = run(
        capsys,
        env,
        "configure",
        "--provider",
        "aws-signin",
        "--profile",
        "new",
        "--region",
        "eu-west-1",
    )
    assert code == 0
    text = Path(env["AWS_CONFIG_FILE"]).read_text()
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
    capsys: pytest.CaptureFixture[str], env: dict[str, str], profile: str, words: str
) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + "\n[profile oidc]\nawslogin_provider = oidc\n")
    before = config.read_text()
    code, _, err = run(capsys, env, "configure", "--provider", "aws-signin", "--profile", profile)
    assert code == 1
    assert words in one_line(err)
    assert config.read_text() == before


def test_configure_refuses_oidc_options(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, _, err = run(
        capsys,
        env,
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


# credential-process, status, logout --------------------------------------------------------


def test_credential_process_serves_the_login_cache(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_login_cache(env)
    code, out, _ = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 0
    output = json.loads(out)
    assert output["Version"] == 1
    assert output["AccessKeyId"] == "ASIACACHED"
    assert output["SessionToken"] == "cached-token"
    assert output["AccountId"] == ALICE.split(":")[4]


def test_a_profile_that_aws_login_wrote_works_as_it_stands(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    Path(env["AWS_CONFIG_FILE"]).write_text(f"[profile plain]\nlogin_session = {ALICE}\n")
    write_login_cache(env)
    code, out, _ = run(capsys, env, "credential-process", "--profile", "plain")
    assert code == 0
    assert json.loads(out)["AccessKeyId"] == "ASIACACHED"


def test_not_signed_in_is_one_line(capsys: pytest.CaptureFixture[str], env: dict[str, str]) -> None:
    code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 1
    assert "awslogin login --profile dev" in one_line(err)


def test_a_session_past_its_12_hours_asks_for_a_login_without_the_network(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_login_cache(env, credentials_left=-10, session_left=-1)
    code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 1
    line = one_line(err)
    assert "time limit" in line
    assert "awslogin login --profile dev" in line


def test_status_shows_the_session_from_the_login_cache(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_login_cache(env)
    code, out, _ = run(capsys, env, "status", "--profile", "dev")
    assert code == 0
    assert "provider:    aws-signin" in out
    assert f"identity:    {ALICE}" in out
    assert "min left" in out


def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_logout_removes_the_cache_when_aws_signin_cannot_be_reached(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
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
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    env["AWS_ENDPOINT_URL_SIGNIN"] = f"http://127.0.0.1:{closed_port()}"
    path = write_login_cache(env)
    code, out, err = run(capsys, env, "logout", "--all")
    assert code == 0
    assert not path.exists()
    assert "Profile dev: removed" in out
    assert "profile dev: refresh token not revoked" in one_line(err)


def test_cache_hit_imports_nothing_heavy(env: dict[str, str]) -> None:
    write_login_cache(env)
    probe = (
        "import sys\nfrom awslogin.cli.main import main\n"
        "code = main(['credential-process', '--profile', 'dev'])\n"
        "heavy = {'httpx', 'cryptography', 'qrcode', 'jwt', 'filelock', 'argparse'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy), file=sys.stderr); sys.exit(code or bool(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == "ASIACACHED"
