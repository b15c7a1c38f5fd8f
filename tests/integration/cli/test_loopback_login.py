"""Same-device login against node-oidc-provider and STS (moto behind a token check)."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from awslogin.adapters.terminal import Terminal
from awslogin.errors import ProviderError
from awslogin.usecases.login import LoginOptions, login
from tests.peers.oidc import OidcProvider
from tests.support.background import in_background
from tests.support.host import awslogin_script
from tests.support.oidc_profile import USER, finish_at_idp

pytestmark = pytest.mark.integration


def browser_that_signs_in(
    oidc_provider: OidcProvider, opened: list[str], forge_state: bool = False
):  # type: ignore[no-untyped-def]
    def open_browser(url: str) -> bool:
        opened.append(url)

        def person() -> None:
            back = finish_at_idp(oidc_provider, url)
            if forge_state:
                back = back.replace("state=", "state=x")
            httpx.get(back, timeout=10)

        in_background(person)
        return True

    return open_browser


def test_loopback_login_then_credential_process_and_boto3(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any
) -> None:
    err, out = io.StringIO(), io.StringIO()
    opened: list[str] = []
    lines = login(
        LoginOptions(profile="dev", timeout=30),
        cli_env,
        Terminal(err=err, out=out, stdin=io.StringIO()),
        browser_opener=browser_that_signs_in(oidc_provider, opened),
    ).lines
    assert opened
    assert opened[0].startswith(f"{oidc_provider.issuer}/auth?")
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in opened[0]
    assert opened[0] in err.getvalue()  # the URL is printed as well
    assert lines[0].startswith("Signed in as arn:aws:sts::123456789012:assumed-role/dev/")
    # STS was given the IdP's signed ID token for the person who signed in.
    assert [claims["sub"] for claims in sts.received] == [USER]
    cache = Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    record = json.loads(cache.read_text())
    assert record["providerState"]["refreshToken"]

    done = subprocess.run(
        [awslogin_script(), "credential-process", "--profile", "dev"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == record["credentials"]["AccessKeyId"]

    # boto3 uses the profile through credential_process, with nothing else set up.
    probe = (
        "import boto3, json; s = boto3.Session(profile_name='dev'); "
        f"c = s.client('sts', endpoint_url={sts.endpoint_url!r}); "
        "print(json.dumps(c.get_caller_identity()))"
    )
    boto = subprocess.run(
        [sys.executable, "-c", probe], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert boto.returncode == 0, boto.stderr
    identity = json.loads(boto.stdout)
    assert identity["Arn"] == record["identity"]["arn"]


@pytest.mark.slow
def test_login_through_the_browser_command(
    cli_env: dict[str, str], oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    """The real command with BROWSER set to a script that plays the person."""
    script = tmp_path / "browser.py"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import sys, httpx
            sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
            from tests.peers.oidc import OidcProvider
            idp = OidcProvider.__new__(OidcProvider)
            idp.issuer = {oidc_provider.issuer!r}
            httpx.get(idp.complete_login(sys.argv[1], "bob"), timeout=10)
            """
        )
    )
    script.chmod(0o755)
    config = Path(cli_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text().replace("region = us-east-1\n", ""))
    done = subprocess.run(
        [
            awslogin_script(),
            "login",
            "--profile",
            "dev",
            "--region",
            "eu-west-1",
            "--timeout",
            "30",
        ],
        env={**cli_env, "BROWSER": str(script)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Signed in as arn:aws:sts::123456789012:assumed-role/dev/bob" in done.stdout
    assert f"{oidc_provider.issuer}/auth?" in done.stderr
    assert "aws sts get-caller-identity --profile dev" in done.stdout
    assert "region = eu-west-1\n" in config.read_text()  # the profile had none: remembered


def test_prompted_region_is_remembered(
    cli_env: dict[str, str], oidc_provider: OidcProvider
) -> None:
    config = Path(cli_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text().replace("region = us-east-1\n", ""))
    answers = io.StringIO("ap-southeast-2\n")
    answers.isatty = lambda: True  # type: ignore[method-assign]
    err = io.StringIO()
    login(
        LoginOptions(profile="dev", timeout=30),
        cli_env,
        Terminal(err=err, out=io.StringIO(), stdin=answers),
        browser_opener=browser_that_signs_in(oidc_provider, []),
    )
    assert "AWS region for this profile" in err.getvalue()
    assert "region = ap-southeast-2\n" in config.read_text()
    assert config.read_text().startswith("# written by the test\n[profile dev]\n")


def test_wrong_state_is_refused_and_nothing_is_cached(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any
) -> None:
    with pytest.raises(ProviderError, match="state mismatch"):
        login(
            LoginOptions(profile="dev", timeout=30),
            cli_env,
            Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
            browser_opener=browser_that_signs_in(oidc_provider, [], forge_state=True),
        )
    assert sts.received == []
    assert not Path(cli_env["AWSLOGIN_CACHE_DIR"]).exists()


def test_unreachable_idp_is_one_line(cli_env: dict[str, str], free_port: int) -> None:
    config = Path(cli_env["AWS_CONFIG_FILE"])
    text = config.read_text()
    start = text.index("awslogin_issuer = ") + len("awslogin_issuer = ")
    end = text.index("\n", start)
    config.write_text(text[:start] + f"http://127.0.0.1:{free_port}" + text[end:])
    done = subprocess.run(
        [awslogin_script(), "login", "--profile", "dev", "--no-browser", "--timeout", "5"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "awslogin: cannot reach the identity provider at "
        f"http://127.0.0.1:{free_port}: connection refused (nothing listens there)"
    ]


def browser_that_reads_the_page(
    oidc_provider: OidcProvider, pages: list[tuple[str, bool]], cache: Path
):  # type: ignore[no-untyped-def]
    """Signs in; records the page the loopback listener answered, and whether the
    session was cached by the time that answer came."""

    def open_browser(url: str) -> bool:
        def person() -> None:
            page = httpx.get(finish_at_idp(oidc_provider, url), timeout=30)
            pages.append((page.text, cache.exists()))

        in_background(person)
        return True

    return open_browser


def test_the_browsers_page_says_signed_in_only_once_the_session_is_cached(
    cli_env: dict[str, str], oidc_provider: OidcProvider, sts: Any
) -> None:
    pages: list[tuple[str, bool]] = []
    cache = Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    login(
        LoginOptions(profile="dev", timeout=30),
        cli_env,
        Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
        browser_opener=browser_that_reads_the_page(oidc_provider, pages, cache),
    )
    deadline = time.monotonic() + 10
    while not pages and time.monotonic() < deadline:
        time.sleep(0.05)
    ((page, cached),) = pages
    assert cached
    assert "<h1>Signed in</h1>" in page
    assert "Signed in as dev in account 123456789012." in page


@pytest.mark.slow
def test_the_browsers_page_says_why_the_login_could_not_finish(
    cli_env: dict[str, str], oidc_provider: OidcProvider, free_port: int
) -> None:
    pages: list[tuple[str, bool]] = []
    cache = Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    env = {**cli_env, "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{free_port}"}
    with pytest.raises(ProviderError, match="cannot reach STS"):
        login(
            LoginOptions(profile="dev", timeout=30),
            env,
            Terminal(err=io.StringIO(), out=io.StringIO(), stdin=io.StringIO()),
            browser_opener=browser_that_reads_the_page(oidc_provider, pages, cache),
        )
    deadline = time.monotonic() + 10
    while not pages and time.monotonic() < deadline:
        time.sleep(0.05)
    ((page, cached),) = pages
    assert not cached
    assert "<h1>Could not finish</h1>" in page
    assert f"Could not finish: cannot reach STS at http://127.0.0.1:{free_port}/" in page
    assert "Signed in" not in page
