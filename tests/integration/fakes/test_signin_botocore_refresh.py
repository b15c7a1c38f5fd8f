"""The Sign-In fake driven the way an `aws login` session lives on in boto3: botocore's code.

`aws login` exchanges the code with botocore's `signin` client (its DPoP proof comes from
botocore's before-call handler, over an awscrt P-256 key) and saves the token with
botocore's LoginTokenLoader; boto3 then refreshes it through botocore's LoginProvider.
These tests run that code as installed, unmodified, against the fake: a fake that refused
what botocore does would make every `aws login` session look broken.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest
from awscrt.crypto import EC, ECExportFormat, ECType  # type: ignore[import-untyped]
from botocore import UNSIGNED
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import _build_add_dpop_header_handler  # type: ignore[import-untyped]
from botocore.utils import JSONFileCache, LoginTokenLoader  # type: ignore[import-untyped]

from tests.fakes.signin import SAME_DEVICE_CLIENT, SigninFake, run_signin_fake
from tests.fakes.signin.person import answer_sign_in
from tests.fakes.signin.proofs import pkce_pair
from tests.support.signin_profile import ALICE, LOOPBACK_REDIRECT

pytestmark = pytest.mark.integration

BOTOCORE_TIME = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture
def fake() -> Iterator[SigninFake]:
    with run_signin_fake(accounts={"alice": ALICE}) as running:
        yield running


@pytest.fixture
def home(fake: SigninFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profile `dev` with `login_session`, as `aws login` writes it; nothing else."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_RETRY_MODE",
        "AWS_MAX_ATTEMPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\nlogin_session = {ALICE}\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", fake.base_url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def _login_key() -> Any:
    """A P-256 key from awscrt, as `aws login` makes it (EC.new_generate).

    About 1 in 256 of awscrt's SEC1 exports drop the private scalar's leading zero byte
    (31 bytes where RFC 5915 asks for 32), and then neither awscrt nor cryptography loads
    the key back: that breaks the session's refresh with the real service too, so it is
    not what these tests are about, and they draw another key.
    """
    while True:
        key = EC.new_generate(ECType.P_256)
        if key.export_key(ECExportFormat.SEC1)[5:7] == b"\x04\x20":  # OCTET STRING, 32
            return key


def _pem(key: Any) -> str:
    """The `dpopKey` as `aws login` stores it: SEC1 DER, base64 in 64-column lines."""
    body = textwrap.fill(base64.b64encode(key.export_key(ECExportFormat.SEC1)).decode(), 64)
    return f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"


def aws_login(fake: SigninFake, cache_dir: Path, *, expires_in: int = 60) -> dict[str, Any]:
    """Sign in as `aws login` does and save the token with botocore's loader.

    `expires_in` is what the saved token says is left of its credentials: under botocore's
    5-minute threshold, the next use of the profile refreshes.
    """
    key = _login_key()
    client = boto3.client(
        "signin",
        endpoint_url=fake.base_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED),
    )
    client.meta.events.register(
        "before-call.signin.CreateOAuth2Token", _build_add_dpop_header_handler(key)
    )
    verifier, challenge = pkce_pair()
    location = answer_sign_in(
        fake.authorize_url(state="st", code_challenge=challenge, redirect_uri=LOOPBACK_REDIRECT)
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    output = client.create_o_auth2_token(
        tokenInput={
            "clientId": SAME_DEVICE_CLIENT,
            "grantType": "authorization_code",
            "code": code,
            "redirectUri": LOOPBACK_REDIRECT,
            "codeVerifier": verifier,
        }
    )["tokenOutput"]
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
    token = {
        "accessToken": {
            **output["accessToken"],
            "accountId": "123456789012",
            "expiresAt": expires.strftime(BOTOCORE_TIME),
        },
        "tokenType": output["tokenType"],
        "clientId": SAME_DEVICE_CLIENT,
        "refreshToken": output["refreshToken"],
        "idToken": output["idToken"],
        "dpopKey": _pem(key),
    }
    LoginTokenLoader(JSONFileCache(str(cache_dir))).save_token(ALICE, token)
    return token


def cached(cache_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = LoginTokenLoader(JSONFileCache(str(cache_dir))).load_token(ALICE)
    return loaded


def credentials_from(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """What boto3 gets for profile `dev` from this login cache (botocore's LoginProvider)."""
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(cache_dir))
    credentials = botocore.session.Session(profile="dev").get_credentials()
    assert credentials.method == "login"
    return credentials.get_frozen_credentials()


def test_boto3_refreshes_an_aws_login_session_and_keeps_it_going(
    fake: SigninFake, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = home / "login-cache"
    signed_in = aws_login(fake, cache_dir)

    first = credentials_from(cache_dir, monkeypatch)
    (session,) = fake.sessions
    assert first.access_key == session.credentials[-1].access_key_id
    assert first.access_key != signed_in["accessToken"]["accessKeyId"]
    assert cached(cache_dir)["refreshToken"] == session.refresh_token

    # The rotated token works for the next refresh, when its credentials are due again.
    token = cached(cache_dir)
    token["accessToken"]["expiresAt"] = (
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    ).strftime(BOTOCORE_TIME)
    LoginTokenLoader(JSONFileCache(str(cache_dir))).save_token(ALICE, token)
    second = credentials_from(cache_dir, monkeypatch)
    assert second.access_key == session.credentials[-1].access_key_id != first.access_key
    assert fake.token_calls_by_grant == {"authorization_code": 1, "refresh_token": 2}
    assert len(set(fake.proof_jtis)) == 3  # a fresh proof for each call


def test_a_refresh_retried_inside_the_window_gets_the_same_answer(
    fake: SigninFake, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes read the cache before either wrote it, and both refresh: the second
    presents the token the first just rotated away. The model calls refresh idempotent
    within the token validity window, so it gets the first one's answer, not TOKEN_EXPIRED
    (each process has its own copy of the cache here, which is what "read before the other
    wrote" amounts to)."""
    first_cache, second_cache = home / "first", home / "second"
    aws_login(fake, first_cache)
    shutil.copytree(first_cache, second_cache)

    first = credentials_from(first_cache, monkeypatch)
    second = credentials_from(second_cache, monkeypatch)

    assert (second.access_key, second.secret_key, second.token) == (
        first.access_key,
        first.secret_key,
        first.token,
    )
    (session,) = fake.sessions
    assert len(session.credentials) == 2  # the sign-in's and one refresh's: nothing new minted
    assert cached(first_cache)["refreshToken"] == session.refresh_token
    assert cached(second_cache)["refreshToken"] == session.refresh_token
    assert fake.token_calls_by_grant["refresh_token"] == 2


def test_botocore_retries_a_failed_refresh_with_the_same_proof(
    fake: SigninFake, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore adds the DPoP header once per API call, so its retry of a 500 carries the
    very same proof: the fake must not count that as a replay."""
    cache_dir = home / "login-cache"
    aws_login(fake, cache_dir)
    fake.fail_next("InternalServerException")

    frozen = credentials_from(cache_dir, monkeypatch)

    assert fake.token_calls_by_grant["refresh_token"] == 2
    assert fake.proof_jtis[-1] == fake.proof_jtis[-2]
    assert frozen.access_key == fake.sessions[0].credentials[-1].access_key_id
    assert cached(cache_dir)["refreshToken"] == fake.sessions[0].refresh_token
