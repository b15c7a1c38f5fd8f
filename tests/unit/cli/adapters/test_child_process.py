"""The child of `exec`: which signals are passed on to it, exit statuses as the shell's,
and what runs without a command, on each platform."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from awslogin.adapters import child_process
from awslogin.adapters.child_process import _forward, default_command, exit_status

pytestmark = pytest.mark.unit

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sender's siginfo is Linux's"
)


def siginfo(code: int, pid: int) -> signal.struct_siginfo:
    return signal.struct_siginfo((signal.SIGINT, code, 0, pid, 0, 0, 0))


@linux_only
def test_signals_the_terminal_or_the_command_sent_are_not_passed_on() -> None:
    child = 4242
    assert not _forward(siginfo(0x80, 0), child)  # SI_KERNEL: Ctrl-C, a hangup
    assert not _forward(siginfo(0, child), child)  # the command signalled awslogin
    assert _forward(siginfo(0, 1234), child)  # kill(awslogin) from elsewhere
    assert _forward(siginfo(-6, os.getpid()), child)  # SI_TKILL


@linux_only
def test_exit_statuses_are_the_shells() -> None:
    assert exit_status(7 << 8) == 7
    assert exit_status(signal.SIGTERM) == 143
    assert exit_status(signal.SIGKILL) == 137


def test_only_the_signals_this_platform_has_are_forwarded() -> None:
    names = {signal.Signals(number).name for number in child_process.FORWARDED}
    expected = {"SIGINT", "SIGTERM"} | ({"SIGHUP"} if hasattr(signal, "SIGHUP") else set())
    assert names == expected


def test_without_a_command_the_shell_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_process, "_WINDOWS", False)
    assert default_command({"SHELL": "/bin/zsh"}) == ["/bin/zsh"]
    assert default_command({}) == ["/bin/sh"]
    monkeypatch.setattr(child_process, "_WINDOWS", True)
    assert default_command({"COMSPEC": r"C:\Windows\system32\cmd.exe", "SHELL": "/bin/zsh"}) == [
        r"C:\Windows\system32\cmd.exe"
    ]
    assert default_command({}) == ["cmd.exe"]


def test_the_console_has_already_given_windows_commands_their_ctrl_c(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(child_process, "_WINDOWS", True)
    assert child_process._already_delivered(signal.SIGINT)
    assert child_process._already_delivered(signal.SIGTERM)


def test_without_siginfo_a_sigterm_is_always_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_process, "_WINDOWS", False)
    assert not child_process._already_delivered(signal.SIGTERM)
