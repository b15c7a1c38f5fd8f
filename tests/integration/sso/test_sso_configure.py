"""`awslogin configure --provider sso` against the fake: sign in, choose from the accounts and
roles the person has, and get a profile that awslogin and botocore both use."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.usecases.configure import ConfigureOptions, configure
from tests.fakes.sso import SsoFake
from tests.support.sso_profile import botocore_credentials, credential_process, person_at_browser

pytestmark = pytest.mark.integration


class Keyboard(io.StringIO):
    """Typed answers on a terminal."""

    def isatty(self) -> bool:
        return True


def test_configure_signs_in_lists_accounts_and_roles_and_writes_a_working_profile(
    sso_env: dict[str, str], sso_fake: SsoFake
) -> None:
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text("# team settings, keep me\n[default]\nregion = eu-west-1\n")
    sso_fake.settings.default_page_size = 1
    opened: list[str] = []
    err = io.StringIO()
    # Answers: session name, start URL, SSO region, then account 2 (prod), then role 2.
    keyboard = Keyboard(f"work\n{sso_fake.settings.start_url}\nus-east-1\n2\n2\n")
    lines = configure(
        ConfigureOptions(profile="ops", provider="sso", timeout=30),
        sso_env,
        Terminal(err=err, out=io.StringIO(), stdin=keyboard),
        browser_opener=person_at_browser(opened),
    )
    assert len(opened) == 1
    shown = err.getvalue()
    assert "111111111111  dev  (dev@example.com)" in shown
    assert "222222222222  prod  (prod@example.com)" in shown
    assert "  1. ReadOnly\n" in shown
    assert "  2. Operator\n" in shown
    assert sso_fake.calls["ListAccounts"] == 2  # one account per page: both pages read
    assert lines[0].endswith("role Operator in account 222222222222, SSO session work.")
    assert config.read_text() == (
        "# team settings, keep me\n[default]\nregion = eu-west-1\n\n"
        "[sso-session work]\n"
        f"sso_start_url = {sso_fake.settings.start_url}\n"
        "sso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n\n"
        "[profile ops]\n"
        "awslogin_provider = sso\n"
        "sso_session = work\n"
        "sso_account_id = 222222222222\n"
        "sso_role_name = Operator\n"
        "region = us-east-1\n"
        "credential_process = awslogin credential-process --profile ops\n"
    )

    # Both ways to use it: credential-process and botocore's own SSO provider.
    done = credential_process(sso_env, "ops")
    assert done.returncode == 0, done.stderr
    issued = sso_fake.issued_credentials[-1]
    assert (issued.account_id, issued.role_name) == ("222222222222", "Operator")
    assert botocore_credentials(sso_env, "ops")["method"] == "sso"

    # A second profile of the same session: no new sign-in, choices by flag.
    configure(
        ConfigureOptions(
            profile="dev",
            provider="sso",
            sso_session="work",
            account_id="111111111111",
            role_name="ReadOnly",
        ),
        sso_env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=person_at_browser(opened),
    )
    assert len(opened) == 1
    assert sso_fake.calls["CreateToken/authorization_code"] == 1
    assert credential_process(sso_env, "dev").returncode == 0
    assert sso_fake.issued_credentials[-1].role_name == "ReadOnly"
