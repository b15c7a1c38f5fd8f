"""Running the command of `awslogin exec` so that, to the person, it is the command itself.

* Its exit status passes through; killed by signal N, it gives 128+N, as shells report it.
* SIGINT, SIGTERM and SIGHUP sent to awslogin are passed on to it. A signal the terminal
  raised (Ctrl-C, a hangup) has already reached the command, which runs in the same
  foreground process group, so it is not sent twice (a REPL would print two
  KeyboardInterrupts); nor, on Linux, is a signal the command sent awslogin itself.
* On Linux, telling those apart needs the sender's siginfo (si_code SI_KERNEL), which a
  Python signal handler does not get: the signals are blocked (before any thread
  starts, so that every thread inherits the mask) and taken with sigtimedwait.
  posix_spawn gives the command an empty mask and the default actions for the signals
  Python ignores (SIGPIPE, SIGXFSZ).
* Elsewhere (macOS has no sigtimedwait; Windows no POSIX signals), signal handlers
  decide by where the signal could have come from. On macOS a SIGINT or SIGHUP that
  reaches awslogin while it holds the terminal's foreground came from the terminal, to
  the whole group; otherwise it is passed on, as SIGTERM always is. On Windows the
  console sends Ctrl-C and Ctrl-Break to every process attached to it, the command
  included, and nothing else can signal awslogin: it only survives them and waits for
  the command's status (docs/architecture.md, "Platforms").
* Windows has no exec: `exec --env` runs the command, waits, and exits with its status.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType

from awslogin.errors import AwsloginError

FORWARDED = frozenset(
    signal.Signals[name] for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
# Ctrl-C and Ctrl-Break: what a Windows console sends to every process attached to it.
_CONSOLE_SIGNALS = frozenset(
    signal.Signals[name] for name in ("SIGINT", "SIGBREAK") if hasattr(signal, name)
)
# The sender's siginfo (si_code, si_pid) with sigtimedwait: Linux's.
_SIGINFO = sys.platform.startswith("linux")
_WINDOWS = sys.platform == "win32"
_WAITED = FORWARDED | {signal.Signals["SIGCHLD"]} if _SIGINFO else frozenset()
_PYTHON_IGNORES = tuple(
    signal.Signals[name] for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name)
)
# Linux's si_code of signals the kernel raised, the terminal's among them (asm-generic).
_SI_KERNEL = 0x80
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126


class CannotRun(AwsloginError):
    """The command could not be started; exit codes as shells give them (127, 126)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def default_command(environ: Mapping[str, str]) -> list[str]:
    """What `exec` runs without a command: the person's shell."""
    if _WINDOWS:
        return [environ.get("COMSPEC") or "cmd.exe"]
    return [environ.get("SHELL") or "/bin/sh"]


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block the forwarded signals in this thread and the threads it starts from here on
    (Linux; elsewhere run_child's handlers do without)."""
    if not _SIGINFO:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _WAITED)
    try:
        yield
    finally:
        # Drop what arrived after the command ended, rather than act on it on unblocking.
        while signal.sigtimedwait(_WAITED, 0) is not None:
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def exit_status(wait_status: int) -> int:
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def run_child(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run `argv` until it exits, forwarding signals; its exit status. Inside signals_held()."""
    if not _SIGINFO:
        return _run_with_handlers(argv, env)
    pid = _spawn(argv, env)
    while True:
        info = signal.sigtimedwait(_WAITED, 1.0)
        if info is not None and info.si_signo in FORWARDED and _forward(info, pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, info.si_signo)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return exit_status(status)


def replace_process(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Become the command (exec); returns only by raising when it cannot be started, or,
    on Windows, which has no exec, with the command's status once it ran."""
    if _WINDOWS:
        return _run_with_handlers(argv, env)
    for number in _PYTHON_IGNORES:
        signal.signal(number, signal.SIG_DFL)
    try:
        os.execvpe(argv[0], list(argv), dict(env))  # noqa: S606 (the person's own command)
    except OSError as exc:
        for number in _PYTHON_IGNORES:
            signal.signal(number, signal.SIG_IGN)
        raise _cannot_run(argv[0], exc) from None


def _spawn(argv: Sequence[str], env: Mapping[str, str]) -> int:
    try:
        return os.posix_spawnp(
            argv[0], list(argv), dict(env), setsigmask=(), setsigdef=_PYTHON_IGNORES
        )
    except OSError as exc:
        raise _cannot_run(argv[0], exc) from None


def _run_with_handlers(argv: Sequence[str], env: Mapping[str, str]) -> int:
    try:
        # Windows' CreateProcess looks for `name.exe` only; which() knows PATHEXT (.cmd...).
        program = (shutil.which(argv[0], path=env.get("PATH")) if _WINDOWS else None) or argv[0]
        child = subprocess.Popen([program, *argv[1:]], env=dict(env))  # noqa: S603
    except OSError as exc:
        raise _cannot_run(argv[0], exc) from None

    def pass_on(number: int, frame: FrameType | None) -> None:
        if not _already_delivered(number):
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(number)

    handled = FORWARDED | _CONSOLE_SIGNALS if _WINDOWS else FORWARDED
    previous = {number: signal.signal(number, pass_on) for number in handled}
    try:
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - code if code < 0 else code


def _already_delivered(number: int) -> bool:
    """Whether the command got this signal as awslogin did (from the terminal, or the
    console), so that passing it on would deliver it twice."""
    if _WINDOWS:
        # The console's Ctrl-C and Ctrl-Break reach the command by themselves; a SIGTERM
        # is raised only inside this process and means nothing to the command.
        return True
    if number == signal.SIGTERM:
        return False
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (AttributeError, OSError, ValueError):
        return False


def _cannot_run(command: str, exc: OSError) -> CannotRun:
    if isinstance(exc, FileNotFoundError):
        return CannotRun(f"{command}: command not found", EXIT_NOT_FOUND)
    return CannotRun(f"cannot run {command}: {exc.strerror or exc}", EXIT_CANNOT_RUN)


def _forward(info: signal.struct_siginfo, child: int) -> bool:
    return info.si_code != _SI_KERNEL and info.si_pid != child
