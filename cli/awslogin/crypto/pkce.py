"""PKCE (RFC 7636), S256 only, and the random values that go with an authorization request."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from awslogin_protocol.base64url import b64url_encode


def new_verifier() -> str:
    """43 characters from 32 random bytes: the minimum length with full entropy."""
    return b64url_encode(secrets.token_bytes(32))


def challenge_s256(verifier: str) -> str:
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    """A high-entropy `state` (the relay refuses weak ones); also used for `nonce`."""
    return secrets.token_urlsafe(32)


def same_secret(expected: str, received: str) -> bool:
    """Constant-time comparison for state and nonce checks."""
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))
