"""aws-signin building blocks: DPoP proofs and botocore's login cache as session records."""

from __future__ import annotations

from pathlib import Path

import pytest

from awslogin.adapters.login_cache import login_cache_dir

pytestmark = pytest.mark.unit


def test_cache_directory_follows_aws_login_cache_directory(tmp_path: Path) -> None:
    assert login_cache_dir({"AWS_LOGIN_CACHE_DIRECTORY": str(tmp_path)}) == str(tmp_path)
    assert login_cache_dir({}).endswith("/.aws/login/cache")
