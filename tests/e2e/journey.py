"""Steps of a person's journey shared by the e2e tests and the demo.

configure a profile on the host, start `awslogin login --remote`, read the sign-in
screen (URL, QR code, user code) as it streams, complete it on the phone, and use the
credentials from another program through the profile's credential_process (boto3).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

from tests.e2e import phone
from tests.e2e.host import HostProcess, run_awslogin
from tests.e2e.terminal_qr import qr_rows_after
from tests.support.host import awslogin_script

PROFILE = "dev"
ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
REGION = "us-east-1"
USER = "alice"
# Patterns of the remote sign-in screen (cli/awslogin/adapters/terminal.py).
URL_LINE = r"^ {6}(https?://\S+/p/(\S+))$"
CODE_LINE = r"Check that the page shows this code:\s+(\S+)$"
NUMBER_LINE = r"Then choose this number on the page:\s+([0-9]{2})$"
WAITING_LINE = r"Waiting for you to sign in\.\.\. \d+:\d\d left"
SIGNED_IN_LINE = r"^Signed in as (arn:aws:sts::\d{12}:assumed-role/\S+)$"


@dataclass(frozen=True)
class SignInScreen:
    """What the host printed for a remote sign-in."""

    url: str
    pairing_id: str
    user_code: str
    qr_rows: list[str]
    number: int  # the number to choose on the page


def configure_profile(
    env: Mapping[str, str], *, issuer: str, client_id: str, relay: str | None
) -> None:
    """`awslogin configure` as a person runs it once on the host."""
    args = [
        "configure",
        "--profile",
        PROFILE,
        "--issuer",
        issuer,
        "--client-id",
        client_id,
        "--role-arn",
        ROLE_ARN,
        "--region",
        REGION,
    ]
    if relay is not None:
        args += ["--relay", relay]
    done = run_awslogin(args, env)
    assert done.returncode == 0, done.stderr


def remote_login_argv(*extra: str, prefix: Sequence[str] = ()) -> list[str]:
    return [*prefix, awslogin_script(), "login", "--remote", "--profile", PROFILE, *extra]


def read_sign_in_screen(host: HostProcess, timeout: float = 30.0) -> SignInScreen:
    """The URL, QR rows and user code, waiting for each as the host prints them."""
    url = host.wait_for(URL_LINE, timeout=timeout)
    code = host.wait_for(CODE_LINE, timeout=timeout)
    number = host.wait_for(NUMBER_LINE, timeout=timeout)
    lines = list(host.lines["stderr"])
    rows = qr_rows_after(lines, lines.index(url.string))
    return SignInScreen(
        url=url.group(1),
        pairing_id=url.group(2),
        user_code=code.group(1),
        qr_rows=rows,
        number=int(number.group(1)),
    )


def sign_in_on_phone(page: Page, screen: SignInScreen, issuer: str, login: str = USER) -> str:
    """Open the link, compare codes, choose the terminal's number, sign in; the user
    code the page showed."""
    shown = phone.open_pairing_page(page, screen.url)
    phone.continue_to_provider(page, issuer, screen.number)
    phone.sign_in_at_provider(page, login)
    return shown


_CALLER_IDENTITY = """
import json, boto3
identity = boto3.client("sts").get_caller_identity()
identity.pop("ResponseMetadata", None)
print(json.dumps(identity))
"""


def caller_identity_with_boto3(env: Mapping[str, str]) -> dict[str, Any]:
    """`sts get-caller-identity` from boto3, credentials only through AWS_PROFILE."""
    done = subprocess.run(
        [sys.executable, "-c", _CALLER_IDENTITY],
        env={**env, "AWS_PROFILE": PROFILE},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    identity: dict[str, Any] = json.loads(done.stdout)
    return identity
