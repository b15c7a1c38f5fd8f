"""Who signed in to IAM Identity Center, and continuity on it: the real `awslogin login`
against the IAM Identity Center fake, whose role credentials moto STS mints for the
signed-in user, so that STS GetCallerIdentity names that user (docs/security.md,
invariant 14, "Continuity"). Another user with the same assignment is refused without a
terminal and nothing is saved, neither the role credentials nor the sso-session's token;
the same user is saved; a pin holds even against --force; a login whose caller STS does
not tell saves nothing."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.sso.browser import decide_device
from tests.fakes.sso.server import SsoFake
from tests.peers._process import free_port
from tests.support.host import awslogin_script
from tests.support.sso_profile import caller, sign_in_same_device, token_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_DEVICE_LINK = re.compile(r"https?://\S*user_code=[A-Z0-9-]+")


def device_login(
    env: dict[str, str], user: str | None, *flags: str
) -> subprocess.CompletedProcess[str]:
    """`awslogin login --profile dev --remote` with no terminal; `user` allows the device
    code on the fake's page (None: nobody needs to, the login fails before)."""
    process = subprocess.Popen(
        [awslogin_script(), "login", "--profile", "dev", "--remote", "--no-qr", *flags],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    said: list[str] = []
    if user is not None:
        for line in process.stderr:
            said.append(line)
            found = _DEVICE_LINK.search(line)
            if found is not None:
                decide_device(found.group(0), user=user)
                break
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "".join(said) + err)


def saved(env: dict[str, str], home: Path) -> tuple[str, str]:
    """awslogin's record of profile dev and the sso-session's token, as they are."""
    record = Path(env["AWSLOGIN_CACHE_DIR"]) / "sso--dev.json"
    return record.read_text(), token_path(home).read_text()


def identity(env: dict[str, str]) -> Any:
    record = json.loads((Path(env["AWSLOGIN_CACHE_DIR"]) / "sso--dev.json").read_text())
    return record["identity"]["arn"]


def test_another_user_is_refused_and_nothing_is_saved_the_same_user_is(
    sso_env: dict[str, str], sso_fake: SsoFake, sts: Any, tmp_path: Path
) -> None:
    lines, _ = sign_in_same_device(sso_env)
    assert lines[0] == f"Signed in as {caller('alice')}"
    assert identity(sso_env) == caller("alice")
    # The fake minted the credentials (AssumeRole); awslogin asked STS who they belong
    # to, once, signed for the profile's region.
    asked = [(c.action, c.region) for c in sts.calls if c.action != "AssumeRole"]
    assert asked == [("GetCallerIdentity", "us-east-1")]
    before = saved(sso_env, tmp_path)

    bob = device_login(sso_env, "bob")
    assert bob.returncode == 1, bob.stderr
    last = bob.stderr.strip().splitlines()[-1]
    assert f"signed in as {caller('alice')}, not {caller('bob')}; nothing was saved" in last
    assert "Traceback" not in bob.stderr
    assert saved(sso_env, tmp_path) == before
    # Bob's sign-in was ended at the portal with its own token; Alice's still works.
    assert "Ended the new sign-in at the provider: signed out of SSO session" in bob.stderr
    assert sso_fake.calls["Logout"] == 1
    alice_token = json.loads(before[1])["accessToken"]
    accounts = httpx.get(
        f"{sso_fake.portal_url}/assignment/accounts",
        headers={"x-amz-sso_bearer_token": alice_token},
        timeout=10,
    )
    assert accounts.status_code == 200, accounts.text

    alice = device_login(sso_env, "alice")
    assert alice.returncode == 0, alice.stderr
    assert alice.stdout.startswith(f"Signed in as {caller('alice')}\n")
    assert saved(sso_env, tmp_path)[1] != before[1]  # the new sign-in's token


def test_the_pin_refuses_another_user_even_with_force(
    sso_env: dict[str, str], tmp_path: Path
) -> None:
    config = Path(sso_env["AWS_CONFIG_FILE"])
    pin = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Developer_*/alice"
    config.write_text(
        config.read_text().replace(
            "[profile dev]\n", f"[profile dev]\nawslogin_expected_identity = {pin}\n", 1
        )
    )
    sign_in_same_device(sso_env)
    before = saved(sso_env, tmp_path)

    bob = device_login(sso_env, "bob", "--force")

    assert bob.returncode == 1, bob.stderr
    assert f"expects {pin}, but the sign-in was as {caller('bob')}" in bob.stderr
    assert saved(sso_env, tmp_path) == before


def test_a_login_whose_caller_sts_does_not_tell_saves_nothing(
    sso_env: dict[str, str], tmp_path: Path
) -> None:
    sign_in_same_device(sso_env)
    before = saved(sso_env, tmp_path)
    unreachable = {**sso_env, "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{free_port()}"}

    done = device_login(unreachable, "alice")

    assert done.returncode == 1, done.stderr
    assert "STS" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    assert saved(sso_env, tmp_path) == before
