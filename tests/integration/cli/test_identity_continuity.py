"""A new identity is confirmed before it is saved: the real `awslogin login` against
node-oidc-provider and STS, signed in as alice and then as bob (docs/security.md,
invariant 14, "Continuity"). Without a terminal another person is refused unless
--force; on a terminal the person is asked; a pin refuses whatever it does not match.
Each refusal leaves the cache and the config exactly as they were, and the refused
session revoked at the IdP."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.pty_screen import PtyScreen
from tests.peers.oidc import OidcProvider
from tests.support.host import awslogin_script

pytestmark = pytest.mark.integration

ARN = "arn:aws:sts::123456789012:assumed-role/dev/"


def _browser(tmp_path: Path, oidc_provider: OidcProvider, username: str) -> str:
    """A BROWSER command whose person signs in at the IdP as `username`, and keeps the
    page the loopback answers with in page-USERNAME.html."""
    script = tmp_path / f"browser-{username}.py"
    page = tmp_path / f"page-{username}.html"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import os, sys, httpx
            if os.fork():  # return at once, as a browser does: the page waits for the login
                sys.exit(0)
            sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
            from tests.peers.oidc import OidcProvider
            idp = OidcProvider.__new__(OidcProvider)
            idp.issuer = {oidc_provider.issuer!r}
            page = httpx.get(idp.complete_login(sys.argv[1], {username!r}), timeout=60)
            open({str(page)!r} + ".part", "w").write(page.text)
            os.rename({str(page)!r} + ".part", {str(page)!r})
            """
        )
    )
    script.chmod(0o755)
    return str(script)


def _page(path: Path) -> str:
    """The page a browser script kept: it writes it once the loopback answered, which may
    be just after the command has exited."""
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path.name}"
        time.sleep(0.05)
    return path.read_text()


def _login(env: dict[str, str], browser: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """`awslogin login --profile dev` with no terminal (stdin is not a tty)."""
    return subprocess.run(
        [awslogin_script(), "login", "--profile", "dev", "--timeout", "30", *flags],
        env={**env, "BROWSER": browser},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _saved(env: dict[str, str]) -> tuple[bytes, bytes]:
    """The cached session and the config, byte for byte."""
    cache = Path(env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json"
    return cache.read_bytes(), Path(env["AWS_CONFIG_FILE"]).read_bytes()


@pytest.mark.slow
def test_another_person_is_refused_without_a_terminal_unless_forced(
    cli_env: dict[str, str], oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    alice = _browser(tmp_path, oidc_provider, "alice")
    bob = _browser(tmp_path, oidc_provider, "bob")
    first = _login(cli_env, alice)
    assert first.returncode == 0, first.stderr
    before = _saved(cli_env)

    again = _login(cli_env, alice)  # the same person: nothing to confirm
    assert again.returncode == 0, again.stderr
    assert _saved(cli_env)[0] != before[0]  # a new session was saved
    before = _saved(cli_env)

    refused = _login(cli_env, bob)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        f"awslogin: profile dev was signed in as {ARN}alice, not {ARN}bob; "
        "nothing was saved (confirm in a terminal, or pass --force)"
    )
    assert _saved(cli_env) == before
    # bob's browser is told it was not saved, and nothing of alice.
    page = _page(tmp_path / "page-bob.html")
    assert "Could not finish: this sign-in was not saved: it is not the identity" in page
    assert "alice" not in page

    forced = _login(cli_env, bob, "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"Signed in as {ARN}bob" in forced.stdout
    assert f'"arn": "{ARN}bob"' in _saved(cli_env)[0].decode()


@pytest.mark.slow
def test_a_refused_sign_in_is_revoked_at_the_idp(
    cli_env: dict[str, str], oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    """The refused session's refresh token, read from the IdP's own state (awslogin never
    shows or saves it), no longer works there; the saved session's still does."""
    assert _login(cli_env, _browser(tmp_path, oidc_provider, "alice")).returncode == 0
    before = _saved(cli_env)
    earlier = oidc_provider.refresh_tokens_of("bob")

    refused = _login(cli_env, _browser(tmp_path, oidc_provider, "bob"))

    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-2:] == [
        f"Ended the new sign-in at the provider: refresh token revoked at {oidc_provider.issuer}.",
        f"awslogin: profile dev was signed in as {ARN}alice, not {ARN}bob; "
        "nothing was saved (confirm in a terminal, or pass --force)",
    ]
    assert _saved(cli_env) == before
    [bobs] = oidc_provider.refresh_tokens_of("bob")[len(earlier) :]
    assert bobs not in refused.stderr + refused.stdout
    answer = oidc_provider.refresh(bobs)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    alices = json.loads(before[0])["providerState"]["refreshToken"]
    assert oidc_provider.refresh(alices).status_code == 200


@pytest.mark.slow
def test_a_pinned_profile_saves_only_the_identity_it_expects(
    cli_env: dict[str, str], oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    config = Path(cli_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + f"awslogin_expected_identity = {ARN}a*\n")
    before = config.read_bytes()

    refused = _login(cli_env, _browser(tmp_path, oidc_provider, "bob"), "--force")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        f"awslogin: profile dev expects {ARN}a*, but the sign-in was as {ARN}bob; nothing was saved"
    )
    assert not (Path(cli_env["AWSLOGIN_CACHE_DIR"]) / "oidc--dev.json").exists()
    assert config.read_bytes() == before

    accepted = _login(cli_env, _browser(tmp_path, oidc_provider, "alice"))
    assert accepted.returncode == 0, accepted.stderr
    assert f"Signed in as {ARN}alice" in accepted.stdout


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_terminal_asks_before_saving_another_person(
    cli_env: dict[str, str], oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    assert _login(cli_env, _browser(tmp_path, oidc_provider, "alice")).returncode == 0
    before = _saved(cli_env)
    argv = [awslogin_script(), "login", "--profile", "dev", "--timeout", "30"]
    env = {**cli_env, "BROWSER": _browser(tmp_path, oidc_provider, "bob"), "TERM": "xterm"}
    question = f"Profile dev was signed in as {ARN}alice. Save {ARN}bob instead? (y/n)"

    def answer(keys: bytes) -> tuple[int, str]:
        with PtyScreen(argv, env, columns=200, lines=40, input_from_terminal=True) as terminal:
            terminal.wait_for(lambda: question in "".join(terminal.rows()), "the question")
            terminal.type(keys)
            code = terminal.wait()
            return code, "\n".join(row.rstrip() for row in terminal.rows() if row.strip())

    code, screen = answer(b"n\r")
    assert code == 1, screen
    assert screen.endswith("awslogin: profile dev keeps its session; the new sign-in was not saved")
    assert _saved(cli_env) == before

    code, screen = answer(b"y\r")
    assert code == 0, screen
    assert f"Signed in as {ARN}bob" in screen
    assert f'"arn": "{ARN}bob"' in _saved(cli_env)[0].decode()
