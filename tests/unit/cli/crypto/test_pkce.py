"""PKCE S256, as RFC 7636 computes it."""

from __future__ import annotations

import base64
import hashlib

import pytest

from awslogin.crypto.pkce import challenge_s256, new_state, new_verifier, same_secret

pytestmark = pytest.mark.unit


def test_pkce_s256_matches_rfc7636() -> None:
    verifier = new_verifier()
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge_s256(verifier) == expected.decode()
    assert challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert new_state() != new_state()
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "abd")
