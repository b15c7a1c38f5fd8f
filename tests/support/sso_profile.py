"""A host with one sso-session and three profiles, pointed at the IAM Identity Center
fake (tests/fakes/sso), and its person who signs in at the fake's pages.

Profiles: `dev` (awslogin, Developer in 111111111111, with credential_process), `dev-ro`
(ReadOnly in the same account, same session, as the AWS CLI writes it: no
credential_process) and `prod` (ReadOnly in 222222222222, also without credential_process).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.exceptions import ClientError

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.login import LoginOptions, login
from tests.fakes.sso import SsoFake
from tests.fakes.sso.browser import sign_in
from tests.fakes.sso.portal import reserved_role_arn
from tests.support.host import DESKTOP, awslogin_script, host_environ

SESSION = "corp"
CONFIG = """\
# team settings, keep me
[default]
region = eu-west-1

[sso-session corp]
sso_start_url = {start_url}
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
awslogin_provider = sso
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
region = us-east-1
credential_process = awslogin credential-process --profile dev

[profile dev-ro]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
region = us-east-1

[profile prod]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnly
region = us-east-1
"""


# How botocore writes and reads times in its SSO caches.
BOTOCORE_TIME = "%Y-%m-%dT%H:%M:%SZ"


def caller(user: str = "alice", account: str = "111111111111", role: str = "Developer") -> str:
    """The caller ARN STS gives for `user`'s role credentials from the fake."""
    role_name = reserved_role_arn(account, role).rsplit("/", 1)[1]
    return f"arn:aws:sts::{account}:assumed-role/{role_name}/{user}"


def credential_process(env: dict[str, str], profile: str) -> subprocess.CompletedProcess[str]:
    """`awslogin credential-process --profile PROFILE`, as the AWS CLI runs it."""
    return subprocess.run(
        [awslogin_script(), "credential-process", "--profile", profile],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def botocore_credentials(env: dict[str, str], profile: str) -> dict[str, Any]:
    """What boto3's own credential chain gives for the profile, in a fresh process
    (botocore fixes its SSO cache directory from HOME at import)."""
    probe = (
        "import boto3, json\n"
        f"session = boto3.Session(profile_name={profile!r})\n"
        "creds = session.get_credentials()\n"
        "frozen = creds.get_frozen_credentials()\n"
        "print(json.dumps({'method': creds.method, 'key': frozen.access_key}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def sso_environ(tmp_path: Path, sso_fake: SsoFake) -> dict[str, str]:
    """HOME, config and caches under tmp_path; endpoints at the fake; no SSH, a display."""
    config = tmp_path / "config"
    config.write_text(CONFIG.format(start_url=sso_fake.settings.start_url))
    return host_environ(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWSLOGIN_CACHE_DIR=str(tmp_path / "awslogin-cache"),
        **DESKTOP,
        **sso_fake.endpoint_env(),
    )


def token_path(home: Path, session: str = SESSION) -> Path:
    """The AWS CLI's cached SSO token of `session` under `home`."""
    name = hashlib.sha1(session.encode()).hexdigest()
    return home / ".aws" / "sso" / "cache" / f"{name}.json"


def person_at_browser(
    opened: list[str], *, approve: bool = True, tamper: Callable[[str], str] | None = None
) -> Callable[[str], bool]:
    """A browser opener: signs in at the fake's /authorize and follows the redirect back
    to the loopback listener, on its own thread as a real browser would."""

    def open_browser(url: str) -> bool:
        opened.append(url)

        def person() -> None:
            back = sign_in(url, approve=approve)
            httpx.get(tamper(back) if tamper else back, timeout=10)

        threading.Thread(target=person, daemon=True).start()
        return True

    return open_browser


def sign_in_same_device(env: dict[str, str], profile: str = "dev") -> tuple[list[str], str]:
    """Same-device login of `profile`, in process; (result lines, the URL the browser got)."""
    opened: list[str] = []
    err = io.StringIO()
    lines = login(
        LoginOptions(profile=profile, timeout=30),
        env,
        Terminal(err=err, out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=person_at_browser(opened),
    ).lines
    assert len(opened) == 1
    return lines, opened[0]


def aws_sso_logout(env: dict[str, str]) -> None:
    """What the AWS CLI v2's `aws sso logout` does (awscli/customizations/sso/logout.py):
    for every file of ~/.aws/sso/cache that holds an `accessToken`, call the portal's
    Logout (with botocore's `sso` client, in the token's region; a ClientError is ignored)
    and delete the file; then delete every cached role credential of ~/.aws/cli/cache
    whose ProviderType is `sso`. Nothing else: awslogin's own cache stays as it was."""
    home = Path(env["HOME"]) / ".aws"
    for path in sorted((home / "sso" / "cache").glob("*")):
        contents = json.loads(path.read_text())
        if "accessToken" not in contents:
            continue
        if contents.get("region"):
            portal = boto3.client(
                "sso", region_name=contents["region"], endpoint_url=env["AWS_ENDPOINT_URL_SSO"]
            )
            with contextlib.suppress(ClientError):
                portal.logout(accessToken=contents["accessToken"])
        path.unlink()
    for path in sorted((home / "cli" / "cache").glob("*")):
        if json.loads(path.read_text()).get("ProviderType") == "sso":
            path.unlink()
