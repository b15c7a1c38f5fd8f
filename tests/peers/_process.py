"""Running one peer as a child process that cannot outlive the test session.

Every peer runs in its own session (process group), so stopping it kills the whole
group: wrappers such as `npm` or shell shims cannot leave a grandchild listening on a
port. Output goes to a log file, not to a pipe, so a chatty peer never blocks on a
full pipe; the logs of running peers are attached to failing test reports by
tests/conftest.py.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

LOOPBACK = "127.0.0.1"
LOG_TAIL_CHARS = 6000

# Where scratch_dir() makes folders; tests/conftest.py points it into pytest's own temp
# area, which keeps the last few runs and removes older ones.
_scratch_root: Path | None = None
# Peers started and not yet stopped: their logs go into failure reports, and the exit
# handler stops them if a fixture could not.
_live: set[PeerProcess] = set()


class PeerError(RuntimeError):
    """A peer did not start, or died, with the reason and the tail of its log."""


def set_scratch_root(root: Path) -> None:
    """Make later scratch_dir() folders inside `root` (created if missing)."""
    global _scratch_root
    root.mkdir(parents=True, exist_ok=True)
    _scratch_root = root


def scratch_dir(prefix: str) -> Path:
    """A new private folder for one peer's log and data."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=_scratch_root))


def _worker_ports() -> range:
    """The ports this process hands out: its own slice below the ephemeral range.

    A port from free_port() is closed again before a peer binds it. Were it an ephemeral
    port (bind to port 0), another pytest-xdist worker's bind, or any client's outgoing
    connection, could take it in that gap. Each worker gets a slice of its own instead,
    which neither other workers nor outgoing connections (32768 and up) use; the slice
    starts at a random offset so that two runs side by side rarely meet.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    size = (_PORTS_END - _PORTS_START) // workers
    start = _PORTS_START + int(worker) * size if worker.isdigit() else _PORTS_START
    return range(start, start + size)


_PORTS_START, _PORTS_END = 20000, 32000
_port_cursor: int | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.

    Ports come from this worker's slice (see _worker_ports), in turn, so the same port is
    not handed out twice in a row to peers that start and stop one after another.
    """
    global _port_cursor
    ports = _worker_ports()
    if _port_cursor is None:
        _port_cursor = random.randrange(len(ports))
    for _ in range(len(ports)):
        _port_cursor = (_port_cursor + 1) % len(ports)
        port = ports[_port_cursor]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    raise PeerError(f"no free port in {ports.start}-{ports.stop - 1}")


def running_logs() -> dict[str, Path]:
    """Logs of the peers that are running now, by "name (pid N)"."""
    return {f"{peer.name} (pid {peer.pid})": peer.log_path for peer in _live}


def log_tail(path: Path, limit: int = LOG_TAIL_CHARS) -> str:
    """The end of a log file, for error messages and failure reports."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(log unavailable: {exc})"
    return text if len(text) <= limit else "...\n" + text[-limit:]


def http_ready(url: str, *, ok_status: int | None = None) -> Callable[[], bool]:
    """A readiness probe: the URL answers `ok_status`, or any status below 500."""

    def probe() -> bool:
        try:
            response = httpx.get(url, timeout=1.0, trust_env=False)
        except httpx.HTTPError:
            return False
        if ok_status is not None:
            return response.status_code == ok_status
        return response.status_code < 500

    return probe


class PeerProcess:
    """One peer child process: started in its own process group, logged to a file.

    `start()` returns once `ready()` is true; it raises PeerError with the log tail if
    the process exits first or the deadline passes. `stop()` is idempotent and kills
    the whole process group (SIGTERM, then SIGKILL after a grace period).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready: Callable[[], bool],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_dir: Path | None = None,
        start_timeout: float = 20.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready = ready
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.start_timeout = start_timeout
        directory = log_dir or scratch_dir(f"peer-{name}-")
        self.log_path = directory / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        with self.log_path.open("ab") as log:
            log.write(f"--- starting {self.name}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        _live.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        delay = 0.02
        while True:
            process = self._process
            assert process is not None
            code = process.poll()
            if code is not None:
                raise PeerError(
                    f"{self.name} exited with code {code} before it was ready; "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                )
            if self.ready():
                return
            if time.monotonic() > deadline:
                raise PeerError(
                    f"{self.name} was not ready after {self.start_timeout:.0f} s; "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)

    def stop(self, grace: float = 3.0) -> None:
        process = self._process
        self._process = None
        _live.discard(self)
        if process is None:
            return
        _kill_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _kill_group(process, signal.SIGKILL)
            process.wait(timeout=grace)
        # Children that ignored SIGTERM after the leader exited still die with the group;
        # wait until they are gone, so that their ports are free when stop() returns.
        _kill_group(process, signal.SIGKILL)
        deadline = time.monotonic() + grace
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.01)

    def __enter__(self) -> PeerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None and issubclass(exc_type, Exception):
            # The block failed while the peer ran: pytest shows this with the failure.
            sys.stderr.write(f"--- log of {self.name} ({self.log_path}):\n")
            sys.stderr.write(log_tail(self.log_path) + "\n")
        self.stop()


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state not in {"Z", "X"}:
            members.append(int(entry.name))
    return members


def _kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@atexit.register
def _stop_leftovers() -> None:
    for peer in list(_live):
        peer.stop(grace=1.0)


class ProcessPeer:
    """A peer that is one PeerProcess: the launchers' common start/stop/context shape.

    A subclass builds `self._process` and names, in `missing`, what to tell when the
    peer's program is not installed.
    """

    _process: PeerProcess
    missing: str

    @staticmethod
    def installed() -> bool:
        return True

    @property
    def log_path(self) -> Path:
        return self._process.log_path

    @property
    def running(self) -> bool:
        return self._process.running

    def start(self) -> None:
        if not self.installed():
            raise PeerError(f"{self.missing}: run `bash scripts/setup`")
        self._process.start()

    def stop(self) -> None:
        self._process.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._process.__exit__(exc_type, exc, traceback)
