"""botocore's login cache as session records: read, written back, locked, and an end seen
with a rotated token not recorded."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from awslogin.crypto.dpop import DpopKey
from awslogin.stores.aws_signin import (
    LoginCacheStore,
    record_from_token,
    signed_in_profiles,
    store_for_profile,
    token_from_record,
)
from awslogin.usecases.profiles import awslogin_profiles, load_config
from tests.support.private_files import assert_owner_only

pytestmark = pytest.mark.unit


ALICE = "arn:aws:iam::123456789012:user/alice"


def id_token(**claims: Any) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode({"sub": ALICE, **claims}, key, algorithm="ES256")


def aws_cli_token(expires_in: float = 600, issued: int | None = None) -> dict[str, Any]:
    """A cache file as `aws login` writes it."""
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
    return {
        "accessToken": {
            "accessKeyId": "ASIACLI",
            "secretAccessKey": "cli-secret",
            "sessionToken": "cli-session",
            "accountId": "123456789012",
            "expiresAt": expires,
        },
        "tokenType": "aws_sigv4",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "refreshToken": "rt-cli",
        "idToken": id_token(iat=issued or int(time.time()) - 60),
        "dpopKey": DpopKey.generate().to_pem(),
    }


def test_an_aws_cli_cache_reads_as_a_session_record() -> None:
    issued = int(time.time()) - 3600
    token = aws_cli_token(issued=issued)
    record = record_from_token(token, "dev", ALICE)
    assert record is not None
    assert record["provider"] == "aws-signin"
    assert record["config"] == {"login_session": ALICE}
    assert record["identity"]["arn"] == ALICE
    assert record["identity"]["accountId"] == "123456789012"
    assert record["credentials"]["AccessKeyId"] == "ASIACLI"
    assert record["credentials"]["Expiration"] == token["accessToken"]["expiresAt"]
    assert abs(record["credentials"]["ExpiresAt"] - (time.time() + 600)) < 5
    # No awslogin extension: the session is taken to end 12 h after the ID token's iat.
    assert record["session"] == {"startedAt": issued, "expiresAt": issued + 12 * 3600}
    assert record["providerState"]["refreshToken"] == "rt-cli"


@pytest.mark.parametrize("missing", ["refreshToken", "dpopKey", "clientId"])
def test_a_cache_botocore_could_not_use_is_not_a_session(missing: str) -> None:
    token = aws_cli_token()
    del token[missing]
    assert record_from_token(token, "dev", ALICE) is None


def test_writing_back_merges_and_keeps_what_the_record_does_not_hold() -> None:
    token = {**aws_cli_token(), "futureField": {"kept": True}}
    record = record_from_token(token, "dev", ALICE)
    assert record is not None
    record["providerState"].pop("refreshToken")  # a record that gave up its token
    record["endedReason"] = "your AWS sign-in session has ended (TOKEN_EXPIRED)"
    record["session"]["expiresAt"] = 0
    written = token_from_record(record, token)
    assert written["refreshToken"] == "rt-cli"
    assert written["futureField"] == {"kept": True}
    assert written["awslogin"]["endedReason"].endswith("(TOKEN_EXPIRED)")
    assert written["awslogin"]["sessionEnd"] == 0
    again = record_from_token(written, "dev", ALICE)
    assert again is not None
    assert again["endedReason"] == record["endedReason"]
    assert again["session"]["expiresAt"] == 0


def test_new_credentials_keep_the_account_id_and_botocores_date_format() -> None:
    token = aws_cli_token()
    record = record_from_token(token, "dev", ALICE)
    assert record is not None
    record["identity"]["accountId"] = None
    record["credentials"] = {
        "AccessKeyId": "ASIANEW",
        "SecretAccessKey": "s",
        "SessionToken": "t",
        "Expiration": "2030-01-02T03:04:05Z",
        "ExpiresAt": 1893553445,
    }
    access = token_from_record(record, token)["accessToken"]
    assert access == {
        "accessKeyId": "ASIANEW",
        "secretAccessKey": "s",
        "sessionToken": "t",
        "accountId": "123456789012",
        "expiresAt": "2030-01-02T03:04:05Z",
    }


def test_store_uses_botocores_file_name_and_writes_privately(tmp_path: Path) -> None:
    store = LoginCacheStore(str(tmp_path / "login"), str(tmp_path / "locks"), "dev", None)
    assert store.load() is None
    record = record_from_token(aws_cli_token(), "dev", ALICE)
    assert record is not None
    store.save(record)
    expected = tmp_path / "login" / (hashlib.sha256(ALICE.encode()).hexdigest() + ".json")
    assert store.path == str(expected)
    assert_owner_only(expected)
    assert json.loads(expected.read_text())["refreshToken"] == "rt-cli"
    loaded = store.load()
    assert loaded is not None
    assert loaded["credentials"] == record["credentials"]
    assert store.delete() is True
    assert store.delete() is False


def test_the_lock_lives_in_awslogins_cache_not_in_the_login_cache(tmp_path: Path) -> None:
    store = LoginCacheStore(str(tmp_path / "login"), str(tmp_path / "locks"), "dev", ALICE)
    with store.lock():
        assert list((tmp_path / "locks").iterdir())
        assert not (tmp_path / "login").exists()


def test_profile_store_and_signed_in_profiles(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        f"[profile dev]\nlogin_session = {ALICE}\n\n"
        "[profile other]\nlogin_session = arn:aws:iam::123456789012:user/nobody\n\n"
        f"[profile oidc]\nawslogin_provider = oidc\nlogin_session = {ALICE}\n"
    )
    env = {
        "AWS_CONFIG_FILE": str(config),
        "AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path / "login"),
        "AWSLOGIN_CACHE_DIR": str(tmp_path / "cache"),
    }
    record = record_from_token(aws_cli_token(), "dev", ALICE)
    assert record is not None
    profiles = {profile.name: profile for profile in awslogin_profiles(load_config(env), env)}
    store_for_profile(profiles["dev"]).save(record)
    assert store_for_profile(profiles["dev"]).load() is not None
    assert store_for_profile(profiles["other"]).load() is None
    assert signed_in_profiles(profiles.values()) == ["dev"]


def test_an_end_seen_with_a_token_botocore_has_since_rotated_is_not_recorded(
    tmp_path: Path,
) -> None:
    store = LoginCacheStore(str(tmp_path / "login"), str(tmp_path / "locks"), "dev", ALICE)
    first = record_from_token(aws_cli_token(), "dev", ALICE)
    assert first is not None
    store.save(first)
    loaded = store.load()
    assert loaded is not None
    # botocore refreshes on its own (no awslogin lock) and writes a rotated token...
    on_disk = json.loads(Path(store.path).read_text())
    Path(store.path).write_text(json.dumps({**on_disk, "refreshToken": "rt-botocore"}))
    # ...so the service's refusal of the old token does not end the session for awslogin.
    loaded["providerState"].pop("refreshToken")
    loaded["endedReason"] = "your AWS sign-in session has ended (TOKEN_EXPIRED)"
    loaded["session"]["expiresAt"] = 0
    store.save(loaded)
    after = store.load()
    assert after is not None
    assert after["providerState"]["refreshToken"] == "rt-botocore"
    assert "endedReason" not in after
    assert after["session"]["expiresAt"] > time.time()
