"""SigV4 signing (cli/awslogin/crypto/sigv4.py): AWS's published test suite, and the same
signature as botocore's own signer for the request `logout` sends."""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awslogin.crypto.sigv4 import SigningCredentials, canonical_request, sign

pytestmark = pytest.mark.unit

# The AWS SigV4 test suite's credentials, instant, region and service.
SUITE = SigningCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SUITE_TIME = 1440938160.0  # 20150830T123600Z
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def suite_authorization(method: str, url: str) -> str:
    headers = sign(
        method,
        url,
        {},
        b"",
        credentials=SUITE,
        region="us-east-1",
        service="service",
        now=SUITE_TIME,
    )
    assert headers["X-Amz-Date"] == "20150830T123600Z"
    assert headers["Host"] == "example.amazonaws.com"
    return headers["Authorization"]


@pytest.mark.parametrize(
    ("case", "method", "url", "signature"),
    [
        (
            "get-vanilla",
            "GET",
            "https://example.amazonaws.com/",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "get-vanilla-query-order-key-case",
            "GET",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        (
            "post-vanilla",
            "POST",
            "https://example.amazonaws.com/",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
    ],
)
def test_signs_as_the_aws_sigv4_test_suite(
    case: str, method: str, url: str, signature: str
) -> None:
    assert suite_authorization(method, url) == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    ), case


def test_canonical_request_of_get_vanilla_hashes_as_the_suite_says() -> None:
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    text, signed = canonical_request("GET", "https://example.amazonaws.com/", headers, EMPTY_SHA256)
    assert signed == "host;x-amz-date"
    # The suite's get-vanilla.creq, whose hash its get-vanilla.sts states.
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    )


def test_a_revocation_is_signed_as_botocore_signs_it() -> None:
    """The request logout sends (a port, a query, a JSON body, a session token): botocore's
    SigV4Auth, given the same headers and instant, computes the same signature."""
    url = "http://127.0.0.1:8443/v1/revoke?x-amz-client-auth-method=iam"
    body = json.dumps({"token": "ASOR-example"}).encode()
    credentials = SigningCredentials("ASIAEXAMPLE", "secret/key+1", "session  token")
    headers = sign(
        "POST",
        url,
        {"Content-Type": "application/json"},
        body,
        credentials=credentials,
        region="eu-west-1",
        service="signin",
        now=1790000000.0,
    )
    assert headers["Host"] == "127.0.0.1:8443"
    assert headers["X-Amz-Security-Token"] == "session  token"
    assert (
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"
        in (headers["Authorization"])
    )
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={k: v for k, v in headers.items() if k != "Authorization"},
    )
    request.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(
        Credentials("ASIAEXAMPLE", "secret/key+1", "session  token"), "signin", "eu-west-1"
    )
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    assert headers["Authorization"].endswith(f"Signature={expected}")


def test_the_secret_and_token_stay_out_of_the_repr() -> None:
    shown = repr(SigningCredentials("ASIAEXAMPLE", "the-secret", "the-token"))
    assert "the-secret" not in shown
    assert "the-token" not in shown
