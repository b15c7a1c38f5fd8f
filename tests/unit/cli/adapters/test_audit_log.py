"""The audit log's file: made private, never through a link, never someone else's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from awslogin.adapters.audit_log import AuditLog
from awslogin.errors import ConfigError
from tests.support.private_files import assert_owner_only

pytestmark = pytest.mark.unit


def test_a_new_audit_log_is_the_users_alone(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    log = AuditLog.to_file("dev", str(path))
    log("127.0.0.1", "served", 200, {})
    log.close()
    assert_owner_only(path)
    assert '"outcome": "served"' in path.read_text()


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "audit.log").symlink_to(target)
    with pytest.raises(ConfigError, match="is a symbolic link"):
        AuditLog.to_file("dev", str(tmp_path / "audit.log"))
    assert not target.exists()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="making a file of another user needs root (and uids)",
)
def test_a_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text("")
    os.chown(path, 65534, 65534)
    with pytest.raises(ConfigError, match="belongs to another user"):
        AuditLog.to_file("dev", str(path))
    assert path.read_text() == ""
