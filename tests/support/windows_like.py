"""A Windows-like host on Linux, for the CLI's unit tests (tests/platform).

Loaded as a pytest plugin (`-p tests.support.windows_like`), which pytest imports before
any conftest, test module or awslogin module. From then on every module of `awslogin`
and `awslogin_protocol` is executed with an `__import__` of its own, through which it
sees the standard library as CPython on Windows has it:

* `os.name` is "nt" and `sys.platform` "win32", so awslogin takes its Windows paths
  (`~` from USERPROFILE, the console's Ctrl-C rules for `exec`, ...);
* `signal` has only the signals of Windows' C runtime (SIGINT, SIGTERM, SIGBREAK,
  SIGABRT, SIGFPE, SIGILL, SIGSEGV): no SIGHUP, SIGKILL, SIGCHLD or SIGPIPE, no
  `pthread_sigmask` or `sigtimedwait`, and its `signal()` refuses any other number with
  the ValueError Windows gives;
* `os` has no uids, process groups, `fork`, `posix_spawn`, O_NOFOLLOW or O_CLOEXEC;
* `resource`, `fcntl`, `pwd`, `grp`, `termios`, `tty` and `pty` cannot be imported;
* asyncio's loops have no `add_signal_handler` (NotImplementedError, as Windows' loops).

A module that reads what Windows lacks when it loads fails to import, and one that
reads it when it runs fails its tests: the crashes a Windows laptop would meet. The
rest of the process (pytest, and the libraries awslogin uses, which pick their
implementation for the machine they run on, as on Windows) sees the real Linux host, so
the harness itself is not what fails. What stays POSIX: `os.path` and the file system.
"""

from __future__ import annotations

import asyncio
import builtins
import enum
import importlib.abc
import importlib.machinery
import os
import signal
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import pytest

# The CLI, and its tests, which meet what Windows lacks as the Windows CI job would.
SIMULATED_PACKAGES = ("awslogin", "awslogin_protocol", "tests")
WINDOWS_SIGNALS = {
    "SIGINT": 2,
    "SIGILL": 4,
    "SIGABRT": 6,
    "SIGFPE": 8,
    "SIGSEGV": 11,
    "SIGTERM": 15,
    # Ctrl-Break. On Linux 21 is SIGTTIN, which no test sends.
    "SIGBREAK": 21,
}
# What Windows' signal module has besides its signal numbers.
_SIGNAL_KEEPS = frozenset(
    {
        "Handlers",
        "NSIG",
        "SIG_DFL",
        "SIG_IGN",
        "default_int_handler",
        "getsignal",
        "raise_signal",
        "set_wakeup_fd",
        "strsignal",
        "valid_signals",
    }
)
_OS_LACKS = frozenset(
    {
        "O_NOFOLLOW",
        "O_CLOEXEC",
        "O_NOCTTY",
        "O_NONBLOCK",
        "O_DIRECTORY",
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "getgroups",
        "getpgrp",
        "getpgid",
        "setsid",
        "setpgid",
        "killpg",
        "fork",
        "forkpty",
        "posix_spawn",
        "posix_spawnp",
        "tcgetpgrp",
        "tcsetpgrp",
        "ttyname",
        "openpty",
        "fchown",
        "chown",
        "lchown",
        "getloadavg",
        "uname",
        "sysconf",
        "statvfs",
        "WNOHANG",
    }
)
MODULES_WINDOWS_LACKS = frozenset({"resource", "fcntl", "pwd", "grp", "termios", "tty", "pty"})
HEADER = "windows-like awslogin: os.name=nt, sys.platform=win32, signal without SIGHUP/SIGKILL"


class _View(types.ModuleType):
    """A module as Windows has it: some names gone, some replaced."""

    def __init__(self, real: types.ModuleType, gone: Callable[[str], bool], **own: Any) -> None:
        super().__init__(real.__name__, real.__doc__)
        self._real = real
        self._gone = gone
        self.__dict__.update(own)

    def __getattr__(self, name: str) -> Any:
        if self._gone(name):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return getattr(self._real, name)


def _windows_signal(number: int, handler: Any) -> Any:
    if number not in WINDOWS_SIGNALS.values():
        raise ValueError("invalid signal value")
    return signal.signal(number, handler)


def _signal_is_gone(name: str) -> bool:
    return not name.startswith("_") and name not in _SIGNAL_KEEPS


WINDOWS_VIEWS: dict[str, types.ModuleType] = {
    "os": _View(os, _OS_LACKS.__contains__, name="nt"),
    "sys": _View(sys, lambda name: False, platform="win32"),
    "signal": _View(
        signal,
        _signal_is_gone,
        **WINDOWS_SIGNALS,
        CTRL_C_EVENT=0,
        CTRL_BREAK_EVENT=1,
        Signals=enum.IntEnum("Signals", WINDOWS_SIGNALS),
        signal=_windows_signal,
    ),
}


def _windows_import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: Sequence[str] = (),
    level: int = 0,
) -> Any:
    if level == 0 and name.split(".")[0] in MODULES_WINDOWS_LACKS:
        raise ModuleNotFoundError(f"No module named {name!r} (on Windows)", name=name)
    module = builtins.__import__(name, globals, locals, fromlist, level)
    return WINDOWS_VIEWS.get(getattr(module, "__name__", ""), module) if level == 0 else module


WINDOWS_BUILTINS = {**vars(builtins), "__import__": _windows_import}


class _WindowsLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader) -> None:
        self._real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._real.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = WINDOWS_BUILTINS
        self._real.exec_module(module)


class _WindowsFinder(importlib.abc.MetaPathFinder):
    """Hands the simulated packages' modules a loader that gives them WINDOWS_BUILTINS."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in SIMULATED_PACKAGES:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _WindowsLoader(spec.loader)
                return spec
        return None


def _no_signal_handlers(self: object, *args: object) -> None:
    raise NotImplementedError


assert not any(name.split(".")[0] in SIMULATED_PACKAGES[:2] for name in sys.modules), (
    "load this plugin before awslogin is imported: python -m pytest -p tests.support.windows_like"
)
sys.meta_path.insert(0, _WindowsFinder())
_loop: Any = asyncio.SelectorEventLoop
_loop.add_signal_handler = _no_signal_handlers
_loop.remove_signal_handler = _no_signal_handlers


def pytest_report_header(config: pytest.Config) -> str:
    return HEADER


def import_every_module() -> list[str]:
    """Import every module of the simulated packages (not only those the tests reach)."""
    import importlib
    import pkgutil

    names = []
    for package_name in SIMULATED_PACKAGES[:2]:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(module.name)
            names.append(module.name)
    return names


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every module of awslogin the tests loaded went through the Windows view."""
    outside = [
        name
        for name, module in sys.modules.items()
        if name.split(".")[0] in SIMULATED_PACKAGES[:2]
        and getattr(module, "__builtins__", None) is not WINDOWS_BUILTINS
    ]
    assert outside == [], f"imported without the Windows view: {outside}"
