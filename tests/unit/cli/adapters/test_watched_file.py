"""A session file as it was seen: gone or replaced is a change, the same file is not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from awslogin.adapters.watched_file import WatchedFile

pytestmark = pytest.mark.unit


def test_the_same_file_has_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    path.write_text("{}")
    watched = WatchedFile.now(str(path))
    assert watched.seen is not None
    assert not watched.changed()
    assert not watched.changed()


def test_a_deleted_file_has_changed(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    path.write_text("{}")
    watched = WatchedFile.now(str(path))
    path.unlink()
    assert watched.changed()


def test_a_file_replaced_atomically_has_changed_even_with_the_same_size(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    path.write_text('{"a": 1}')
    watched = WatchedFile.now(str(path))
    stat = path.stat()
    replacement = tmp_path / "new.json"
    replacement.write_text('{"a": 2}')
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even the same mtime
    replacement.replace(path)
    assert watched.changed()


def test_a_file_that_was_already_gone_always_counts_as_changed(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    watched = WatchedFile.now(str(path))
    assert watched.seen is None
    assert watched.changed()  # gone when read: look again, whatever is there now
    path.write_text("{}")
    assert watched.changed()
