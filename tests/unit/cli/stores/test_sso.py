"""The sso store's session end: the sign-in time plus `awslogin_session_limit`, never
past what botocore's token file allows, and kept across loads (docs/security.md,
"Renewal")."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from awslogin.errors import UsageError
from awslogin.session_record import Identity, ProviderState, SessionRecord, SessionWindow
from awslogin.stores.sso import SsoProfileStore, session_end
from awslogin.usecases.profiles import awslogin_profile, load_config
from tests.support.command_line import isolated_environ

pytestmark = pytest.mark.unit

START_URL = "https://d-1234567890.awsapps.com/start"
BOTOCORE_TIME = "%Y-%m-%dT%H:%M:%SZ"
DAY = 86400
CONFIG = f"""\
[sso-session corp]
sso_start_url = {START_URL}
sso_region = eu-west-1

[profile dev]
awslogin_provider = sso
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
"""


def at(seconds_from_now: float) -> str:
    return time.strftime(BOTOCORE_TIME, time.gmtime(time.time() + seconds_from_now))


def store(
    tmp_path: Path, extra: str = "", *, left: float = 3600, refresh: bool = True
) -> SsoProfileStore:
    env = isolated_environ(tmp_path, CONFIG + extra)
    token: dict[str, Any] = {
        "startUrl": START_URL,
        "region": "eu-west-1",
        "accessToken": "at-1",
        "expiresAt": at(left),
        "clientId": "client-1",
        "clientSecret": "secret-1",
        "registrationExpiresAt": at(80 * DAY),
    }
    if refresh:
        token["refreshToken"] = "rt-1"
    path = Path(env["HOME"]) / ".aws" / "sso" / "cache"
    path.mkdir(parents=True)
    (path / f"{hashlib.sha1(b'corp').hexdigest()}.json").write_text(json.dumps(token))
    profile, _ = awslogin_profile(load_config(env), "dev", env)
    return SsoProfileStore(profile)


def signed_in(started: float) -> SessionRecord:
    return SessionRecord(
        provider="sso",
        profile="dev",
        config={
            "sso_session": "corp",
            "sso_account_id": "111111111111",
            "sso_role_name": "Developer",
        },
        identity=Identity(),
        session=SessionWindow(startedAt=int(started), expiresAt=0),
        providerState=ProviderState(),
    )


def test_a_refreshable_token_ends_12_hours_after_the_sign_in_not_with_its_registration(
    tmp_path: Path,
) -> None:
    sso = store(tmp_path)
    started = time.time() - 3600
    sso.save(signed_in(started))
    record = sso.load()
    assert record is not None
    assert record["session"] == {"startedAt": int(started), "expiresAt": int(started) + 43200}
    assert "endedReason" not in record


def test_the_profile_limit_counts_from_the_sign_in_and_ends_the_session(tmp_path: Path) -> None:
    sso = store(tmp_path, "awslogin_session_limit = 600\n")
    sso.save(signed_in(time.time() - 601))
    record = sso.load()
    assert record is not None
    assert record["session"]["expiresAt"] <= time.time()
    assert record["endedReason"] == (
        "the SSO session corp reached its limit of 600 s (awslogin_session_limit)"
    )


def test_the_end_is_never_past_what_the_token_file_allows(tmp_path: Path) -> None:
    sso = store(tmp_path, left=300, refresh=False)
    sso.save(signed_in(time.time()))
    record = sso.load()
    assert record is not None
    assert abs(record["session"]["expiresAt"] - (time.time() + 300)) < 5
    assert session_end(None, time.time(), 43200, time.time()) == 0.0


def test_a_sign_in_awslogin_did_not_make_counts_from_when_it_is_first_seen(
    tmp_path: Path,
) -> None:
    record = store(tmp_path).load()  # `aws sso login` signed in; no awslogin record yet
    assert record is not None
    assert abs(record["session"]["expiresAt"] - (time.time() + 43200)) < 5


def test_a_limit_that_is_not_seconds_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="awslogin_session_limit"):
        store(tmp_path, "awslogin_session_limit = 8h\n").load()
