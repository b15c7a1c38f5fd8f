"""A test's home directory, named as every platform names it.

botocore and awslogin find `~` in HOME on POSIX and in USERPROFILE on Windows (which
ignores HOME): an environment that gives a test its own home sets both, so that the same
test reads and writes the same files on Linux, macOS and Windows (and in the
Windows-like run of tests/platform).
"""

from __future__ import annotations

from pathlib import Path


def home_environ(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "USERPROFILE": str(home)}
