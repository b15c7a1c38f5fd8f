"""A container uses `awslogin serve` as documented: `podman run --network host
--env-file FILE`, with the SDK of the image (Debian's boto3, older than the host's); and
keeps using it while serve renews the session from the phone (docs/security.md
"Renewal")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.peers.oidc import OidcProvider
from tests.peers.podman import XDIST_GROUP
from tests.peers.sdk_container import SdkContainer
from tests.support.destinations import JsonWebhook
from tests.support.serve_clients import (
    BOTO3_EVERY_HALF_SECOND,
    BOTO3_IDENTITY,
    ServeProcess,
    answer_renewals,
    assert_new_credentials_after_each,
    calls_in,
    failed,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group(XDIST_GROUP)]


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


@pytest.mark.timeout(1200)  # as above, should the image be built first
def test_a_container_calling_sts_every_half_second_never_fails_across_two_renewals(
    renewing_env: dict[str, str],
    oidc_provider: OidcProvider,
    sdk_container: SdkContainer,
    sts: Any,
    tmp_path: Path,
) -> None:
    """serve renews the session 60 s before each end (the session lasts 90 s); the person
    signs in from the link a JSON webhook received. A boto3 client in the container, one
    Session for its life, never fails and moves to new credentials after each renewal."""
    env_file, shared = tmp_path / "dev.env", tmp_path / "shared"
    shared.mkdir()
    log = shared / "calls.jsonl"
    with (
        JsonWebhook() as webhook,
        ServeProcess(
            renewing_env,
            "dev",
            "--env-file",
            str(env_file),
            "--renew-before",
            "60s",
            "--notify",
            webhook.url,
            log=tmp_path / "serve.log",
        ) as serve,
    ):
        client = sdk_container.start(
            ["python3", "-c", BOTO3_EVERY_HALF_SECOND, "/shared/calls.jsonl", "/shared/stop",
             sts.endpoint_url],
            env_file=env_file,
            shared=shared,
            ready=lambda: len(calls_in(log)) > 0,
        )  # fmt: skip
        with client:
            # The link goes out 30 s into each session; the phone answers as it comes.
            renewals = answer_renewals(oidc_provider, renewing_env, [webhook, webhook], 90)
            wait_until(
                lambda: any(call["at"] > renewals[-1][1] + 3 for call in calls_in(log)),
                "the client's calls after the last renewal",
            )
            (shared / "stop").touch()
            wait_until(lambda: not client.running, "the client's exit", timeout=60)
        assert serve.stop() == 0
    calls = calls_in(log)
    assert failed(calls) == [], client.logs()
    assert len(calls) > 2 * 25  # about 0.5 s apart across two 30-second stretches
    assert_new_credentials_after_each(calls, renewals)
    said = "\n".join(serve.messages())
    assert said.count("was renewed: serving the new credentials") == 2
    assert "Traceback" not in serve.stderr()
    outcomes = serve.outcome_counts()
    assert outcomes["renewal_saved"] == 2
    assert set(outcomes) == {"served", "renewal_started", "renewal_saved"}  # nothing refused
