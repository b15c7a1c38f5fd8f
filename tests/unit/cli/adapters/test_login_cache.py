"""botocore's login cache directory, as AWS_LOGIN_CACHE_DIRECTORY moves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from awslogin.adapters.login_cache import login_cache_dir

pytestmark = pytest.mark.unit


def test_cache_directory_follows_aws_login_cache_directory(tmp_path: Path) -> None:
    assert login_cache_dir({"AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path)}) == str(tmp_path)
    assert login_cache_dir({}).endswith("/.aws/login/cache")
