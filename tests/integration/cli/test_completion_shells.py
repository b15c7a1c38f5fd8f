"""`awslogin completion SHELL` loaded in the real shell, on a real pseudo-terminal, and
used as a person does: type part of a command line, press Tab, read what is offered.

Each shell starts with no configuration of the runner's but the line that README
"Shell completion" says to add, and the completions come from the real `awslogin`
that the shell runs at each Tab; the profile names from the config file the environment
names. A second part asks `awslogin` the way the shell code does (argcomplete's
protocol), to check commands, options and profiles without a terminal.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.pty_screen import PtyScreen
from tests.peers.ci import require_peer
from tests.peers.shells import shell
from tests.support.host import awslogin_script, host_environ

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CONFIG = (
    "[profile dev]\nregion = us-east-1\n\n[profile demo]\nregion = us-east-1\n\n"
    "[profile data-lake]\nregion = us-east-1\n\n[profile prod]\nregion = us-east-1\n"
)
PROMPT = "ready> "


def _environ(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "aws-config"
    config.write_text(CONFIG)
    home = tmp_path / "home"
    home.mkdir()
    return host_environ(
        AWS_CONFIG_FILE=str(config),
        HOME=str(home),
        TERM="xterm-256color",
        LANG="C.UTF-8",
        ZDOTDIR=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
    )


def _interactive(name: str, env: dict[str, str]) -> list[str]:
    """The command that starts shell `name` interactively, with completion loaded as
    README says and a plain prompt."""
    path = shell(name)
    require_peer(path is not None, f"{name} (Debian package {name})")
    assert path is not None
    home = Path(env["HOME"])
    if name == "bash":
        (home / ".bashrc").write_text(f"PS1='{PROMPT}'\neval \"$(awslogin completion bash)\"\n")
        return [path, "--noprofile", "--rcfile", str(home / ".bashrc"), "-i"]
    if name == "zsh":
        (home / ".zshrc").write_text(
            f"PS1='{PROMPT}'\nautoload -U compinit && compinit -u\n"
            'eval "$(awslogin completion zsh)"\n'
        )
        return [path, "-i"]
    # fish: the file README says to write, found where fish looks for completions
    fish_config = Path(env["XDG_CONFIG_HOME"], "fish")
    (fish_config / "completions").mkdir(parents=True)
    code = subprocess.run(
        [awslogin_script(), "completion", "fish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    (fish_config / "completions" / "awslogin.fish").write_text(code)
    (fish_config / "config.fish").write_text(f"function fish_prompt; echo -n '{PROMPT}'; end\n")
    return [path, "-i"]


# Tab once where a shell lists the choices at once; bash lists them at the second Tab.
TAB = {"bash": b"\t\t", "zsh": b"\t", "fish": b"\t"}
CLEAR_LINE = b"\x15"  # Ctrl-U


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_tab_offers_the_profiles_options_and_commands(name: str, tmp_path: Path) -> None:
    env = _environ(tmp_path)
    argv = _interactive(name, env)
    with PtyScreen(argv, env, columns=100, lines=24, input_from_terminal=True) as terminal:

        def screen() -> str:
            return "\n".join(terminal.rows())

        terminal.wait_for(lambda: PROMPT.strip() in screen(), "the prompt")

        terminal.type(b"awslogin login --profile d" + TAB[name])
        terminal.wait_for(
            lambda: all(profile in screen() for profile in ("dev", "demo", "data-lake")),
            "the profile names that start with d",
        )
        assert "prod" not in screen()

        terminal.type(CLEAR_LINE + b"awslogin login --no-" + TAB[name])
        terminal.wait_for(
            lambda: "--no-qr" in screen() and "--no-browser" in screen(), "login's --no- options"
        )

        terminal.type(CLEAR_LINE + b"awslogin complet\t")
        terminal.wait_for(
            lambda: "awslogin completion" in screen(), "the command completed in the line"
        )


def _ask(env: dict[str, str], line: str, tmp_path: Path) -> set[str]:
    """What `awslogin` answers a shell that completes `line` (argcomplete's protocol, as
    the shell code speaks it), as a set of words."""
    answer = tmp_path / "answer"
    done = subprocess.run(
        [awslogin_script()],
        env={
            **env,
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_SHELL": "bash",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {word.strip() for word in answer.read_text().split("\x0b") if word.strip()}


def test_commands_options_and_profiles_as_the_shell_code_asks(tmp_path: Path) -> None:
    env = _environ(tmp_path)
    assert _ask(env, "awslogin lo", tmp_path) == {"login", "logout"}
    assert _ask(env, "awslogin export --format p", tmp_path) == {"powershell"}
    assert {"--remote", "--relay"} <= _ask(env, "awslogin login --re", tmp_path)
    assert _ask(env, "awslogin status --profile d", tmp_path) == {"dev", "demo", "data-lake"}
    assert {"bash", "zsh", "fish"} <= _ask(env, "awslogin completion ", tmp_path)


def test_profiles_follow_aws_config_file_and_a_broken_file_offers_none(tmp_path: Path) -> None:
    env = _environ(tmp_path)
    other = tmp_path / "other-config"
    other.write_text("[profile dolphin]\n[profile d with space]\n[profile d\x1b[31m]\n")
    env["AWS_CONFIG_FILE"] = str(other)
    assert _ask(env, "awslogin login --profile d", tmp_path) == {"dolphin"}
    other.write_text("not = a section\n")
    assert _ask(env, "awslogin login --profile d", tmp_path) == set()


def test_the_default_config_file_is_read_when_none_is_named(tmp_path: Path) -> None:
    env = _environ(tmp_path)
    del env["AWS_CONFIG_FILE"]
    aws = Path(env["HOME"], ".aws")
    aws.mkdir()
    (aws / "config").write_text("[default]\n[profile home-dev]\n")
    assert _ask(env, "awslogin logout --profile ", tmp_path) == {"default", "home-dev"}
    assert os.environ.get("_ARGCOMPLETE") is None  # the runner itself is not completing
