"""AWS config round-trip editing: comments and other sections kept, malformed lines named,
file modes, profile selection, and no value that could break out of its line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from awslogin.adapters.aws_config import AwsConfig, selected_profile
from awslogin.errors import ConfigError
from tests.support.private_files import POSIX_MODES, assert_owner_only

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
    assert_owner_only(path)
    path.chmod(0o640)
    config.set_profile("a", {"k": "w"})
    config.save()
    if POSIX_MODES:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["config"]  # no temp file left


def test_profile_selection_order() -> None:
    assert selected_profile("x", {"AWS_PROFILE": "y"}) == "x"
    assert selected_profile(None, {"AWS_PROFILE": "y"}) == "y"
    assert selected_profile(None, {}) == "default"


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
