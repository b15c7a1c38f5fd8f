"""aws-signin building blocks: DPoP proofs and botocore's login cache as session records."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from awscrt.crypto import EC
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from awslogin.adapters.login_cache import login_cache_dir
from awslogin.crypto.dpop import DpopKey, DpopKeyError
from awslogin.stores.aws_signin import (
    LoginCacheStore,
    record_from_token,
    signed_in_profiles,
    store_for_profile,
    token_from_record,
)
from awslogin.usecases.profiles import awslogin_profiles, load_config

pytestmark = pytest.mark.unit

ALICE = "arn:aws:iam::123456789012:user/alice"
TOKEN_URL = "https://us-east-1.signin.aws.amazon.com/v1/token"


def b64url_json(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return value


# DPoP ------------------------------------------------------------------------------------


def test_proof_is_an_es256_jwt_signed_by_the_key_in_its_header() -> None:
    key = DpopKey.generate()
    proof = key.proof("POST", TOKEN_URL, now=1_800_000_000)

    header_segment, payload_segment, _ = proof.split(".")
    header = b64url_json(header_segment)
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == "ES256"
    assert set(header["jwk"]) == {"kty", "x", "y", "crv"}  # public only: no "d"
    assert (header["jwk"]["kty"], header["jwk"]["crv"]) == ("EC", "P-256")
    public = jwt.PyJWK(header["jwk"], algorithm="ES256").key
    claims = jwt.decode(proof, public, algorithms=["ES256"], options={"verify_iat": False})
    assert claims["htm"] == "POST"
    assert claims["htu"] == TOKEN_URL
    assert claims["iat"] == 1_800_000_000
    assert uuid.UUID(claims["jti"]).version == 4
    assert payload_segment == proof.split(".")[1]


def test_each_proof_has_a_new_jti_and_the_same_key() -> None:
    key = DpopKey.generate()
    first, second = (b64url_json(key.proof("POST", TOKEN_URL).split(".")[0]) for _ in range(2))
    assert first["jwk"] == second["jwk"]
    jtis = {b64url_json(key.proof("POST", TOKEN_URL).split(".")[1])["jti"] for _ in range(5)}
    assert len(jtis) == 5


def test_a_proof_signed_by_another_key_does_not_verify() -> None:
    key, other = DpopKey.generate(), DpopKey.generate()
    forged = key.proof("POST", TOKEN_URL)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            forged, jwt.PyJWK(other.public_jwk(), algorithm="ES256").key, algorithms=["ES256"]
        )


def test_pem_is_sec1_and_round_trips_through_botocores_loader() -> None:
    key = DpopKey.generate()
    pem = key.to_pem()
    assert pem.startswith("-----BEGIN EC PRIVATE KEY-----\n")
    assert all(len(line) <= 64 for line in pem.splitlines())
    assert DpopKey.from_pem(pem).public_jwk() == key.public_jwk()
    # What botocore does with the cached dpopKey: strip the armour, load the DER with awscrt.
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    crt_key = EC.new_key_from_der_data(base64.b64decode(body))
    x, y = crt_key.get_public_coords()
    assert base64.urlsafe_b64encode(x).rstrip(b"=").decode() == key.public_jwk()["x"]
    assert base64.urlsafe_b64encode(y).rstrip(b"=").decode() == key.public_jwk()["y"]


@pytest.mark.parametrize(
    "pem",
    [
        "not a key",
        ec.generate_private_key(ec.SECP384R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode(),
    ],
)
def test_a_bad_cached_key_is_refused(pem: str) -> None:
    with pytest.raises(DpopKeyError):
        DpopKey.from_pem(pem)


# login cache -----------------------------------------------------------------------------


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
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
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


def test_cache_directory_follows_aws_login_cache_directory(tmp_path: Path) -> None:
    assert login_cache_dir({"AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path)}) == str(tmp_path)
    assert login_cache_dir({}).endswith("/.aws/login/cache")


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
