"""The STS peer: moto behind a proxy that accepts only the IdP's signed ID tokens."""

from __future__ import annotations

import time
from typing import Any

import boto3  # type: ignore[import-untyped]
import jwt
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.peers.oidc import OidcProvider
from tests.peers.sts import StsPeer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ROLE_ARN = "arn:aws:iam::123456789012:role/dev"


def _sts_client(endpoint_url: str, **credentials: str) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials.get("AccessKeyId", "unused"),
        aws_secret_access_key=credentials.get("SecretAccessKey", "unused"),
        aws_session_token=credentials.get("SessionToken"),
    )


def _assume(sts: StsPeer, token: str) -> dict[str, Any]:
    answer: dict[str, Any] = _sts_client(sts.endpoint_url).assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="session-1", WebIdentityToken=token
    )
    return answer


def _forged_token(provider: OidcProvider, **overrides: Any) -> str:
    """A well-formed ID token for `provider`, signed by a key the provider never had."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    now = int(time.time())
    claims = {
        "iss": provider.issuer,
        "aud": provider.client_id,
        "sub": "mallory",
        "iat": now,
        "exp": now + 600,
        **overrides,
    }
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "test-rs256"})


def test_a_real_id_token_is_accepted_recorded_and_gives_working_credentials(
    oidc_provider: OidcProvider, sts: StsPeer
) -> None:
    id_token = oidc_provider.login_tokens("alice")["id_token"]

    answer = _assume(sts, id_token)

    assert answer["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::123456789012:assumed-role/dev/session-1"
    )
    assert [claims["sub"] for claims in sts.received] == ["alice"]
    assert sts.received[0]["iss"] == oidc_provider.issuer
    assert sts.received[0]["aud"] == oidc_provider.client_id
    identity = _sts_client(sts.endpoint_url, **answer["Credentials"]).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/dev/session-1"


def test_a_token_signed_by_another_key_is_refused(
    oidc_provider: OidcProvider, sts: StsPeer
) -> None:
    with pytest.raises(ClientError) as refused:
        _assume(sts, _forged_token(oidc_provider))
    assert refused.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sts.received == []
    assert len(sts.refused) == 1
    assert "InvalidSignatureError" in sts.refused[0]


@pytest.mark.parametrize("expectation", ["audience", "issuer"])
def test_a_real_token_for_another_audience_or_issuer_is_refused(
    oidc_provider: OidcProvider, sts: StsPeer, monkeypatch: pytest.MonkeyPatch, expectation: str
) -> None:
    token = oidc_provider.login_tokens("alice")["id_token"]
    monkeypatch.setattr(sts, expectation, "http://127.0.0.1:1")
    with pytest.raises(ClientError) as refused:
        _assume(sts, token)
    assert refused.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert sts.received == []


def test_a_missing_or_garbage_token_is_refused(sts: StsPeer) -> None:
    with pytest.raises(ClientError) as refused:
        _assume(sts, "not-a-jwt")
    assert refused.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert sts.received == []


def test_reset_forgets_recorded_claims(oidc_provider: OidcProvider, sts: StsPeer) -> None:
    _assume(sts, oidc_provider.login_tokens("dave")["id_token"])
    assert len(sts.received) == 1
    sts.reset()
    assert sts.received == []
