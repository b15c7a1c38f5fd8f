"""Identity continuity for aws-signin against the sign-in fake: the identity is the
profile's `login_session` (docs/security.md, invariant 14, "Continuity"). --force
points the profile at another person's session without asking; a pin refuses one it
does not match, forced or not, and leaves botocore's cache and the config alone. The
question and the refusal without a terminal are in test_session_lifetime.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.errors import AwsloginError
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.signin import SigninFake
from tests.support.signin_profile import (
    ALICE,
    BOB,
    cache_path,
    person_at_the_browser,
    sign_in_here,
)

pytestmark = pytest.mark.integration


def _forced(env: dict[str, str], username: str) -> list[str]:
    """`awslogin login --profile dev --force` in process, with no terminal to ask on."""
    return login(
        LoginOptions(profile="dev", timeout=30, force=True),
        env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=person_at_the_browser(username),
    ).lines


def test_force_points_the_profile_at_another_session_without_asking(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env, username="alice")

    lines = _forced(signin_env, "bob")

    assert lines[0] == f"Signed in as {BOB}"
    assert f"login_session = {BOB}\n" in Path(signin_env["AWS_CONFIG_FILE"]).read_text()
    assert cache_path(signin_env, BOB).exists()


def test_a_pin_refuses_another_session_and_saves_nothing(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    config = Path(signin_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + "awslogin_expected_identity = arn:aws:iam::*:user/*\n")
    before = config.read_bytes()

    with pytest.raises(AwsloginError) as refused:
        _forced(signin_env, "bob")

    assert str(refused.value) == (
        f"profile dev expects arn:aws:iam::*:user/*, but the sign-in was as {BOB}; "
        "nothing was saved"
    )
    assert config.read_bytes() == before
    assert not cache_path(signin_env, BOB).exists()

    lines, _ = sign_in_here(signin_env, username="alice")
    assert lines[0] == f"Signed in as {ALICE}"
    assert cache_path(signin_env, ALICE).exists()
