"""Wiring for `sso` provider tests: the IAM Identity Center fake, a config with one
sso-session and three profiles, and a person who signs in at the fake's pages.

Profiles: `dev` (awslogin, Developer in 111111111111, with credential_process), `dev-ro`
(ReadOnly in the same account, same session, as the AWS CLI writes it: no
credential_process) and `prod` (ReadOnly in 222222222222, also without credential_process).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from tests.fakes.sso import SsoFake, run_sso_fake
from tests.fakes.sso.browser import sign_in

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


def token_path(home: Path, session: str = SESSION) -> Path:
    name = hashlib.sha1(session.encode()).hexdigest()
    return home / ".aws" / "sso" / "cache" / f"{name}.json"


@pytest.fixture
def sso_fake() -> Iterator[SsoFake]:
    with run_sso_fake() as fake:
        yield fake


@pytest.fixture
def sso_env(tmp_path: Path, sso_fake: SsoFake) -> dict[str, str]:
    """HOME, config and caches under tmp_path; endpoints at the fake; no SSH, a display."""
    config = tmp_path / "config"
    config.write_text(CONFIG.format(start_url=sso_fake.settings.start_url))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "AWSLOGIN_", "SSH_")) and k not in ("BROWSER", "DISPLAY")
    }
    env.update(
        {
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWSLOGIN_CACHE_DIR": str(tmp_path / "awslogin-cache"),
            "DISPLAY": ":0",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "NO_PROXY": "127.0.0.1,localhost",
            **sso_fake.endpoint_env(),
        }
    )
    return env


def awslogin_script() -> str:
    return str(Path(sys.executable).parent / "awslogin")


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
