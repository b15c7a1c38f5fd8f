"""awslogin's token cache: private, atomic, listed, and readable by humans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awslogin.adapters.token_cache import TokenCache, cached_sessions
from tests.support.private_files import assert_owner_only

pytestmark = pytest.mark.unit


def test_token_cache_is_private_atomic_and_listed(tmp_path: Path) -> None:
    cache = TokenCache(str(tmp_path / "cache"), "oidc", "my/odd profile")
    assert cache.load() is None
    cache.save({"a": 1})
    assert_owner_only(cache.path)
    assert cache.load() == {"a": 1, "version": 1}
    assert cached_sessions(str(tmp_path / "cache")) == [("oidc", "my/odd profile")]
    Path(cache.path).write_text("{not json")
    assert cache.load() is None
    with cache.lock():
        assert Path(cache.path + ".lock").exists()
    assert cache.delete() is True
    assert cache.delete() is False
    assert cached_sessions(str(tmp_path / "cache")) == []


def test_cache_file_json_is_readable_by_humans(tmp_path: Path) -> None:
    cache = TokenCache(str(tmp_path), "oidc", "dev")
    cache.save({"profile": "dev"})
    assert json.loads(Path(cache.path).read_text())["profile"] == "dev"
