"""AWS config round-trip editing, the token cache, PKCE, browser detection."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import stat
from pathlib import Path

import httpx
import pytest

from awslogin.adapters.aws_config import AwsConfig, selected_profile
from awslogin.adapters.browser import why_no_local_browser
from awslogin.adapters.token_cache import TokenCache, cached_sessions
from awslogin.crypto.pkce import challenge_s256, new_state, new_verifier, same_secret
from awslogin.errors import ConfigError, ProviderError, failure_in_words

pytestmark = pytest.mark.unit

ORIGINAL = """# my settings, keep me
[default]
region = eu-west-1\t\n; odd comment style

[profile other]
output = json
s3 =
  max_concurrent_requests = 10
[sso-session corp]
sso_region = us-east-1
"""


def test_edit_keeps_comments_other_sections_and_nested_values(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(ORIGINAL)
    config = AwsConfig.load(str(path))
    config.set_profile("dev", {"awslogin_provider": "oidc", "region": "us-east-1"})
    config.set_profile("other", {"output": "text", "region": "ap-south-1"})
    config.save()
    text = path.read_text()
    assert text.startswith(ORIGINAL.split("[profile other]")[0])
    assert "output = text\ns3 =\n  max_concurrent_requests = 10\nregion = ap-south-1\n" in text
    assert "[sso-session corp]\nsso_region = us-east-1\n" in text
    assert text.endswith("[profile dev]\nawslogin_provider = oidc\nregion = us-east-1\n")
    again = AwsConfig.load(str(path))
    assert again.profile("other") == {"output": "text", "s3": "", "region": "ap-south-1"}
    assert again.nested("profile other", "s3") == {"max_concurrent_requests": "10"}
    assert again.profile_names() == ["default", "other", "dev"]


def test_removing_a_key_and_default_profile_spelling(tmp_path: Path) -> None:
    config = AwsConfig(str(tmp_path / "c"), "[default]\nregion = x\noutput = json\n")
    config.set_profile("default", {"region": None})
    assert config.render() == "[default]\noutput = json\n"
    assert config.profile("default") == {"output": "json"}


@pytest.mark.parametrize(
    ("text", "line"),
    [("region = x\n", 1), ("[default]\nthis is not a pair\n", 2)],
)
def test_malformed_config_names_the_line(text: str, line: int) -> None:
    with pytest.raises(ConfigError, match=f"line {line}"):
        AwsConfig("/x/config", text)


def test_new_config_file_is_private_and_existing_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config"
    config = AwsConfig.load(str(path))
    config.set_profile("a", {"k": "v"})
    config.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o640)
    config.set_profile("a", {"k": "w"})
    config.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["config"]  # no temp file left


def test_profile_selection_order() -> None:
    assert selected_profile("x", {"AWS_PROFILE": "y"}) == "x"
    assert selected_profile(None, {"AWS_PROFILE": "y"}) == "y"
    assert selected_profile(None, {}) == "default"


def test_token_cache_is_private_atomic_and_listed(tmp_path: Path) -> None:
    cache = TokenCache(str(tmp_path / "cache"), "oidc", "my/odd profile")
    assert cache.load() is None
    cache.save({"a": 1})
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    assert cache.load() == {"a": 1, "version": 1}
    assert cached_sessions(str(tmp_path / "cache")) == [("oidc", "my/odd profile")]
    Path(cache.path).write_text("{not json")
    assert cache.load() is None
    with cache.lock():
        assert Path(cache.path + ".lock").exists()
    assert cache.delete() is True
    assert cache.delete() is False
    assert cached_sessions(str(tmp_path / "cache")) == []


def test_pkce_s256_matches_rfc7636() -> None:
    verifier = new_verifier()
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge_s256(verifier) == expected.decode()
    assert challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert new_state() != new_state()
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "abd")


@pytest.mark.parametrize(
    ("environ", "platform", "reason"),
    [
        ({"DISPLAY": ":0"}, "linux", None),
        ({}, "linux", "no display"),
        ({"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, "linux", "SSH session"),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", "SSH session"),
        ({}, "darwin", None),
        ({"BROWSER": "/bin/true"}, "linux", None),
    ],
)
def test_browser_detection(environ: dict[str, str], platform: str, reason: str | None) -> None:
    assert why_no_local_browser(environ, platform) == reason


def test_cache_file_json_is_readable_by_humans(tmp_path: Path) -> None:
    cache = TokenCache(str(tmp_path), "oidc", "dev")
    cache.save({"profile": "dev"})
    assert json.loads(Path(cache.path).read_text())["profile"] == "dev"


def test_sso_token_and_registration_files_are_read_defensively() -> None:
    from awslogin.adapters.sso_cache import parse_registration, parse_token

    assert parse_token({"accessToken": 1}) is None
    assert parse_token({"accessToken": "at", "expiresAt": 5, "region": "eu-west-1"}) == {
        "accessToken": "at",
        "region": "eu-west-1",
    }
    good = {"clientId": "c", "clientSecret": "s", "expiresAt": "2030-01-01T00:00:00Z"}
    assert parse_registration({**good, "scopes": ["sso:account:access"]}) == {
        **good,
        "scopes": ["sso:account:access"],
    }
    assert parse_registration({**good, "scopes": "sso:account:access"}) is None
    assert parse_registration({**good, "scopes": [], "grantTypes": "refresh_token"}) is None


def _raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except Exception as caught:
        return caught


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (
            _raised_from(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")),
            "connection refused (nothing listens there)",
        ),
        (
            _raised_from(httpx.ConnectError("x"), socket.gaierror(-2, "unknown")),
            "the host name does not resolve",
        ),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "could not connect"),
        (httpx.ConnectTimeout("x"), "no connection within the time limit"),
        (httpx.ReadTimeout("x"), "no answer within the time limit"),
        (httpx.RemoteProtocolError("x"), "the connection closed before a whole answer came"),
        (
            _raised_from(httpx.ReadError("x"), ConnectionResetError(104, "reset")),
            "the connection was reset",
        ),
        (httpx.UnsupportedProtocol("x"), "not an http or https address"),
        (OSError("?"), "the connection failed"),
    ],
)
def test_network_failures_are_told_in_words_never_by_class(
    failure: BaseException, words: str
) -> None:
    told = failure_in_words(failure)
    assert told == words
    assert type(failure).__name__ not in told


@pytest.mark.parametrize(
    "value", ["x\rcredential_process = touch /tmp/pwn", "x\n[evil]", "x\u2028y"]
)
def test_a_value_with_a_line_break_is_never_written_into_the_config(
    tmp_path: Path, value: str
) -> None:
    """A value from a server (an ARN, a URL) with a line break would add keys of its own."""
    path = tmp_path / "config"
    path.write_text("[profile dev]\nregion = us-east-1\n")
    config = AwsConfig.load(str(path))
    with pytest.raises(ConfigError, match="refusing to write a line break"):
        config.set_profile("dev", {"login_session": value})
    assert config.render() == "[profile dev]\nregion = us-east-1\n"


def test_a_sign_in_subject_that_is_no_plain_arn_is_refused() -> None:
    from awslogin.providers.aws_signin import account_of

    arn = "arn:aws:sts::123456789012:assumed-role/dev/alice"
    assert account_of(arn) == "123456789012"
    with pytest.raises(ProviderError, match="not an ARN"):
        account_of(arn + "\rcredential_process = touch /tmp/pwn")
