"""DPoP proofs for aws-signin: ES256 JWTs signed by the key in their header, keys as PEM."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import jwt
import pytest
from awscrt.crypto import EC
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from awslogin.crypto.dpop import DpopKey, DpopKeyError

pytestmark = pytest.mark.unit


TOKEN_URL = "https://us-east-1.signin.aws.amazon.com/v1/token"


def b64url_json(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return value


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
