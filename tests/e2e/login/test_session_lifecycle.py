"""After a remote login: refresh near expiry with token rotation, and logout."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.host import run_awslogin
from tests.e2e.journey import PROFILE, USER, caller_identity_with_boto3
from tests.peers.oidc import OidcProvider
from tests.peers.sts import StsPeer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]

RELOGIN = (
    f"awslogin: not signed in with profile {PROFILE}: run `awslogin login --profile {PROFILE}`"
)


def cache_file(host_env: dict[str, str]) -> Path:
    return Path(host_env["AWSLOGIN_CACHE_DIR"]) / f"oidc--{PROFILE}.json"


def load(host_env: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(cache_file(host_env).read_text())
    return record


def expire_soon(host_env: dict[str, str], seconds: int = 60) -> None:
    """Make the cached credentials look as they do a minute before they expire."""
    record = load(host_env)
    expires_at = int(time.time()) + seconds
    record["credentials"]["ExpiresAt"] = expires_at
    record["credentials"]["Expiration"] = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at)
    )
    cache_file(host_env).write_text(json.dumps(record))


def credential_process(host_env: dict[str, str]) -> dict[str, Any]:
    done = run_awslogin(["credential-process", "--profile", PROFILE], host_env)
    assert done.returncode == 0, done.stderr
    output: dict[str, Any] = json.loads(done.stdout)
    return output


def identity_arn(host_env: dict[str, str]) -> str:
    return str(caller_identity_with_boto3(host_env)["Arn"])


def test_near_expiry_credential_process_refreshes_and_keeps_the_rotated_token(
    signed_in: str, host_env: dict[str, str], oidc_provider: OidcProvider, sts: StsPeer
) -> None:
    first = load(host_env)
    first_key = first["credentials"]["AccessKeyId"]
    first_token = first["providerState"]["refreshToken"]
    assert credential_process(host_env)["AccessKeyId"] == first_key  # fresh: a cache hit

    expire_soon(host_env)
    refreshed = credential_process(host_env)
    assert refreshed["AccessKeyId"] != first_key
    second = load(host_env)
    assert second["credentials"]["AccessKeyId"] == refreshed["AccessKeyId"]
    assert second["credentials"]["ExpiresAt"] > time.time() + 600
    second_token = second["providerState"]["refreshToken"]
    assert second_token not in (None, first_token)
    # Each call to STS carried a fresh ID token of the same person, from the IdP.
    assert [claims["sub"] for claims in sts.received] == [USER, USER]
    assert identity_arn(host_env) == signed_in

    # The stored rotated token is the one that works: the next refresh uses it.
    expire_soon(host_env)
    again = credential_process(host_env)
    assert again["AccessKeyId"] not in (first_key, refreshed["AccessKeyId"])
    assert load(host_env)["providerState"]["refreshToken"] not in (first_token, second_token)

    # And the IdP refuses the first, rotated-away token.
    replay = oidc_provider.refresh(first_token)  # outside awslogin
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_after_logout_credential_process_asks_to_log_in_again(
    signed_in: str, host_env: dict[str, str], oidc_provider: OidcProvider
) -> None:
    token = load(host_env)["providerState"]["refreshToken"]
    done = run_awslogin(["logout", "--profile", PROFILE], host_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Profile {PROFILE}: removed cached tokens and credentials")
    assert not cache_file(host_env).exists()

    after = run_awslogin(["credential-process", "--profile", PROFILE], host_env)
    assert after.returncode == 1
    assert after.stdout == ""
    assert after.stderr.splitlines() == [RELOGIN]
    # Logout revoked the refresh token at the IdP as well.
    assert oidc_provider.refresh(token).json()["error"] == "invalid_grant"
