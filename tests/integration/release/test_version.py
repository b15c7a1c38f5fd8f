"""One version, from the git tag: the CLI, the relay and the installed distribution say
the same (pyproject.toml, [tool.setuptools_scm])."""

from __future__ import annotations

import importlib.metadata

import pytest

import awslogin
import awslogin_relay

pytestmark = pytest.mark.integration


def test_the_cli_the_relay_and_the_distribution_report_one_version() -> None:
    installed = importlib.metadata.version("awslogin")
    assert awslogin.__version__ == awslogin_relay.__version__ == installed
    assert installed != "0.0.0", "installed without git metadata: the fallback version"
