"""The region a command of `exec` (and `exec --env`) and a client of `serve` get, whichever
name the parent set it under: boto3 and the AWS CLI v1 (botocore: AWS_DEFAULT_REGION only)
reach STS signed for it, and a parent that set both names keeps both values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.sts import StsPeer
from tests.support.host import awslogin_script
from tests.support.serve_clients import ServeProcess

pytestmark = pytest.mark.integration

PROFILE_REGION = "eu-west-3"  # not the SDKs' own fallback: only the profile can give it

# boto3, then the AWS CLI v1 (pip's awscli, the test extra), each calling STS; then the
# two names as the command saw them.
CHILD = """
import json, os, subprocess, sys, boto3
boto3.client("sts").get_caller_identity()
aws = subprocess.run([sys.executable, "-m", "awscli", "sts", "get-caller-identity"],
                     capture_output=True, text=True)
if aws.returncode != 0:
    sys.exit(f"aws-cli v1: {aws.stderr}")
print(json.dumps({name: os.environ.get(name) for name in ("AWS_REGION", "AWS_DEFAULT_REGION")}))
"""
CHILD_ARGV = [sys.executable, "-c", CHILD]

CASES = {
    "only AWS_REGION": (
        {"AWS_REGION": "eu-central-1"},
        {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1"},
    ),
    "only AWS_DEFAULT_REGION": (
        {"AWS_DEFAULT_REGION": "ap-southeast-2"},
        {"AWS_REGION": "ap-southeast-2", "AWS_DEFAULT_REGION": "ap-southeast-2"},
    ),
    "both, different": (
        {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "ca-central-1"},
        {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "ca-central-1"},
    ),
    "neither: the profile's": (
        {},
        {"AWS_REGION": PROFILE_REGION, "AWS_DEFAULT_REGION": PROFILE_REGION},
    ),
}


def with_profile_region(oidc_env: dict[str, str]) -> dict[str, str]:
    """`oidc_env` whose profile `dev` names PROFILE_REGION."""
    config = Path(oidc_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text().replace("region = us-east-1", f"region = {PROFILE_REGION}")
    )
    assert f"region = {PROFILE_REGION}" in config.read_text()
    return oidc_env


@pytest.mark.parametrize(("parent", "child"), list(CASES.values()), ids=list(CASES))
def test_boto3_and_the_aws_cli_v1_in_exec_reach_sts_with_the_parents_region(
    oidc_env: dict[str, str], sts: StsPeer, parent: dict[str, str], child: dict[str, str]
) -> None:
    env = {**with_profile_region(oidc_env), **parent}
    for mode in ([], ["--env"]):
        sts.calls.clear()
        done = subprocess.run(
            [awslogin_script(), "exec", "--profile", "dev", *mode, "--", *CHILD_ARGV],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (mode, done.stderr)
        assert json.loads(done.stdout) == child, mode
        # botocore signs for AWS_DEFAULT_REGION; both calls reached STS.
        identities = [call.region for call in sts.calls if call.action == "GetCallerIdentity"]
        assert identities == [child["AWS_DEFAULT_REGION"]] * 2, mode


def test_serve_prints_and_writes_the_region_under_both_names(
    oidc_env: dict[str, str], tmp_path: Path
) -> None:
    both = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "ca-central-1"}
    with ServeProcess({**oidc_env, **both}, "dev", log=tmp_path / "printed.log") as printed:
        assert {name: printed.variables[name] for name in both} == both
        assert printed.stop() == 0
    assert "export AWS_REGION=eu-central-1\nexport AWS_DEFAULT_REGION=ca-central-1\n" in (
        printed.stdout()
    )

    env_file = tmp_path / "dev.env"
    only = {**oidc_env, "AWS_REGION": "eu-central-1"}
    with ServeProcess(only, "dev", "--env-file", str(env_file), log=tmp_path / "file.log") as file:
        assert file.stop() == 0
    lines = env_file.read_text().splitlines()
    assert "AWS_REGION=eu-central-1" in lines
    assert "AWS_DEFAULT_REGION=eu-central-1" in lines

    # A value that is not a region name is written under neither name.
    hostile = {**oidc_env, "AWS_REGION": "eu-central-1\nEVIL=1"}
    with ServeProcess(hostile, "dev", "--env-file", str(env_file), log=tmp_path / "bad.log") as bad:
        assert bad.stop() == 0
    written = env_file.read_text()
    assert "AWS_REGION" not in written
    assert "AWS_DEFAULT_REGION" not in written
    assert "EVIL" not in written
