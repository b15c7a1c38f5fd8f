"""The child of `exec`: which signals are passed on to it, and exit statuses as the shell's."""

from __future__ import annotations

import os
import signal

import pytest

from awslogin.adapters.child_process import _forward, exit_status

pytestmark = pytest.mark.unit


def siginfo(code: int, pid: int) -> signal.struct_siginfo:
    return signal.struct_siginfo((signal.SIGINT, code, 0, pid, 0, 0, 0))


def test_signals_the_terminal_or_the_command_sent_are_not_passed_on() -> None:
    child = 4242
    assert not _forward(siginfo(0x80, 0), child)  # SI_KERNEL: Ctrl-C, a hangup
    assert not _forward(siginfo(0, child), child)  # the command signalled awslogin
    assert _forward(siginfo(0, 1234), child)  # kill(awslogin) from elsewhere
    assert _forward(siginfo(-6, os.getpid()), child)  # SI_TKILL


def test_exit_statuses_are_the_shells() -> None:
    assert exit_status(7 << 8) == 7
    assert exit_status(signal.SIGTERM) == 143
    assert exit_status(signal.SIGKILL) == 137
