"""Running the command of `awslogin exec` so that, to the person, it is the command itself.

* Its exit status passes through; killed by signal N, it gives 128+N, as shells report it.
* SIGINT, SIGTERM and SIGHUP sent to awslogin are passed on to it. A signal the terminal
  raised (Ctrl-C, a hangup; si_code SI_KERNEL) has already reached the command, which runs
  in the same foreground process group, so it is not sent twice (a REPL would print two
  KeyboardInterrupts); nor is a signal the command sent awslogin itself.
* Telling those apart needs the sender's siginfo, which a Python signal handler does not
  get: the signals are blocked (before any thread starts, so that every thread inherits
  the mask) and taken with sigtimedwait. posix_spawn gives the command an empty mask and
  the default actions for the signals Python ignores (SIGPIPE, SIGXFSZ).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator, Mapping, Sequence

from awslogin.errors import AwsloginError

FORWARDED = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
_WAITED = FORWARDED | {signal.SIGCHLD}
_PYTHON_IGNORES = (signal.SIGPIPE, signal.SIGXFSZ)
# Linux's si_code of signals the kernel raised, the terminal's among them (asm-generic).
_SI_KERNEL = 0x80
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126


class CannotRun(AwsloginError):
    """The command could not be started; exit codes as shells give them (127, 126)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block the forwarded signals in this thread and the threads it starts from here on."""
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
    pid = _spawn(argv, env)
    while True:
        info = signal.sigtimedwait(_WAITED, 1.0)
        if info is not None and info.si_signo in FORWARDED and _forward(info, pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, info.si_signo)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return exit_status(status)


def replace_process(argv: Sequence[str], env: Mapping[str, str]) -> None:
    """Become the command (exec); returns only by raising when it cannot be started."""
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


def _cannot_run(command: str, exc: OSError) -> CannotRun:
    if isinstance(exc, FileNotFoundError):
        return CannotRun(f"{command}: command not found", EXIT_NOT_FOUND)
    return CannotRun(f"cannot run {command}: {exc.strerror or exc}", EXIT_CANNOT_RUN)


def _forward(info: signal.struct_siginfo, child: int) -> bool:
    return info.si_code != _SI_KERNEL and info.si_pid != child
