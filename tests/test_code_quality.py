"""The code as CI judges it: ruff, ruff format and mypy --strict, at the lock's versions.

A fresh machine that resolved newer tools than the developers had once reported
findings nobody else saw (issue 19). The suite therefore runs the checkers itself, with
this interpreter's installed, pinned versions (`requirements/test.lock`, README.md
"Pinned test environment"), and first makes sure that the installed versions are the
lock's: an environment not set up from the lock fails loudly here instead of quietly
disagreeing with CI.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "test.lock"
CHECK_TIMEOUT = 300.0


def _locked() -> dict[str, str]:
    """The lock's pins that apply to this interpreter and platform: name -> version."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if not line or line[0] in " #-":  # hashes, "# via" notes and options
            continue
        requirement = Requirement(line.removesuffix("\\").strip())
        if requirement.marker is None or requirement.marker.evaluate():
            (pinned,) = requirement.specifier
            pins[requirement.name] = pinned.version
    return pins


def _check(*argv: str) -> None:
    """Run `python -m <argv>` from the repository's root; fail with its output if it
    reports anything."""
    result = subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}{result.stderr}",
            pytrace=False,
        )


def test_the_installed_packages_are_the_locked_ones() -> None:
    pins = _locked()
    assert {"ruff", "mypy", "redis"} <= pins.keys()  # the lock was read
    differ = []
    for name, wanted in sorted(pins.items()):
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "none"
        if installed != wanted:
            differ.append(f"{name} {installed} is installed, the lock has {wanted}")
    assert not differ, "\n".join([*differ, "run `bash scripts/setup`"])


def test_ruff_finds_nothing() -> None:
    _check("ruff", "check", "--no-cache", ".")


def test_ruff_format_would_change_nothing() -> None:
    _check("ruff", "format", "--check", "--no-cache", ".")


@pytest.mark.slow
def test_mypy_strict_finds_nothing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The files and options are pyproject.toml's [tool.mypy]. Its incremental cache lives
    # in pytest's cache dir (one per checkout; one xdist worker runs this test), or in a
    # fresh tmp dir when the cache plugin is off.
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache_dir = cache.mkdir("mypy") if cache is not None else tmp_path_factory.mktemp("mypy")
    _check("mypy", "--strict", "--cache-dir", str(cache_dir))
