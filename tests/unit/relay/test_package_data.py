"""The wheel (and so the container image, which installs it) carries every file the relay
reads at run time: templates, static files and the Redis store's Lua scripts."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "relay" / "awslogin_relay"


def test_every_data_file_of_the_relay_is_declared_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["awslogin_relay"]
    declared = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    data_files = {
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert data_files, "the relay has templates, static files and Lua scripts"
    assert any(path.suffix == ".lua" for path in data_files)
    assert data_files <= declared, sorted(
        str(p.relative_to(PACKAGE)) for p in data_files - declared
    )
