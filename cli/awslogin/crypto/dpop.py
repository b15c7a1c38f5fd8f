"""DPoP (RFC 9449) proofs with a P-256 key, as AWS Sign-In's token endpoint requires them.

AWS Sign-In binds the refresh token to the key that signed the first proof (its
thumbprint goes into the token's `cnf.jkt`), so the key must outlive the login: it is
kept in botocore's login cache as a SEC1 PEM ("BEGIN EC PRIVATE KEY"), the form that
botocore's own login provider loads to sign its refreshes. The proof is the compact
JWS that botocore builds: header `typ`, `alg`, `jwk` (public coordinates only),
payload `htm`, `htu` (the full request URL), `iat`, `jti`.
"""

from __future__ import annotations

import base64
import json
import textwrap
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from awslogin_protocol.base64url import b64url_encode

_COORDINATE_BYTES = 32


class DpopKeyError(ValueError):
    """The cached key is not a P-256 private key in PEM form."""


def _compact_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class DpopKey:
    """A P-256 key pair that signs DPoP proofs for one login session."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise DpopKeyError("the DPoP key is not a P-256 key")
        self._key = private_key

    @classmethod
    def generate(cls) -> DpopKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> DpopKey:
        try:
            key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise DpopKeyError("the DPoP key is not a PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise DpopKeyError("the DPoP key is not an elliptic-curve key")
        return cls(key)

    def to_pem(self) -> str:
        """SEC1 PEM with 64-column lines, as `aws login` writes it."""
        der = self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        body = textwrap.fill(base64.b64encode(der).decode("ascii"), width=64)
        return f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"

    def public_jwk(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {
            "kty": "EC",
            "x": b64url_encode(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
            "y": b64url_encode(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
            "crv": "P-256",
        }

    def proof(self, method: str, url: str, *, now: float | None = None) -> str:
        """A one-time proof for `method url` (a fresh `jti` each call)."""
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk()}
        payload = {
            "htm": method,
            "htu": url,
            "iat": int(time.time() if now is None else now),
            "jti": str(uuid.uuid4()),
        }
        signing_input = (
            f"{b64url_encode(_compact_json(header))}.{b64url_encode(_compact_json(payload))}"
        )
        der = self._key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
        return f"{signing_input}.{b64url_encode(signature)}"
