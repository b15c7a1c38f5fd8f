"""DPoP proof checks (RFC 9449) as the sign-in token endpoint applies them.

Kept separate from the HTTP layer so each refusal has one clear reason that the
fake can put in its ValidationException message and tests can assert on. Every check
is one RFC 9449 4.3 requires of a server; AWS documents that the refresh token is bound
to the key's thumbprint (the model's RefreshToken: "cnf.jkt"), and botocore's proofs
(botocore/credentials.py `_build_dpop_header`: ES256, P-256 jwk, htm, htu = the request
URL, iat, uuid4 jti) pass every one of them.
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
    iat: float


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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_htu(url: str) -> str:
    """RFC 9449 4.3 point 9: htu compared without query and fragment, after the syntax-
    and scheme-based normalization of RFC 3986 6.2.2 and 6.2.3 (case, default port)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # not a port number: compared as written
        return urlunsplit((scheme, parts.netloc.lower(), parts.path or "/", "", ""))
    host = (parts.hostname or "").lower()
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


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
    # RFC 9449 4.3 point 7: the jwk must not contain a private key.
    if "d" in jwk:
        raise DpopError("DPoP proof jwk contains a private key")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise DpopError("DPoP proof jwk is not an EC P-256 key")
    try:
        x = b64url_decode(jwk["x"])
        y = b64url_decode(jwk["y"])
        # RFC 7518 6.2.1.2 wants 32 bytes; botocore drops a coordinate's leading zero
        # bytes (about one key in 128), and the fake accepts what AWS clients send.
        if not (0 < len(x) <= 32 and 0 < len(y) <= 32):
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
    # RFC 9449 4.3 points 1-2: exactly one DPoP header, a well-formed JWS.
    if not proof:
        raise DpopError("DPoP header is missing")
    segments = proof.split(".")
    if len(segments) != 3:
        raise DpopError("DPoP proof is not a compact JWS")
    header = _json_segment(segments[0], "header")
    payload = _json_segment(segments[1], "payload")
    # RFC 9449 4.2 typ dpop+jwt; RFC 7515 4.1.9: media types compare case-insensitively
    # and the "application/" prefix may be present.
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "dpop+jwt":
        raise DpopError("DPoP proof typ is not dpop+jwt")
    # ES256 over a P-256 key: what botocore and the AWS CLI sign with (awscrt EC P_256),
    # and the only key type the login cache (`dpopKey`, an EC PRIVATE KEY) can hold.
    if header.get("alg") != "ES256":
        raise DpopError("DPoP proof alg is not ES256")
    key = _public_key(header.get("jwk"))
    try:
        raw = b64url_decode(segments[2])
    except ValueError as exc:
        raise DpopError("DPoP proof signature is not base64url") from exc
    # RFC 7518 3.4: an ES256 JWS signature is R || S, 64 bytes. Point 8: it must verify.
    if len(raw) != 64:
        raise DpopError("DPoP proof signature is not a 64-byte ES256 signature")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, f"{segments[0]}.{segments[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise DpopError("DPoP proof signature does not verify") from exc
    # Points 9-10: htm is the request's method, htu its URL.
    if payload.get("htm") != htm:
        raise DpopError("DPoP proof htm does not match the request method")
    claimed_htu = payload.get("htu")
    if not isinstance(claimed_htu, str) or normalize_htu(claimed_htu) != normalize_htu(htu):
        raise DpopError("DPoP proof htu does not match the token endpoint URL")
    # Point 11 and 11.1: iat within the server's window. A NumericDate may have a
    # fraction (RFC 7519 2), so any JSON number is taken.
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise DpopError("DPoP proof iat is missing or not a number")
    if iat < now - max_age:
        raise DpopError("DPoP proof iat is too old")
    if iat > now + max_skew:
        raise DpopError("DPoP proof iat is in the future")
    # Point 4: the claims of 4.2 are present; jti is what the replay check keys on.
    jti = payload.get("jti")
    if not isinstance(jti, str) or not jti:
        raise DpopError("DPoP proof jti is missing")
    return DpopProof(jkt=jwk_thumbprint(header["jwk"]), jti=jti, iat=iat)
