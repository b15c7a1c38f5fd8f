"""Client-side pieces for tests: PKCE pairs and DPoP proofs that can be made wrong on purpose.

Written with `cryptography` only, independent of the CLI's own implementation, so
the fake is checked against a second implementation and botocore's.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.fakes.signin.dpop import b64url_encode
from tests.fakes.signin.service import s256


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }


def dpop_proof(
    key: ec.EllipticCurvePrivateKey,
    htu: str,
    *,
    htm: str = "POST",
    iat: float | None = None,
    jti: str | None = None,
    header_jwk_key: ec.EllipticCurvePrivateKey | None = None,
    extra_header: dict[str, Any] | None = None,
) -> str:
    """An ES256 DPoP proof; `header_jwk_key` puts a different key in the header (bad signature)."""
    header: dict[str, Any] = {
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": public_jwk(header_jwk_key or key),
    }
    header.update(extra_header or {})
    payload = {
        "htm": htm,
        "htu": htu,
        "iat": int(time.time()) if iat is None else iat,
        "jti": jti or str(uuid.uuid4()),
    }
    encoded = [b64url_encode(json.dumps(part).encode()) for part in (header, payload)]
    signing_input = ".".join(encoded)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
