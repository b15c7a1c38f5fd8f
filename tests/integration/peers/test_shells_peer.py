"""The shell peers are the programs they claim to be: each shell answers as itself, and
the AWS CLI found is version 2 (the test environment's own `aws` is version 1)."""

from __future__ import annotations

import subprocess

import pytest

from tests.peers.ci import require_peer
from tests.peers.shells import SHELLS, aws_cli_v2, shell

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", sorted(SHELLS))
def test_each_shell_answers_as_itself(name: str) -> None:
    path = shell(name)
    require_peer(path is not None, f"{name} (Debian package {name})")
    assert path is not None
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert name in done.stdout.lower()


def test_the_aws_cli_found_is_version_2() -> None:
    aws = aws_cli_v2()
    require_peer(aws is not None, "the AWS CLI v2 (Debian package awscli)")
    assert aws is not None
    done = subprocess.run([aws, "--version"], capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("aws-cli/2.")
