"""A host's profile `dev` for the aws-signin provider, pointed at the AWS Sign-In fake
(tests/fakes/signin), the caches it shares with botocore, and its person who signs in
at the fake's pages (played with httpx).

botocore reads its settings from the process environment, so `use_in_process` copies a
test's environment into os.environ for in-process boto3 calls.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import httpx
import pytest
from botocore.utils import generate_login_cache_key, get_login_token_cache_directory

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.signin import SigninFake
from tests.fakes.signin.person import answer_sign_in
from tests.support.host import DESKTOP, awslogin_script, host_environ

ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:sts::210987654321:assumed-role/Admin/bob"
# A same-device redirect the fake accepts, for tests that drive its endpoints directly.
LOOPBACK_REDIRECT = "http://127.0.0.1:51234/oauth/callback"


def signin_environ(tmp_path: Path, fake: SigninFake) -> dict[str, str]:
    """Profile `dev` (provider aws-signin, us-east-1) pointed at the fake; private caches."""
    config = tmp_path / "config"
    config.write_text(
        "# written by the test\n[profile dev]\nawslogin_provider = aws-signin\nregion = us-east-1\n"
    )
    return host_environ(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_LOGIN_CACHE_DIRECTORY=str(tmp_path / "login-cache"),
        AWSLOGIN_CACHE_DIR=str(tmp_path / "awslogin-cache"),
        AWS_ENDPOINT_URL_SIGNIN=fake.base_url,
        AWS_EC2_METADATA_DISABLED="true",
        **DESKTOP,
    )


def use_in_process(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Make `env` the process environment for in-process botocore calls."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "AWSLOGIN_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def cache_path(env: dict[str, str], session: str = ALICE) -> Path:
    """botocore's login cache file of `session`."""
    name = hashlib.sha256(session.encode()).hexdigest() + ".json"
    return Path(env["AWS_LOGIN_CACHE_DIRECTORY"]) / name


def read_cache(env: dict[str, str], session: str = ALICE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cache_path(env, session).read_text())
    return data


def person_at_the_browser(username: str = "alice") -> Callable[[str], bool]:
    """A browser opener whose person signs in and lands on the loopback callback."""

    def open_browser(url: str) -> bool:
        def sign_in() -> None:
            httpx.get(answer_sign_in(url, username=username), timeout=10)

        threading.Thread(target=sign_in, daemon=True).start()
        return True

    return open_browser


class Answering(io.StringIO):
    """Terminal input that counts as a terminal (so the CLI may ask)."""

    def isatty(self) -> bool:
        return True


def sign_in_here(
    env: dict[str, str], *, username: str = "alice", answers: str | None = None
) -> tuple[list[str], str]:
    """Same-device `awslogin login --profile dev`, in process; (result lines, stderr)."""
    stdin = Answering(answers) if answers is not None else io.StringIO()
    terminal = Terminal(err=io.StringIO(), out=io.StringIO(), stdin=stdin)
    lines = login(
        LoginOptions(profile="dev", timeout=30),
        env,
        terminal,
        browser_opener=person_at_the_browser(username),
    ).lines
    return lines, terminal.err.getvalue()  # type: ignore[attr-defined]


def run_cli(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`awslogin ARGS` to completion, as a subprocess."""
    return subprocess.run(
        [awslogin_script(), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one `awslogin: ...` line a failed command wrote to stderr."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("awslogin: "), done.stderr
    return lines[0]


def aws_logout(profile: str = "dev") -> None:
    """What the AWS CLI v2's `aws logout --profile PROFILE` does
    (awscli/customizations/login/logout.py): read the profile's `login_session` and
    delete that session's file from botocore's login cache, with botocore's own names
    for both. Nothing else: no call to AWS Sign-In, no lock. Reads the process
    environment, as the AWS CLI does (see `use_in_process`)."""
    config = botocore.session.Session().full_config
    session_id = config["profiles"][profile]["login_session"]
    cache_file = Path(get_login_token_cache_directory()) / (
        generate_login_cache_key(session_id) + ".json"
    )
    if cache_file.exists():
        cache_file.unlink()
