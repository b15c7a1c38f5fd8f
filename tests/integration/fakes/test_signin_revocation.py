"""The sign-in fake's RevokeOAuth2TokenWithIAM: botocore's own client revokes a chain; the
SigV4 checks refuse what AWS would refuse (signatures made with botocore's signer)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.signin import SAME_DEVICE_CLIENT, SigninFake, run_signin_fake
from tests.fakes.signin.person import answer_sign_in
from tests.fakes.signin.proofs import dpop_proof, pkce_pair
from tests.fakes.signin.sigv4 import IssuedKey, SignatureError, SignedRequest, verify
from tests.support.signin_profile import ALICE, BOB, LOOPBACK_REDIRECT

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[SigninFake]:
    with run_signin_fake(accounts={"alice": ALICE, "bob": BOB}) as running:
        yield running


def token_call(fake: SigninFake, key: ec.EllipticCurvePrivateKey, body: dict[str, str]) -> Any:
    proof = dpop_proof(key, fake.token_url)
    return httpx.post(fake.token_url, json=body, headers={"DPoP": proof}, timeout=5)


def signed_in(
    fake: SigninFake, key: ec.EllipticCurvePrivateKey, username: str = "alice"
) -> dict[str, Any]:
    """The token output of a same-device sign-in of `username`."""
    verifier, challenge = pkce_pair()
    url = fake.authorize_url(state="st-1", code_challenge=challenge, redirect_uri=LOOPBACK_REDIRECT)
    location = answer_sign_in(url, username=username)
    code = httpx.URL(location).params["code"]
    body = {
        "clientId": SAME_DEVICE_CLIENT,
        "grantType": "authorization_code",
        "code": code,
        "redirectUri": LOOPBACK_REDIRECT,
        "codeVerifier": verifier,
    }
    response = token_call(fake, key, body)
    assert response.status_code == 200, response.text
    output: dict[str, Any] = response.json()
    return output


def refresh(fake: SigninFake, key: ec.EllipticCurvePrivateKey, token: str) -> httpx.Response:
    body = {"clientId": SAME_DEVICE_CLIENT, "grantType": "refresh_token", "refreshToken": token}
    response: httpx.Response = token_call(fake, key, body)
    return response


def credentials_of(output: dict[str, Any]) -> Credentials:
    access = output["accessToken"]
    return Credentials(access["accessKeyId"], access["secretAccessKey"], access["sessionToken"])


def signin_client(fake: SigninFake, credentials: Credentials) -> Any:
    """botocore's signin client, signing with `credentials` as the AWS CLI would."""
    return boto3.client(
        "signin",
        endpoint_url=fake.base_url,
        region_name="us-east-1",
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=Config(retries={"max_attempts": 1}),
    )


def signed_revoke(
    fake: SigninFake,
    credentials: Credentials,
    body: bytes,
    *,
    at: float | None = None,
    region: str = "us-east-1",
    service: str = "signin",
) -> httpx.Response:
    """A revocation signed by botocore's SigV4Auth at the instant `at`, sent with httpx."""
    url = f"{fake.base_url}/v1/revoke?x-amz-client-auth-method=iam"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if at is None else at))
    headers = {"Content-Type": "application/json", "X-Amz-Date": stamp}
    if credentials.token:
        headers["X-Amz-Security-Token"] = credentials.token
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    request.context["timestamp"] = stamp
    signer = SigV4Auth(credentials, service, region)
    to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
        f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, "
        f"Signature={signer.signature(to_sign, request)}"
    )
    return httpx.post(url, content=body, headers=headers, timeout=5)


def token_body(token: str) -> bytes:
    return json.dumps({"token": token}).encode()


def test_botocore_revokes_the_refresh_token_chain(fake: SigninFake) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    first = signed_in(fake, key)
    assert first["refreshToken"].startswith("ASOR")
    second = refresh(fake, key, first["refreshToken"]).json()

    answer = signin_client(fake, credentials_of(second)).revoke_oauth2_token_with_iam(
        token=second["refreshToken"]
    )

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert fake.revoked_tokens == [second["refreshToken"]]
    # Every token of the chain is refused now, the current one and the one it replaced.
    for token in (second["refreshToken"], first["refreshToken"]):
        refused = refresh(fake, key, token)
        assert refused.status_code == 401, refused.text
        assert refused.headers["x-amzn-errortype"] == "AccessDeniedException"
        assert refused.json()["error"] == "TOKEN_EXPIRED"


def test_a_denied_revocation_is_access_denied_and_revokes_nothing(fake: SigninFake) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    output = signed_in(fake, key)
    fake.deny_revocation()
    client = signin_client(fake, credentials_of(output))
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        client.revoke_oauth2_token_with_iam(token=output["refreshToken"])
    assert caught.value.response["error"] == "INSUFFICIENT_PERMISSIONS"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "signin:RevokeOAuth2TokenWithIAM" in caught.value.response["Error"]["Message"]
    assert refresh(fake, key, output["refreshToken"]).status_code == 200


def test_unknown_tokens_are_answered_200_and_malformed_ones_refused(fake: SigninFake) -> None:
    credentials = credentials_of(signed_in(fake, ec.generate_private_key(ec.SECP256R1())))
    assert signed_revoke(fake, credentials, token_body("ASORnever-issued")).status_code == 200
    for body in (token_body("an-access-token"), b"{}", b"token=ASORx"):
        refused = signed_revoke(fake, credentials, body)
        assert refused.status_code == 400, refused.text
        assert refused.headers["x-amzn-errortype"] == "ValidationException"
    assert fake.revoked_tokens == []


def test_another_identitys_token_is_refused(fake: SigninFake) -> None:
    alice = signed_in(fake, ec.generate_private_key(ec.SECP256R1()))
    bob = signed_in(fake, ec.generate_private_key(ec.SECP256R1()), username="bob")
    refused = signed_revoke(fake, credentials_of(bob), token_body(alice["refreshToken"]))
    assert refused.status_code == 403
    assert refused.json()["error"] == "INSUFFICIENT_PERMISSIONS"
    assert fake.revoked_tokens == []


def test_sigv4_refusals(fake: SigninFake) -> None:
    output = signed_in(fake, ec.generate_private_key(ec.SECP256R1()))
    good = credentials_of(output)
    body = token_body(output["refreshToken"])

    def refused_as(response: httpx.Response, shape: str) -> None:
        assert response.status_code == 403, response.text
        assert response.headers["x-amzn-errortype"] == shape
        assert "message" in response.json()

    wrong_secret = Credentials(good.access_key, good.secret_key + "x", good.token)
    refused_as(signed_revoke(fake, wrong_secret, body), "InvalidSignatureException")
    refused_as(signed_revoke(fake, good, body, at=time.time() - 600), "InvalidSignatureException")
    refused_as(signed_revoke(fake, good, body, region="eu-west-1"), "InvalidSignatureException")
    refused_as(signed_revoke(fake, good, body, service="sts"), "InvalidSignatureException")
    unknown = Credentials("ASIAUNKNOWN", good.secret_key, good.token)
    refused_as(signed_revoke(fake, unknown, body), "UnrecognizedClientException")
    no_token = Credentials(good.access_key, good.secret_key)
    refused_as(signed_revoke(fake, no_token, body), "UnrecognizedClientException")

    url = f"{fake.base_url}/v1/revoke?x-amz-client-auth-method=iam"
    unsigned = httpx.post(url, content=body, timeout=5)
    refused_as(unsigned, "MissingAuthenticationTokenException")

    # A body changed after signing: the payload hash is part of the signature.
    sent = signed_revoke(fake, good, body)
    assert sent.status_code == 200
    tampered = dict(sent.request.headers)
    other = token_body("ASORsomething-else")
    tampered.pop("content-length")
    refused_as(
        httpx.post(url, content=other, headers=tampered, timeout=5), "InvalidSignatureException"
    )
    assert fake.revoke_calls == 9


def test_credentials_past_their_expiry_are_refused_as_expired() -> None:
    """The verifier alone, on an instant after the issued credentials expired."""
    issued = IssuedKey("the-secret", "the-token", expires_at=1_000_000.0)
    credentials = Credentials("ASIAISSUED", issued.secret_access_key, issued.session_token)
    url = "http://127.0.0.1:1/v1/revoke?x-amz-client-auth-method=iam"
    body = token_body("ASORx")
    at = issued.expires_at + 10
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(at))
    headers = {
        "content-type": "application/json",
        "x-amz-date": stamp,
        "x-amz-security-token": issued.session_token,
    }
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    request.context["timestamp"] = stamp
    signer = SigV4Auth(credentials, "signin", "us-east-1")
    to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    headers["host"] = "127.0.0.1:1"
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
        f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, "
        f"Signature={signer.signature(to_sign, request)}"
    )
    signed = SignedRequest("POST", url, headers, body)
    keys = {"ASIAISSUED": issued}.get
    before = verify(signed, issued=keys, region="us-east-1", now=at - 20, max_skew=300)
    assert before == "ASIAISSUED"
    with pytest.raises(SignatureError) as caught:
        verify(signed, issued=keys, region="us-east-1", now=at, max_skew=300)
    assert caught.value.shape == "ExpiredTokenException"
