"""`exec`'s command where there is no siginfo (macOS, Windows): a real child process, its
status passed through, a SIGTERM to awslogin passed on to it."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading

import pytest

from awslogin.adapters import child_process
from awslogin.errors import AwsloginError

pytestmark = pytest.mark.integration


@pytest.fixture
def without_siginfo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_process, "_SIGINFO", False)


@pytest.mark.usefixtures("without_siginfo")
def test_the_commands_status_passes_through() -> None:
    argv = [sys.executable, "-c", "raise SystemExit(7)"]
    assert child_process.run_child(argv, dict(os.environ)) == 7


@pytest.mark.usefixtures("without_siginfo")
def test_a_command_that_is_not_there_exits_127() -> None:
    with pytest.raises(AwsloginError, match="command not found") as raised:
        child_process.run_child(["no-such-command-here"], dict(os.environ))
    assert getattr(raised.value, "exit_code", None) == 127


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.usefixtures("without_siginfo")
def test_a_sigterm_to_awslogin_reaches_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child says it is ready (a line on its stdout), then waits for SIGTERM.
    read, write = os.pipe()
    script = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
        f"os.write({write}, b'ready\\n')\n"
        "time.sleep(30)\n"
    )
    started = threading.Event()

    def signal_when_ready() -> None:
        with os.fdopen(read, "rb") as ready:
            ready.readline()
        started.set()
        os.kill(os.getpid(), signal.SIGTERM)

    waiter = threading.Thread(target=signal_when_ready, daemon=True)
    waiter.start()
    monkeypatch.setattr(subprocess, "Popen", functools.partial(subprocess.Popen, pass_fds=(write,)))
    try:
        code = child_process.run_child([sys.executable, "-c", script], dict(os.environ))
    finally:
        os.close(write)
    assert started.is_set()
    assert code == 42
