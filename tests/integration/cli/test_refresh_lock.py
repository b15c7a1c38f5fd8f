"""50 `awslogin credential-process` processes near expiry make exactly one refresh call.

The refresh token of node-oidc-provider rotates and a replayed old one revokes the whole
grant, so a second refresh with the same token would not only be counted here: it would
make later refreshes fail too. The test therefore also refreshes once more afterwards.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.peers.oidc import OidcProvider
from tests.support.host import awslogin_script
from tests.support.oidc_profile import NEAR_EXPIRY_SECONDS, signed_in_near_expiry
from tests.support.token_proxy import TokenProxy, route_refreshes

pytestmark = pytest.mark.integration

PROCESSES = 50


def run_together(cli_env: dict[str, str], count: int) -> list[subprocess.CompletedProcess[str]]:
    processes = [
        subprocess.Popen(
            [awslogin_script(), "credential-process", "--profile", "dev"],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


@pytest.mark.timeout(300)
def test_fifty_processes_make_exactly_one_refresh(
    cli_env: dict[str, str],
    oidc_provider: OidcProvider,
    sts: Any,
    token_proxy: TokenProxy,
) -> None:
    cache = signed_in_near_expiry(cli_env, oidc_provider, token_proxy)
    before = json.loads(cache.read_text())
    sts.received.clear()

    results = run_together(cli_env, PROCESSES)

    assert [r.returncode for r in results] == [0] * PROCESSES, [r.stderr for r in results][:3]
    outputs = [json.loads(r.stdout) for r in results]
    assert all(o["Version"] == 1 and o["AccessKeyId"] and o["SessionToken"] for o in outputs)
    assert len({o["AccessKeyId"] for o in outputs}) == 1
    assert outputs[0]["AccessKeyId"] != before["credentials"]["AccessKeyId"]
    assert token_proxy.refreshes == 1
    assert len(sts.received) == 1
    after = json.loads(cache.read_text())
    rotated = after["providerState"]["refreshToken"]
    assert rotated != before["providerState"]["refreshToken"]

    # The stored rotated token is the one the IdP accepts next time.
    route_refreshes(cache, token_proxy, expires_in=NEAR_EXPIRY_SECONDS)
    again = run_together(cli_env, 1)[0]
    assert again.returncode == 0, again.stderr
    assert token_proxy.refreshes == 2


def test_revoked_refresh_token_ends_the_session_with_the_login_line(
    cli_env: dict[str, str],
    oidc_provider: OidcProvider,
    sts: Any,
    token_proxy: TokenProxy,
) -> None:
    cache = signed_in_near_expiry(cli_env, oidc_provider, token_proxy)
    saved = cache.read_text()
    logout = subprocess.run(
        [awslogin_script(), "logout", "--profile", "dev"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert logout.returncode == 0, logout.stderr
    assert "refresh token revoked at" in logout.stdout
    assert not cache.exists()
    # Bring the revoked session back: the IdP refuses it and the user is told what to do.
    cache.write_text(saved)
    done = run_together(cli_env, 1)[0]
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "awslogin: the identity provider no longer accepts this session (invalid_grant: "
        + done.stderr.split("(invalid_grant: ", 1)[1].strip()
    ]
    assert done.stderr.strip().endswith("run `awslogin login --profile dev`")
    assert token_proxy.refreshes == 1
