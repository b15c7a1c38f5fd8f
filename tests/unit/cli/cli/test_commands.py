"""The command line as a user meets it: outputs, exit codes, and every bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

import awslogin
from awslogin.cli.main import main
from awslogin_protocol import REVISION
from awslogin_protocol import VERSION as PROTOCOL_VERSION
from tests.support.command_line import run
from tests.support.fake_idp import ISSUER, RELAY_URL, STS_URL, FakeIdp, sts_response, write_session
from tests.support.private_files import assert_owner_only

pytestmark = pytest.mark.unit


def assert_one_line_error(err: str, text: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("awslogin: "), err
    assert text in lines[0], err
    assert "Traceback" not in err


def test_credential_process_on_a_cache_hit_prints_version_1_json(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_session(env)
    with respx.mock() as router:  # any network call would fail the test
        code, out, err = run(capsys, env, "credential-process", "--profile", "dev")
        assert not router.calls
    assert code == 0
    assert err == ""
    assert json.loads(out) == {
        "Version": 1,
        "AccessKeyId": "ASIAOLD",
        "SecretAccessKey": "old-secret",
        "SessionToken": "old-token",
        "Expiration": json.loads(out)["Expiration"],
        "AccountId": "123456789012",
    }


def test_credential_process_refreshes_near_expiry_and_stores_the_rotated_token(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp
) -> None:
    path = write_session(env, credentials_left=120)
    with respx.mock() as router:
        router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())
        token = router.post(f"{ISSUER}/token").respond(
            json={"id_token": idp.id_token(nonce="n-1"), "refresh_token": "rt-2"}
        )
        router.post(STS_URL).respond(text=sts_response())
        code, out, _ = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 0
    assert json.loads(out)["AccessKeyId"] == "ASIAEXAMPLE"
    assert parse_qs(token.calls[0].request.content.decode())["refresh_token"] == ["rt-1"]
    cached = json.loads(path.read_text())
    assert cached["providerState"]["refreshToken"] == "rt-2"
    assert_owner_only(path)


def test_revoked_refresh_token_ends_the_session_with_one_line(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_session(env, credentials_left=10)
    with respx.mock() as router:
        router.post(f"{ISSUER}/token").respond(400, json={"error": "invalid_grant"})
        code, out, err = run(capsys, env, "credential-process", "--profile", "dev")
        assert code == 1
        assert out == ""
        assert_one_line_error(err, "run `awslogin login --profile dev`")
        # The next call fails at once, without asking the IdP again.
        code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
        assert code == 1
        assert len(router.calls) == 1
    assert "no longer accepts this session" in err
    assert "refreshToken" not in json.loads(path.read_text())["providerState"]


def test_session_limit_asks_for_a_new_login(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_session(env, credentials_left=10, session_left=-1)
    with respx.mock() as router:
        code, _, err = run(capsys, env, "credential-process", "--profile", "dev")
        assert not router.calls
    assert code == 1
    assert_one_line_error(err, "time limit: run `awslogin login --profile dev`")


@pytest.mark.parametrize(
    ("args", "config", "code", "text"),
    [
        (("credential-process", "--profile", "nope"), None, 1, "unknown profile nope"),
        (("credential-process", "--profile", "dev"), None, 1, "not signed in with profile dev"),
        (
            ("credential-process", "--profile", "dev"),
            "[profile dev\nx=1\n",
            1,
            "malformed AWS config",
        ),
        (
            ("credential-process", "--profile", "dev"),
            "garbage\n",
            1,
            "line 1 is outside any section",
        ),
        (
            ("credential-process", "--profile", "plain"),
            "[profile plain]\nregion = x\n",
            1,
            "not an awslogin profile",
        ),
        (
            ("credential-process", "--profile", "dev"),
            "[profile dev]\nawslogin_provider = ldap\n",
            1,
            "unknown awslogin_provider = ldap",
        ),
        (("status", "--profile", "nope"), None, 1, "unknown profile nope"),
        (("login", "--profile", "dev", "--redirect-port", "99999"), None, 2, "not a TCP port"),
        (("login", "--profile", "dev", "--timeout", "abc"), None, 2, "not a whole number"),
        (("login", "--profile", "dev", "--region", "moon"), None, 2, "not an AWS region"),
        (
            ("login", "--profile", "dev", "--remote", "--relay", "http://relay.example.com"),
            None,
            2,
            "must use https",
        ),
        (("export", "--format", "xml"), None, 2, "invalid choice"),
        (("status", "--all", "--profile", "dev"), None, 2, "not allowed with argument"),
        (("frobnicate",), None, 2, "invalid choice"),
    ],
)
def test_bad_input_gives_one_line_and_a_nonzero_exit(
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: tuple[str, ...],
    config: str | None,
    code: int,
    text: str,
) -> None:
    if config is not None:
        Path(env["AWS_CONFIG_FILE"]).write_text(config)
    before = Path(env["AWS_CONFIG_FILE"]).read_text()
    with respx.mock() as router:
        result, out, err = run(capsys, env, *args)
        assert not router.calls
    assert result == code
    assert out == ""
    assert_one_line_error(err, text)
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == before
    assert not Path(env["AWSLOGIN_CACHE_DIR"]).exists()


def test_export_env_and_json(capsys: pytest.CaptureFixture[str], env: dict[str, str]) -> None:
    write_session(env)
    code, out, _ = run(capsys, {**env, "AWS_PROFILE": "dev"}, "export")
    assert code == 0
    assert "export AWS_ACCESS_KEY_ID=ASIAOLD\n" in out
    assert "export AWS_SECRET_ACCESS_KEY=old-secret\n" in out
    assert "export AWS_CREDENTIAL_EXPIRATION=" in out
    assert "export AWS_ACCOUNT_ID=123456789012" in out
    code, out, _ = run(capsys, env, "export", "--profile", "dev", "--format", "json")
    assert json.loads(out)["Version"] == 1


def test_status_shows_identity_and_both_expiries(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_session(env, credentials_left=1800, session_left=7200)
    code, out, _ = run(capsys, env, "status", "--all")
    assert code == 0
    assert "profile dev" in out
    assert "provider:    oidc" in out
    assert "assumed-role/dev/alice" in out
    assert "(30 min left)" in out or "(29 min left)" in out
    assert "(2 h 00 min left)" in out or "(1 h 59 min left)" in out


def test_status_all_includes_profiles_that_aws_sso_and_aws_login_wrote(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + "\n[profile team]\nsso_session = corp\nsso_account_id = 111111111111\n"
        "sso_role_name = Dev\n\n[sso-session corp]\nsso_start_url = https://corp.test/start\n"
        "sso_region = us-east-1\n\n[profile console]\nlogin_session = "
        "arn:aws:iam::123456789012:user/alice\n\n[profile keys]\naws_access_key_id = AKIA\n"
    )
    code, out, _ = run(capsys, env, "status", "--all")
    assert code == 0
    assert "profile team\n  provider:    sso" in out
    assert "profile console\n  provider:    aws-signin" in out
    assert "profile keys" not in out


def test_logout_revokes_and_says_what_was_removed(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp
) -> None:
    path = write_session(env)
    with respx.mock() as router:
        revoke = router.post(f"{ISSUER}/revoke").respond(200)
        code, out, _ = run(capsys, env, "logout", "--all")
    assert code == 0
    assert not path.exists()
    assert parse_qs(revoke.calls[0].request.content.decode())["token"] == ["rt-1"]
    assert f"Profile dev: removed cached tokens and credentials ({path})" in out
    assert "refresh token revoked at https://idp.example.test" in out
    code, out, _ = run(capsys, env, "logout", "--profile", "dev")
    assert code == 0
    assert "no cached session; nothing to remove" in out


def test_logout_still_removes_the_cache_when_the_idp_is_down(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_session(env)
    with respx.mock() as router:
        router.post(f"{ISSUER}/revoke").mock(side_effect=httpx.ConnectError("down"))
        code, out, err = run(capsys, env, "logout", "--profile", "dev")
    assert code == 0
    assert not path.exists()
    # what did not happen is a warning on stderr, as for every provider (usecases/logout.py)
    assert "awslogin: refresh token not revoked" not in out
    assert "could not reach https://idp.example.test" in err


def test_configure_with_flags_keeps_the_rest_of_the_file(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    config = Path(env["AWS_CONFIG_FILE"])
    before = config.read_text()
    code, out, _ = run(
        capsys,
        env,
        "configure",
        "--profile",
        "new one",
        "--issuer",
        "https://login.example.com/",
        "--client-id",
        "abc",
        "--role-arn",
        "arn:aws:iam::111122223333:role/Dev",
        "--relay",
        "https://relay.example.com",
        "--duration",
        "1800",
        "--scopes",
        "openid email",
    )
    assert code == 0
    assert "awslogin login --profile new one" in out
    text = config.read_text()
    assert text.startswith(before)
    assert text[len(before) :] == (
        "\n[profile new one]\nawslogin_provider = oidc\nawslogin_issuer = https://login.example.com\n"
        "awslogin_client_id = abc\nawslogin_role_arn = arn:aws:iam::111122223333:role/Dev\n"
        "awslogin_relay = https://relay.example.com\nawslogin_scopes = openid email\n"
        "awslogin_duration_seconds = 1800\n"
        "credential_process = awslogin credential-process --profile 'new one'\n"
    )


def test_configure_prompts_on_a_terminal(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = io.StringIO(f"{ISSUER}\ncid\narn:aws:iam::123456789012:role/r\n\nus-west-2\n")
    answers.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", answers)
    code, _, err = run(capsys, env, "configure", "--profile", "p2")
    assert code == 0
    assert "OIDC issuer URL" in err
    text = Path(env["AWS_CONFIG_FILE"]).read_text()
    assert "[profile p2]\nawslogin_provider = oidc\n" in text
    assert "region = us-west-2\n" in text


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("--issuer", "http://idp.example.com"), "must be an https URL"),
        (("--role-arn", "arn:aws:iam::1:user/x"), "not an IAM role ARN"),
        (("--duration", "60"), "between 900 and 43200"),
        (("--scopes", "email"), "must include openid"),
        (("--client-id", ""), "non-empty"),
    ],
)
def test_configure_rejects_bad_values_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    text: str,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    base = {
        "--issuer": ISSUER,
        "--client-id": "c",
        "--role-arn": "arn:aws:iam::123456789012:role/r",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    before = Path(env["AWS_CONFIG_FILE"]).read_text()
    code, _, err = run(
        capsys, env, "configure", "--profile", "x", *[i for kv in base.items() for i in kv]
    )
    assert code == 2
    assert_one_line_error(err, text)
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == before


def test_configure_refuses_a_profile_with_other_credentials(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text("[profile keys]\naws_access_key_id = AKIA\n")
    code, _, err = run(
        capsys,
        env,
        "configure",
        "--profile",
        "keys",
        "--issuer",
        ISSUER,
        "--client-id",
        "c",
        "--role-arn",
        "arn:aws:iam::123456789012:role/r",
    )
    assert code == 1
    assert_one_line_error(err, "already gets credentials another way (aws_access_key_id)")


def test_configure_without_a_terminal_names_the_missing_option(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(capsys, env, "configure", "--profile", "x", "--issuer", ISSUER)
    assert code == 2
    assert_one_line_error(err, "missing OIDC client id (--client-id)")


def test_unreachable_relay_and_idp_are_one_line(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp
) -> None:
    with respx.mock() as router:
        router.get(f"{ISSUER}/.well-known/openid-configuration").respond(json=idp.metadata())
        router.get(f"{RELAY_URL}/.well-known/awslogin-relay").mock(
            side_effect=httpx.ConnectError("x")
        )
        code, _, err = run(
            capsys, env, "login", "--profile", "dev", "--remote", "--relay", RELAY_URL
        )
    assert code == 1
    assert_one_line_error(err, "cannot reach the relay at relay.example.test")
    with respx.mock() as router:
        router.get(f"{ISSUER}/.well-known/openid-configuration").mock(
            side_effect=httpx.ConnectTimeout("x")
        )
        code, _, err = run(
            capsys, env, "login", "--profile", "dev", "--remote", "--relay", RELAY_URL
        )
    assert code == 1
    assert_one_line_error(err, "cannot reach the identity provider at https://idp.example.test")
    assert not Path(env["AWSLOGIN_CACHE_DIR"]).exists()


def test_missing_region_without_a_terminal_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text().replace("region = us-east-1\n", ""))
    code, _, err = run(capsys, env, "login", "--profile", "dev")
    assert code == 2
    assert_one_line_error(err, "profile dev has no region: pass --region")


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["login", "--help"], {})
    out = capsys.readouterr().out
    assert done.value.code == 0
    for line in ("0    success", "1    failure", "2    usage error", "130  interrupted"):
        assert line in out


def script(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_cache_hit_imports_nothing_heavy(env: dict[str, str], tmp_path: Path) -> None:
    write_session(env)
    child_env: dict[str, Any] = {**os.environ, **env}
    probe = (
        "import sys\nfrom awslogin.cli.main import main\n"
        "code = main(['credential-process', '--profile', 'dev'])\n"
        "heavy = {'httpx', 'cryptography', 'qrcode', 'jwt', 'filelock', 'argparse', 'pydantic',"
        " 'argcomplete'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy), file=sys.stderr); sys.exit(code or bool(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=child_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    timed = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            script("awslogin"),
            "credential-process",
            "--profile",
            "dev",
        ],
        env=child_env,
        capture_output=True,
        text=True,
    )
    assert timed.returncode == 0
    assert json.loads(timed.stdout)["Version"] == 1
    imported = {line.split("|")[-1].strip() for line in timed.stderr.splitlines() if "|" in line}
    heavy = {"httpx", "cryptography", "qrcode", "jwt", "filelock", "pydantic", "argcomplete"}
    assert not heavy & imported
    assert "awslogin.usecases.credential_process" in imported


def test_building_the_parser_imports_no_use_case_and_nothing_heavy() -> None:
    """Each command imports its use case when it runs, not when the parser is built: a
    `credential-process --debug` must not pay for `login`'s imports."""
    probe = (
        "import sys\nfrom awslogin.cli.commands import build_parser\nbuild_parser()\n"
        "loaded = [name for name in sys.modules if name.split('.')[0] in "
        "{'httpx', 'cryptography', 'qrcode', 'jwt', 'filelock', 'pydantic', 'h11', 'argcomplete'} "
        "or name.startswith(('awslogin.usecases', 'awslogin.providers', 'awslogin.flows'))]\n"
        "print(sorted(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "command",
    ["configure", "login", "credential-process", "export", "serve", "exec", "status", "logout"],
)
def test_the_parser_dispatches_each_command_to_its_own_module(command: str) -> None:
    from awslogin.cli.commands import parse

    options = parse([command])
    assert options is not None
    assert options.run.__module__ == "awslogin.cli." + command.replace("-", "_")


def test_interrupt_exits_130(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("awslogin.usecases.login.login", interrupted)
    code, _, err = run(capsys, env, "login", "--profile", "dev")
    assert code == 130
    assert "interrupted" in err


def test_unexpected_errors_never_show_a_traceback(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-code-123")

    monkeypatch.setattr("awslogin.usecases.status.status", broken)
    code, _, err = run(capsys, env, "status")
    assert code == 1
    assert "Traceback" not in err
    assert "secret-code-123" not in err
    assert "RuntimeError" not in err
    assert (
        err.strip() == "awslogin: an unexpected internal error; run again with --debug to see where"
    )


def test_failed_refresh_keeps_working_credentials_and_backs_off(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    path = write_session(env, credentials_left=200)
    with respx.mock() as router:
        router.post(f"{ISSUER}/token").mock(side_effect=httpx.ConnectError("down"))
        code, out, err = run(capsys, env, "credential-process", "--profile", "dev")
        assert code == 0
        assert json.loads(out)["AccessKeyId"] == "ASIAOLD"
        assert "refresh failed, using current credentials" in err
        code, out, _ = run(capsys, env, "credential-process", "--profile", "dev")
        assert code == 0
        assert len(router.calls) == 1  # backed off: no second attempt right away
    assert json.loads(path.read_text())["providerState"]["refreshToken"] == "rt-1"


def test_failed_refresh_with_almost_expired_credentials_fails(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    write_session(env, credentials_left=30)
    with respx.mock() as router:
        router.post(f"{ISSUER}/token").mock(side_effect=httpx.ConnectError("down"))
        code, out, err = run(capsys, env, "credential-process", "--profile", "dev")
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "cannot reach the identity provider at https://idp.example.test")


def test_debug_logs_requests_without_queries_or_secrets(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp
) -> None:
    write_session(env, credentials_left=10)
    with respx.mock() as router:
        router.get(f"{ISSUER}/jwks").respond(json=idp.jwks())
        router.post(f"{ISSUER}/token").respond(
            json={"id_token": idp.id_token(nonce="n-1"), "refresh_token": "rt-secret-2"}
        )
        router.post(STS_URL).respond(text=sts_response())
        code, _, err = run(capsys, env, "credential-process", "--profile", "dev", "--debug")
    assert code == 0
    assert err.splitlines() == [
        f"debug: POST {ISSUER}/token -> 200",
        f"debug: GET {ISSUER}/jwks -> 200",
        f"debug: POST {STS_URL}/ -> 200",
    ]
    for secret in ("rt-1", "rt-secret-2", "ASIAEXAMPLE", "session-token", "eyJ"):
        assert secret not in err


def test_busy_redirect_port_is_one_line(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], idp: FakeIdp
) -> None:
    import socket

    with socket.socket() as busy, respx.mock() as router:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        router.get(f"{ISSUER}/.well-known/openid-configuration").respond(json=idp.metadata())
        code, _, err = run(capsys, env, "login", "--profile", "dev", "--redirect-port", str(port))
    assert code == 1
    assert_one_line_error(err, f"cannot listen on 127.0.0.1:{port}")


def test_version_names_the_relay_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"], {})
    assert stopped.value.code == 0
    out, err = capsys.readouterr()
    assert out == (
        f"awslogin {awslogin.__version__} (relay protocol v{PROTOCOL_VERSION}, "
        f"revision {REVISION})\n"
    )
    assert err == ""


def test_login_json_ends_a_failure_with_a_result_event(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, out, err = run(capsys, env, "login", "--profile", "nope", "--remote", "--json")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("awslogin: ")
    assert [json.loads(event) for event in out.splitlines()] == [
        {
            "event": "result",
            "signed_in": False,
            "error": line.removeprefix("awslogin: "),
            "exit_code": 1,
        }
    ]
