"""A container uses `awslogin serve` as documented: `podman run --network host
--env-file FILE`, with the SDK of the image (Debian's boto3, older than the host's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.peers.sdk_container import SdkContainer
from tests.support.serve_clients import BOTO3_IDENTITY, ServeProcess

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(1200)  # the first run builds the image (about two minutes)
def test_a_container_gets_the_profiles_credentials_through_the_env_file(
    oidc_env: dict[str, str],
    oidc_cache: Path,
    sdk_container: SdkContainer,
    sts: Any,
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "dev.env"
    with ServeProcess(
        oidc_env, "dev", "--env-file", str(env_file), log=tmp_path / "serve.log"
    ) as serve:
        done = sdk_container.run(
            ["python3", "-c", BOTO3_IDENTITY, sts.endpoint_url], env_file=env_file
        )
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout)
        assert seen["method"] == "container-role"
        assert seen["key"] == json.loads(oidc_cache.read_text())["credentials"]["AccessKeyId"]
        assert seen["arn"].startswith("arn:aws:sts::123456789012:assumed-role/dev/")

        # The same container without the token: botocore gives up, serve says 401 only.
        no_token = sdk_container.run(
            ["python3", "-c", BOTO3_IDENTITY, sts.endpoint_url],
            env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": serve.url, "AWS_REGION": "us-east-1"},
        )
        assert no_token.returncode != 0
        assert no_token.stderr.strip().endswith(  # botocore 1.29's words
            'Received non 200 response (401) from ECS metadata: {"code": "Unauthorized", '
            '"message": "missing or wrong authorization token"}'
        )
    outcomes = [line["outcome"] for line in serve.audit()]
    assert outcomes[0] == "served"
    assert set(outcomes[1:]) == {"unauthorized"}
