"""Where `~` is, as botocore finds it on each platform, from the environment given."""

from __future__ import annotations

import os
import sys

import pytest

from awslogin.adapters.files import expand_home, home_directory

pytestmark = pytest.mark.unit


def test_posix_homes_are_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    environ = {"HOME": "/home/alice", "USERPROFILE": "/elsewhere"}
    assert home_directory(environ) == "/home/alice"
    assert expand_home("~/.aws/config", environ) == "/home/alice/.aws/config"
    assert expand_home("~", environ) == "/home/alice"
    assert expand_home("/etc/aws/config", environ) == "/etc/aws/config"
    assert expand_home("~\\.aws", environ) == os.path.expanduser("~\\.aws")  # no separator


def test_windows_homes_are_the_user_profile_and_never_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    environ = {"HOME": "/c/Users/alice", "USERPROFILE": r"C:\Users\alice"}
    assert home_directory(environ) == r"C:\Users\alice"
    assert expand_home(r"~\.aws\config", environ) == r"C:\Users\alice\.aws\config"
    assert expand_home("~/.aws/config", environ) == r"C:\Users\alice/.aws/config"
    legacy = {"HOME": "/c/Users/alice", "HOMEDRIVE": "D:", "HOMEPATH": r"\Users\bob"}
    assert home_directory(legacy) == r"D:\Users\bob"


def test_without_a_home_in_the_environment_the_process_knows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert home_directory({}) == os.path.expanduser("~")
