"""The command line run in process, as unit tests run it: `main` in an environment of its
own (a config written by the test, private caches, no SSH, a display) with pytest's capsys."""

from __future__ import annotations

from pathlib import Path

import pytest

from awslogin.cli.main import main
from tests.support.home import home_environ


def isolated_environ(tmp_path: Path, config: str, **extra: str) -> dict[str, str]:
    """An environment with `config` as its AWS config, its cache and HOME under
    `tmp_path`, a display, no SSH and nothing inherited from the test runner."""
    config_file = tmp_path / "config"
    config_file.write_text(config)
    return {
        "AWS_CONFIG_FILE": str(config_file),
        "AWSLOGIN_CACHE_DIR": str(tmp_path / "cache"),
        **home_environ(tmp_path),
        "DISPLAY": ":0",
        "PATH": "/usr/bin:/bin",
        **extra,
    }


def run(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], *args: str
) -> tuple[int, str, str]:
    """`awslogin ARGS` in process: (exit code, stdout, stderr)."""
    code = main(list(args), env)
    out, err = capsys.readouterr()
    return code, out, err
