"""oidc on a remote host without a relay, against node-oidc-provider's device flow: the
device code shown, entered by a person (headless), the session refreshed later."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.host import HostProcess
from tests.peers.oidc import OidcProvider
from tests.support.host import awslogin_script
from tests.support.oidc_profile import NEAR_EXPIRY_SECONDS
from tests.support.token_proxy import TokenProxy, route_refreshes

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

LINK_LINE = r"^ {6}(http://127\.0\.0\.1:\d+/device\?user_code=(\S+))$"
CODE_LINE = r"Check that the page shows this code:\s+(\S+)$"


def remote_login(env: dict[str, str]) -> HostProcess:
    return HostProcess([awslogin_script(), "login", "--remote", "--profile", "dev"], env)


def test_a_device_code_signs_in_and_the_session_refreshes(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, token_proxy: TokenProxy
) -> None:
    with remote_login(cli_env) as host:
        link = host.wait_for(LINK_LINE)
        user_code = host.wait_for(CODE_LINE).group(1)
        assert link.group(2) == user_code
        ended_on = oidc_provider.complete_device_login(link.group(1), "frank")
        assert "Sign-in Success" in ended_on
        assert host.wait(timeout=30) == 0, host.transcript()
        assert (
            host.wait_for(r"^Signed in as (\S+)$", stream="stdout")
            .group(1)
            .endswith(":assumed-role/dev/frank")
        )
    assert [claims["sub"] for claims in sts.received] == ["frank"]
    cache = Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    state = json.loads(cache.read_text())["providerState"]
    assert state["refreshToken"]
    assert "nonce" not in state  # the device grant has none

    # The refreshed ID token is validated the same way (signature, iss, aud, sub).
    before = route_refreshes(cache, token_proxy, expires_in=NEAR_EXPIRY_SECONDS)
    done = subprocess.run(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert token_proxy.refreshes == 1
    assert json.loads(done.stdout)["AccessKeyId"] != before["credentials"]["AccessKeyId"]
    assert [claims["sub"] for claims in sts.received] == ["frank", "frank"]


def test_a_device_code_aborted_on_the_page_is_one_line(
    cli_env: dict[str, str], oidc_provider: OidcProvider
) -> None:
    with remote_login(cli_env) as host:
        link = host.wait_for(LINK_LINE)
        oidc_provider.complete_device_login(link.group(1), "frank", deny=True)
        assert host.wait(timeout=30) == 1
        messages = [line for line in host.lines["stderr"] if line.startswith("awslogin:")]
        assert messages == [
            "awslogin: sign-in was denied on the verification page; run login again to retry"
        ]
    assert not (Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").exists()
