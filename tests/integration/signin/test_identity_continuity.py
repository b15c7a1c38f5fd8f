"""Identity continuity for aws-signin against the sign-in fake: the identity is the
profile's `login_session` (docs/security.md, invariant 14, "Continuity"). --force
points the profile at another person's session without asking; a pin refuses one it
does not match, forced or not, leaves botocore's cache and the config alone, and revokes
the refused session at AWS Sign-In. The question and the refusal without a terminal are
in test_session_lifetime.py."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.identity_check import IdentityRefused
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.signin import SigninFake
from tests.support.host import awslogin_script
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


def _refused(env: dict[str, str], username: str) -> tuple[IdentityRefused, str]:
    """`_forced`, refused: (the refusal, what the terminal showed)."""
    err = io.StringIO()
    with pytest.raises(IdentityRefused) as refused:
        login(
            LoginOptions(profile="dev", timeout=30, force=True),
            env,
            Terminal(err=err, out=io.StringIO(), stdin=io.StringIO()),
            browser_opener=person_at_the_browser(username),
        )
    return refused.value, err.getvalue()


def _pin_to_users(env: dict[str, str]) -> bytes:
    """Pin profile dev to IAM users (BOB is a role session); the config as it then is."""
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + "awslogin_expected_identity = arn:aws:iam::*:user/*\n")
    return config.read_bytes()


def test_force_points_the_profile_at_another_session_without_asking(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    sign_in_here(signin_env, username="alice")

    lines = _forced(signin_env, "bob")

    assert lines[0] == f"Signed in as {BOB}"
    assert f"login_session = {BOB}\n" in Path(signin_env["AWS_CONFIG_FILE"]).read_text()
    assert cache_path(signin_env, BOB).exists()


def test_a_pin_refuses_another_session_saves_nothing_and_revokes_it(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    before = _pin_to_users(signin_env)

    refused, shown = _refused(signin_env, "bob")

    assert str(refused) == (
        f"profile dev expects arn:aws:iam::*:user/*, but the sign-in was as {BOB}; "
        "nothing was saved"
    )
    assert Path(signin_env["AWS_CONFIG_FILE"]).read_bytes() == before
    assert not cache_path(signin_env, BOB).exists()
    [bobs] = [session for session in fake.sessions if session.login_session == BOB]
    assert bobs.revoked
    assert fake.revoked_tokens == [bobs.refresh_token]
    assert shown.strip().splitlines()[-1] == (
        "Ended the new sign-in at the provider: refresh token revoked at AWS Sign-In "
        "(credentials already handed out work until they expire, 15 minutes at most)."
    )

    lines, _ = sign_in_here(signin_env, username="alice")
    assert lines[0] == f"Signed in as {ALICE}"
    assert cache_path(signin_env, ALICE).exists()


def test_a_refused_session_that_may_not_be_revoked_is_said_so(
    fake: SigninFake, signin_env: dict[str, str]
) -> None:
    _pin_to_users(signin_env)
    fake.deny_revocation()

    refused, shown = _refused(signin_env, "bob")

    assert str(refused).endswith("nothing was saved")
    assert fake.revoke_calls == 1
    assert not any(session.revoked for session in fake.sessions)
    assert shown.strip().splitlines()[-1] == (
        "Could not end the new sign-in at the provider: refresh token not revoked: your "
        "identity may not call signin:RevokeOAuth2TokenWithIAM (INSUFFICIENT_PERMISSIONS)."
    )


@pytest.mark.slow
def test_ctrl_c_during_the_revocation_ends_it_and_the_refusal_stands(
    fake: SigninFake, signin_env: dict[str, str], tmp_path: Path
) -> None:
    """The real command: Ctrl-C while AWS Sign-In holds the revocation of Bob's refused
    session. No traceback; one line says it was not ended; the refusal is the last line."""
    _pin_to_users(signin_env)
    browser = tmp_path / "browser.py"
    browser.write_text(
        "import os, sys\nimport httpx\n"
        "if os.fork():  # return at once, as a browser does: the page waits for the login\n"
        "    sys.exit(0)\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
        "from tests.fakes.signin.person import answer_sign_in\n"
        "httpx.get(answer_sign_in(sys.argv[1], username='bob'), timeout=10)\n"
    )
    held = fake.hold_next_revocation()
    process = subprocess.Popen(
        [awslogin_script(), "login", "--profile", "dev", "--timeout", "30"],
        env={**signin_env, "BROWSER": f"{sys.executable} {browser} %s"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        held.wait_arrived()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert not any(session.revoked for session in fake.sessions)
    finally:
        held.release()
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 1, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-2:] == [
        "Could not end the new sign-in at the provider: interrupted.",
        f"awslogin: profile dev expects arn:aws:iam::*:user/*, but the sign-in was as {BOB}; "
        "nothing was saved",
    ]
