"""Fixtures of the aws-signin interop tests: the sign-in fake and a profile pointed at it
(the helpers the tests call are in tests/support/signin_profile.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.signin import SigninFake, run_signin_fake
from tests.support.signin_profile import ALICE, BOB, signin_environ


@pytest.fixture
def fake() -> Iterator[SigninFake]:
    """The sign-in fake with 2-minute credentials: every use near expiry refreshes."""
    with run_signin_fake(accounts={"alice": ALICE, "bob": BOB}, access_token_lifetime=120) as f:
        yield f


@pytest.fixture
def signin_env(tmp_path: Path, fake: SigninFake) -> dict[str, str]:
    """Profile `dev` (provider aws-signin, us-east-1) pointed at the fake."""
    return signin_environ(tmp_path, fake)
