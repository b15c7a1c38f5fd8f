"""Reading an ID token's claims: a payload nested too deep reads as no claims."""

from __future__ import annotations

import base64

import pytest

from awslogin.crypto.jwt_claims import id_token_claims

pytestmark = pytest.mark.unit


def test_an_id_token_nested_too_deep_reads_as_no_claims() -> None:
    payload = base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=").decode()
    assert id_token_claims(f"e30.{payload}.sig") == {}
