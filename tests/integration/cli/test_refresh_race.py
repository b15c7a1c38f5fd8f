"""An oidc refresh that another writer of the cache wins while awslogin's request is on its
way: awslogin uses what that writer left instead of calling the session ended.

The other writer is a program that refreshes the same session without awslogin's lock
(here awslogin's own provider and cache file, called directly). node-oidc-provider
rotates refresh tokens and refuses the rotated-away one with invalid_grant, which is what
awslogin's held request meets once released.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from awslogin.adapters.clock import SystemClock
from awslogin.adapters.http import HttpFactory
from awslogin.providers.oidc import OidcProvider as OidcSessions
from awslogin.session_record import SessionRecord
from awslogin.stores.record_file import RecordFile
from awslogin.usecases.profiles import awslogin_profile, load_config
from tests.peers.oidc import OidcProvider
from tests.support.host import awslogin_script
from tests.support.oidc_profile import signed_in_near_expiry
from tests.support.token_proxy import TokenProxy

pytestmark = pytest.mark.integration


def refresh_without_the_lock(env: dict[str, str]) -> SessionRecord:
    """Another writer: refresh the cached session and write it back, taking no lock."""
    profile, _ = awslogin_profile(load_config(env), "dev", env)
    cache = RecordFile("oidc", profile)
    record = cache.load()
    assert record is not None
    refreshed = OidcSessions(profile, HttpFactory(), SystemClock()).refresh(record)
    cache.save(refreshed)
    return refreshed


def test_a_refresh_that_another_writer_wins_meanwhile_uses_its_session(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any, token_proxy: TokenProxy
) -> None:
    cache = signed_in_near_expiry(cli_env, oidc_provider, token_proxy)
    before = json.loads(cache.read_text())
    hold = token_proxy.hold_next_refresh()

    with subprocess.Popen(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as refreshing:
        hold.wait_arrived()
        written = refresh_without_the_lock(cli_env)
        hold.release()  # awslogin's request, with the rotated-away token, goes on
        out, err = refreshing.communicate(timeout=60)

    assert refreshing.returncode == 0, err
    assert err == ""
    assert json.loads(out)["AccessKeyId"] == written["credentials"]["AccessKeyId"]
    assert token_proxy.refreshes == 2  # the other writer's, and awslogin's refused one
    after = json.loads(cache.read_text())
    rotated = written["providerState"]["refreshToken"]
    assert after["providerState"]["refreshToken"] == rotated
    assert rotated != before["providerState"]["refreshToken"]
    assert "endedReason" not in after
    assert after["session"] == before["session"]
