"""The "host": `awslogin` run as a subprocess the way a person runs it over SSH.

Its environment is a fresh home of its own (HOME, AWS_CONFIG_FILE, AWSLOGIN_CACHE_DIR in
a temporary folder) with no DISPLAY, no BROWSER and no SSH or AWS variables inherited
from the test runner. Its stdout and stderr are read line by line by two threads as
they stream, so a test waits for "the URL was printed" as an event, with a deadline,
instead of sleeping.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Self

from tests.support.host import awslogin_script, host_environ

Stream = Literal["stdout", "stderr"]
Echo = Callable[[Stream, str], None]

# Variables of the test runner that would change what a host over SSH does, besides
# those every test host drops (tests/support/host.py): a desktop, a home, proxies.
_DROPPED = frozenset(
    {"WAYLAND_DISPLAY", "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}
    | {"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}
)


@dataclass(frozen=True)
class HostHome:
    """A host machine's private files: its home, AWS config and token cache."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def config_file(self) -> Path:
        return self.home / ".aws" / "config"

    @property
    def cache_dir(self) -> Path:
        return self.home / ".aws" / "awslogin" / "cache"

    def environ(self, sts_endpoint: str, **extra: str) -> dict[str, str]:
        """The environment of a shell on this host: no display, no browser, no SSH vars."""
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        return host_environ(
            also_dropped=_DROPPED,
            HOME=str(self.home),
            AWS_CONFIG_FILE=str(self.config_file),
            AWS_SHARED_CREDENTIALS_FILE=str(self.home / ".aws" / "credentials"),
            AWSLOGIN_CACHE_DIR=str(self.cache_dir),
            AWS_ENDPOINT_URL_STS=sts_endpoint,
            LANG="C.UTF-8",
            PYTHONIOENCODING="utf-8",
            **extra,
        )


def run_awslogin(
    args: Sequence[str], env: Mapping[str, str], *, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """One short `awslogin` command to completion (configure, credential-process, logout)."""
    return subprocess.run(
        [awslogin_script(), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


class HostProcess:
    """A long-running host command whose output can be awaited line by line.

    Always use it as a context manager: on the way out a process that is still running
    is killed with its whole process group, whether the test passed or failed.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        echo: Echo | None = None,
        typing: bool = False,
    ) -> None:
        """`typing`: stdin is a pipe the test types into (`type_line`), else /dev/null."""
        self.argv = list(argv)
        self.env = dict(env)
        self.echo = echo
        self.typing = typing
        self.lines: dict[Stream, list[str]] = {"stdout": [], "stderr": []}
        self._changed = threading.Condition()
        self._readers: list[threading.Thread] = []
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the host process is not started"
        return self._process.pid

    def start(self) -> Self:
        self._process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.PIPE if self.typing else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        for name, pipe in (("stdout", self._process.stdout), ("stderr", self._process.stderr)):
            assert pipe is not None
            reader = threading.Thread(
                target=self._read, args=(name, pipe), name=f"host-{name}", daemon=True
            )
            reader.start()
            self._readers.append(reader)
        return self

    def _read(self, stream: Stream, pipe: IO[str]) -> None:
        for raw in pipe:
            line = raw.rstrip("\n")
            if self.echo is not None:
                self.echo(stream, line)
            with self._changed:
                self.lines[stream].append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _streams_closed(self) -> bool:
        return all(not reader.is_alive() for reader in self._readers)

    def wait_for(
        self, pattern: str | re.Pattern[str], *, stream: Stream = "stderr", timeout: float = 30.0
    ) -> re.Match[str]:
        """The first line of `stream` that matches; fails when it does not come in time."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                lines = self.lines[stream]
                for line in lines[seen:]:
                    match = regex.search(line)
                    if match is not None:
                        return match
                seen = len(lines)
                left = deadline - time.monotonic()
                if left <= 0 or self._streams_closed():
                    raise AssertionError(
                        f"the host did not print a line matching {regex.pattern!r} on {stream} "
                        f"within {timeout:.0f} s; output so far:\n{self.transcript()}"
                    )
                self._changed.wait(left)

    def wait(self, timeout: float = 60.0) -> int:
        """The exit code, once the process has ended and its output is fully read."""
        assert self._process is not None
        code = self._process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5.0)
        return code

    def type_line(self, text: str) -> None:
        """What the person types (or pastes) into the host, then Enter."""
        assert self._process is not None, "the host process is not started"
        assert self._process.stdin is not None, "started without typing=True"
        self._process.stdin.write(text + "\n")
        self._process.stdin.flush()

    def pause(self) -> None:
        """SIGSTOP: the host keeps its state but makes no request until resume()."""
        os.killpg(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.pid, signal.SIGCONT)

    def transcript(self) -> str:
        with self._changed:
            streams: tuple[Stream, ...] = ("stdout", "stderr")
            return "\n".join(f"{s}: {line}" for s in streams for line in self.lines[s])

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGCONT)
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10.0)
        for reader in self._readers:
            reader.join(timeout=5.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# A fixture that starts `awslogin login --remote` on the host (tests/e2e/conftest.py).
StartLogin = Callable[..., HostProcess]
