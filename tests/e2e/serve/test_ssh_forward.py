"""Credentials over SSH without the refresh token, as README shows it: `serve` on the
laptop, its env file copied over, `ssh -R` for the port, boto3 on the remote host.

The "remote host" is this machine behind a real sshd on 127.0.0.1, so the laptop's port
is taken on it: the remote side forwards another port and its copy of the env file
says so (with a real remote host, both sides use the same port and the file as it is).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.peers._process import free_port
from tests.peers.sshd import SshServer
from tests.support.serve_clients import BOTO3_IDENTITY, ServeProcess

pytestmark = pytest.mark.e2e


def test_a_remote_host_uses_the_laptops_credentials_through_ssh_r(
    oidc_env: dict[str, str], oidc_cache: Path, ssh_server: SshServer, sts: Any, tmp_path: Path
) -> None:
    laptop_port = free_port()
    env_file = tmp_path / "dev.env"
    remote_home = tmp_path / "remote-home"
    remote_home.mkdir()
    with ServeProcess(
        oidc_env,
        "dev",
        "--port",
        str(laptop_port),
        "--env-file",
        str(env_file),
        log=tmp_path / "serve.log",
    ) as serve:
        remote_port = free_port()
        copied = remote_home / "awslogin-dev.env"
        done = subprocess.run(
            ssh_server.scp_argv(env_file, str(copied)), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        copied.write_text(copied.read_text().replace(f":{laptop_port}/", f":{remote_port}/"))

        remote_command = (
            f"cd {remote_home} && env -i HOME={remote_home} PATH=/usr/bin:/bin "
            f"sh -c 'set -a; . ./awslogin-dev.env; set +a; "
            f"exec {sys.executable} -c \"$0\" {sts.endpoint_url}' '{BOTO3_IDENTITY}'"
        )
        remote = subprocess.run(
            ssh_server.ssh_argv(
                remote_command, remote_forwards=[f"{remote_port}:127.0.0.1:{laptop_port}"]
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert remote.returncode == 0, remote.stderr
        seen = json.loads(remote.stdout)
        assert seen["method"] == "container-role"
        assert seen["key"] == json.loads(oidc_cache.read_text())["credentials"]["AccessKeyId"]
        assert seen["arn"].startswith("arn:aws:sts::123456789012:assumed-role/dev/")
        assert serve.audit()[-1]["outcome"] == "served"

    # What the remote host holds: the URL, the token and the region; no refresh token, no key.
    assert sorted(path.name for path in remote_home.iterdir()) == ["awslogin-dev.env"]
    names = [line.split("=", 1)[0] for line in copied.read_text().splitlines()]
    assert names == [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ]
    # Once serve has stopped, the forwarded port gives nothing.
    after = subprocess.run(
        ssh_server.ssh_argv(
            f"cd {remote_home} && env -i PATH=/usr/bin:/bin sh -c "
            f"'set -a; . ./awslogin-dev.env; set +a; exec {sys.executable} -c \"$0\"' "
            f"'{BOTO3_IDENTITY}'",
            remote_forwards=[f"{remote_port}:127.0.0.1:{laptop_port}"],
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert after.returncode != 0
    assert "Error when retrieving credentials from container-role" in after.stderr
