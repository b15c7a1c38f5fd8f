"""The CLI on a Windows-like host: every module imports, and the CLI's unit tests pass,
where awslogin sees what CPython on Windows has (tests/support/windows_like.py).

It runs in a pytest of its own, since the simulation has to be in place before the
first awslogin module loads. The same unit tests run on real Windows and macOS in CI
(.github/workflows/ci.yml); this tier catches a Windows-only crash before that, here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.platform, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Not imported here: importing it makes this process Windows-like for awslogin.
PLUGIN = ["-p", "tests.support.windows_like"]
UNIT_TESTS = ["tests/unit/cli", "tests/unit/protocol"]
HEADER = "windows-like awslogin: os.name=nt"


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    return "\n".join((result.stdout + result.stderr).splitlines()[-60:])


def test_every_cli_module_imports_on_a_windows_like_host() -> None:
    script = "import tests.support.windows_like as host\nprint(len(host.import_every_module()))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, _tail(result)
    assert int(result.stdout.split()[-1]) > 50


def test_the_cli_unit_tests_pass_on_a_windows_like_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGIN, "-n", "0", "-p", "no:cacheprovider", *UNIT_TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert HEADER in result.stdout
    assert result.returncode == 0, _tail(result)
