"""The shells and the AWS CLI v2 that people evaluate awslogin's output in: Debian's
bash, zsh, fish and awscli (AWS CLI v2), found where Debian installs them.

The AWS CLI v2 is looked for at Debian's path, not on PATH: the test environment's own
`aws` is the AWS CLI v1 (pip's awscli), which has no `configure export-credentials`.
"""

from __future__ import annotations

import os
import subprocess

AWS_CLI_V2 = "/usr/bin/aws"
SHELLS = {"bash": "/bin/bash", "zsh": "/usr/bin/zsh", "fish": "/usr/bin/fish"}


def shell(name: str) -> str | None:
    """The path of shell `name` (bash, zsh, fish), or None when it is not installed."""
    path = SHELLS[name]
    return path if os.access(path, os.X_OK) else None


def aws_cli_v2() -> str | None:
    """The AWS CLI v2 (Debian package awscli), or None when it is missing or another major
    version."""
    if not os.access(AWS_CLI_V2, os.X_OK):
        return None
    done = subprocess.run(
        [AWS_CLI_V2, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    return AWS_CLI_V2 if done.stdout.startswith("aws-cli/2.") else None
