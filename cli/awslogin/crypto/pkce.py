"""PKCE (RFC 7636), S256 only, and the random values that go with an authorization request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_verifier() -> str:
    """43 characters from 32 random bytes: the minimum length with full entropy."""
    return _b64url(secrets.token_bytes(32))


def challenge_s256(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    """A high-entropy `state` (the relay refuses weak ones); also used for `nonce`."""
    return secrets.token_urlsafe(32)


def same_secret(expected: str, received: str) -> bool:
    """Constant-time comparison for state and nonce checks."""
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))
