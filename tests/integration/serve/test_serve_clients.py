"""`awslogin serve` for an oidc profile, used by boto3 and the AWS CLI v1 through the
container credentials variables alone, with the token in a variable or in a file."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve_clients import BOTO3_IDENTITY, ServeProcess, boto3_identity, client_env

pytestmark = pytest.mark.integration

ROLE = "arn:aws:sts::123456789012:assumed-role/dev/"


def test_boto3_and_the_aws_cli_get_the_profiles_credentials(
    oidc_env: dict[str, str], oidc_cache: Path, sts: Any, tmp_path: Path
) -> None:
    cached = json.loads(oidc_cache.read_text())["credentials"]
    with ServeProcess(oidc_env, "dev", log=tmp_path / "serve.log") as serve:
        assert set(serve.variables) == {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
        }
        assert serve.url.startswith("http://127.0.0.1:")
        assert serve.url.endswith("/credentials/dev")
        env = client_env(serve.variables, tmp_path)

        seen = boto3_identity(env, sts.endpoint_url)
        assert seen["method"] == "container-role"
        assert seen["key"] == cached["AccessKeyId"]
        assert seen["arn"].startswith(ROLE)

        aws_cli_v1 = str(Path(sys.executable).parent / "aws")  # pip's awscli, the test extra
        aws = subprocess.run(
            [aws_cli_v1, "sts", "get-caller-identity", "--endpoint-url", sts.endpoint_url],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert aws.returncode == 0, aws.stderr
        assert json.loads(aws.stdout)["Arn"].startswith(ROLE)
        version = subprocess.run([aws_cli_v1, "--version"], capture_output=True, text=True)
        assert version.stdout.startswith("aws-cli/1."), version.stdout

        # EKS Pod Identity's form: the token in a file the SDK reads at each fetch.
        token_file = tmp_path / "token"
        token_file.write_text(serve.token)
        by_file = dict(serve.variables)
        del by_file["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        by_file["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(token_file)
        assert (
            boto3_identity(client_env(by_file, tmp_path), sts.endpoint_url)["key"]
            == (cached["AccessKeyId"])
        )
        assert serve.stop() == 0

    audit = serve.audit()
    assert [line["outcome"] for line in audit] == ["served"] * 3
    assert all(line["client"] == "127.0.0.1" and line["status"] == 200 for line in audit)
    assert all(line["profile"] == "dev" for line in audit)
    assert audit[0]["expiration"] == cached["Expiration"]
    logged = serve.stderr()
    for secret in (cached["SecretAccessKey"], cached["SessionToken"], cached["AccessKeyId"]):
        assert secret not in logged
    assert serve.token not in logged
    assert "Traceback" not in logged
    assert serve.messages()[-1] == "awslogin: stopped serving profile dev"


def test_env_file_is_private_and_read_by_the_clients(
    oidc_env: dict[str, str], sts: Any, tmp_path: Path
) -> None:
    env_file = tmp_path / "serve" / "dev.env"
    with ServeProcess(
        oidc_env, "dev", "--env-file", str(env_file), log=tmp_path / "serve.log"
    ) as serve:
        assert serve.stdout() == ""  # nothing secret on the terminal
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        variables = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"].endswith("/credentials/dev")
        assert variables["AWS_REGION"] == "us-east-1"
        # A shell reads the same file with `set -a; . FILE; set +a`.
        shell = subprocess.run(
            [
                "sh",
                "-c",
                f'set -a; . "{env_file}"; set +a; exec "$@"',
                "sh",
                sys.executable,
                "-c",
                BOTO3_IDENTITY,
                sts.endpoint_url,
            ],
            env=client_env({}, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shell.returncode == 0, shell.stderr
        assert json.loads(shell.stdout)["method"] == "container-role"
        assert str(env_file) in serve.messages()[0]
