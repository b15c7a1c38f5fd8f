"""DPoP proof checks (RFC 9449) as the sign-in token endpoint applies them.

Kept separate from the HTTP layer so each refusal has one clear reason that the
fake can put in its ValidationException message and tests can assert on.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


class DpopError(Exception):
    """A proof that the token endpoint must refuse; the message names the reason."""


@dataclass(frozen=True)
class DpopProof:
    """What a verified proof tells the endpoint: the key thumbprint and the replay id."""

    jkt: str
    jti: str
    iat: int


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC public JWK (the `cnf.jkt` binding)."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def normalize_htu(url: str) -> str:
    """RFC 9449 compares htu without query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def _json_segment(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except ValueError as exc:
        raise DpopError(f"DPoP proof {what} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise DpopError(f"DPoP proof {what} is not a JSON object")
    return value


def _public_key(jwk: Any) -> ec.EllipticCurvePublicKey:
    if not isinstance(jwk, dict):
        raise DpopError("DPoP proof header has no jwk object")
    if "d" in jwk:
        raise DpopError("DPoP proof jwk contains a private key")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise DpopError("DPoP proof jwk is not an EC P-256 key")
    try:
        x = b64url_decode(jwk["x"])
        y = b64url_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("coordinate length")
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except (KeyError, TypeError, ValueError) as exc:
        raise DpopError("DPoP proof jwk is not a valid P-256 point") from exc


def verify_proof(
    proof: str | None, *, htm: str, htu: str, now: float, max_age: float, max_skew: float
) -> DpopProof:
    """Check one DPoP header value; raise DpopError with the first failing rule."""
    if not proof:
        raise DpopError("DPoP header is missing")
    segments = proof.split(".")
    if len(segments) != 3:
        raise DpopError("DPoP proof is not a compact JWS")
    header = _json_segment(segments[0], "header")
    payload = _json_segment(segments[1], "payload")
    if header.get("typ") != "dpop+jwt":
        raise DpopError("DPoP proof typ is not dpop+jwt")
    if header.get("alg") != "ES256":
        raise DpopError("DPoP proof alg is not ES256")
    key = _public_key(header.get("jwk"))
    try:
        raw = b64url_decode(segments[2])
    except ValueError as exc:
        raise DpopError("DPoP proof signature is not base64url") from exc
    if len(raw) != 64:
        raise DpopError("DPoP proof signature is not a 64-byte ES256 signature")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, f"{segments[0]}.{segments[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise DpopError("DPoP proof signature does not verify") from exc
    if payload.get("htm") != htm:
        raise DpopError("DPoP proof htm does not match the request method")
    claimed_htu = payload.get("htu")
    if not isinstance(claimed_htu, str) or normalize_htu(claimed_htu) != normalize_htu(htu):
        raise DpopError("DPoP proof htu does not match the token endpoint URL")
    iat = payload.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise DpopError("DPoP proof iat is missing or not an integer")
    if iat < now - max_age:
        raise DpopError("DPoP proof iat is too old")
    if iat > now + max_skew:
        raise DpopError("DPoP proof iat is in the future")
    jti = payload.get("jti")
    if not isinstance(jti, str) or not jti:
        raise DpopError("DPoP proof jti is missing")
    return DpopProof(jkt=jwk_thumbprint(header["jwk"]), jti=jti, iat=iat)
