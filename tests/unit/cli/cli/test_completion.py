"""`awslogin completion SHELL` and the completer of `--profile`
(tests/integration/cli/test_completion_shells.py loads the code in each shell)."""

from __future__ import annotations

from pathlib import Path

import pytest

from awslogin.cli.completion import ProfileNames, asked
from tests.support.command_line import run

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("shell", "registers"),
    [
        ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete awslogin"),
        ("zsh", "compdef _python_argcomplete awslogin"),
        ("fish", "complete --command awslogin"),
    ],
)
def test_completion_prints_code_that_registers_awslogin(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], shell: str, registers: str
) -> None:
    code, out, err = run(capsys, env, "completion", shell)
    assert (code, err) == (0, "")
    assert registers in out


def test_an_unknown_shell_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    code, out, err = run(capsys, env, "completion", "tcsh")
    assert (code, out) == (2, "")
    assert err.startswith("awslogin: argument SHELL: invalid choice: 'tcsh'")
    assert err.count("\n") == 1


def test_profile_names_are_the_config_files_printable_single_words(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\nregion = eu-west-1\n[profile dev]\n[profile two words]\n"
        "[profile bell\x07]\n[sso-session corp]\n"
    )
    names = ProfileNames({"AWS_CONFIG_FILE": str(config)})
    assert names(prefix="", parsed_args=None) == ["default", "dev"]


@pytest.mark.parametrize("text", ["not in a section = 1\n", None])
def test_a_broken_or_missing_config_offers_no_profile(tmp_path: Path, text: str | None) -> None:
    config = tmp_path / "config"
    if text is not None:
        config.write_text(text)
    assert ProfileNames({"AWS_CONFIG_FILE": str(config)})() == []


def test_a_shell_asks_through_argcompletes_variable() -> None:
    assert asked({"_ARGCOMPLETE": "1"})
    assert not asked({"COMP_LINE": "awslogin "})
