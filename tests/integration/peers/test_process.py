"""PeerProcess: readiness, failure reports, and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.peers._process import PeerError, PeerProcess, running_logs

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

# A parent that starts a grandchild (as npm or a shell shim would), records its pid,
# then waits: stopping the parent alone would leave the grandchild running.
_PARENT_WITH_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1], "w").write(str(child.pid))
print("parent ready", flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


def _family(tmp_path: Path) -> PeerProcess:
    pid_file = tmp_path / "child.pid"
    return PeerProcess(
        "family",
        [sys.executable, "-c", _PARENT_WITH_CHILD, str(pid_file)],
        ready=lambda: pid_file.is_file() and pid_file.read_text() != "",
        log_dir=tmp_path,
    )


def test_stop_kills_the_whole_process_group(tmp_path: Path) -> None:
    with _family(tmp_path) as peer:
        parent = peer.pid
        assert parent is not None
        child = int((tmp_path / "child.pid").read_text())
        assert _alive(parent)
        assert _alive(child)
        assert any(path == peer.log_path for path in running_logs().values())
    assert not _alive(parent)
    assert not _alive(child)
    assert peer.log_path not in running_logs().values()
    assert "parent ready" in peer.log_path.read_text()


def _interrupt_while_running(peer: PeerProcess, pids: list[int]) -> None:
    """Record the pids of the peer's family, then press Ctrl-C inside its with-block."""
    with peer:
        assert peer.pid is not None
        child_pid_file = peer.log_path.parent / "child.pid"
        pids += [peer.pid, int(child_pid_file.read_text())]
        raise KeyboardInterrupt


def test_keyboard_interrupt_in_the_block_still_stops_the_peer(tmp_path: Path) -> None:
    pids: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        _interrupt_while_running(_family(tmp_path), pids)
    assert len(pids) == 2
    assert not any(_alive(pid) for pid in pids)


def test_a_peer_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    peer = PeerProcess(
        "dies",
        [sys.executable, "-c", "print('bad setting: RELAY_X'); raise SystemExit(3)"],
        ready=lambda: False,
        log_dir=tmp_path,
    )
    with pytest.raises(PeerError, match=r"exited with code 3(.|\n)*bad setting: RELAY_X"):
        peer.start()
    assert not peer.running


def test_a_peer_that_never_gets_ready_is_stopped_after_the_deadline(tmp_path: Path) -> None:
    peer = PeerProcess(
        "sleepy",
        [sys.executable, "-c", "import time; time.sleep(300)"],
        ready=lambda: False,
        log_dir=tmp_path,
        start_timeout=0.5,
    )
    with pytest.raises(PeerError, match="not ready after"):
        peer.start()
    assert not peer.running


# The inner pytest needs only tests/conftest.py (-p tests.conftest): without the
# installed plugins (schemathesis, playwright, xdist, ...) it starts in a quarter of the
# time, which on a busy machine running the suite in parallel kept it within its deadline.
_INNER_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

_WAITS_WITH_REDIS = """
import os, time
from pathlib import Path

def test_holds_redis(redis_server):
    Path(os.environ["MARKER"]).write_text(str(redis_server.port))
    time.sleep(60)
"""


def test_sigterm_to_pytest_still_stops_the_session_peers(tmp_path: Path) -> None:
    from tests.peers import redis as redis_peer
    from tests.peers.ci import require_peer

    require_peer(redis_peer.available(), "redis-server")
    (tmp_path / "test_waits.py").write_text(_WAITS_WITH_REDIS)
    marker = tmp_path / "port"
    root = Path(__file__).resolve().parents[3]
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            f"--rootdir={tmp_path}",
            str(tmp_path / "test_waits.py"),
        ],
        cwd=root,
        env={**os.environ, **_INNER_ENV, "MARKER": str(marker), "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not marker.is_file() or not marker.read_text():
            assert run.poll() is None, "the inner pytest ended before its test started"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        port = int(marker.read_text())
        redis_pids = _listeners(port)
        assert redis_pids
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=20) != 0
    finally:
        run.kill()
        run.wait()
    survivors = [pid for pid in redis_pids if _alive(pid)]
    for pid in survivors:  # do not leave the orphan this test is about
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def _listeners(port: int) -> list[int]:
    """Pids of the processes that have a socket listening on 127.0.0.1:port."""
    wanted = f"0100007F:{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":
            inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = {str(fd.readlink()) for fd in fd_dir.iterdir()}
        except OSError:
            continue
        if links & inodes:
            pids.append(int(fd_dir.parent.name))
    return pids


_FAILS_WITH_PEERS = """
import sys
import pytest
from tests.peers._process import PeerProcess
from tests.support.waiting import wait_until

def chatty(name, tmp_path):
    code = f"print('{name} says: listening', flush=True); import time; time.sleep(60)"
    return PeerProcess(name, [sys.executable, "-c", code], ready=lambda: True, log_dir=tmp_path)

@pytest.fixture
def fixture_peer(tmp_path):
    with chatty("fixture-peer", tmp_path) as peer:
        yield peer

def said(peer):
    return lambda: "says: listening" in peer.log_path.read_text()

def test_fails_with_a_fixture_peer(fixture_peer):
    wait_until(said(fixture_peer), "its first line", 10)
    assert 1 == 2

def test_fails_inside_a_with_block(tmp_path):
    with chatty("block-peer", tmp_path) as peer:
        wait_until(said(peer), "its first line", 10)
        assert 1 == 2
"""


def test_a_failing_test_report_carries_the_logs_of_running_peers(tmp_path: Path) -> None:
    (tmp_path / "test_fails.py").write_text(_FAILS_WITH_PEERS)
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            f"--rootdir={tmp_path}",
            str(tmp_path / "test_fails.py"),
        ],
        cwd=root,
        env={**os.environ, **_INNER_ENV, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    # A fixture's peer still runs when the report is made: its log is a report section.
    assert "peer log: fixture-peer (pid " in run.stdout
    assert "fixture-peer says: listening" in run.stdout
    # A peer whose with-block failed prints its log on the way out (captured stderr).
    assert "--- log of block-peer" in run.stdout
    assert "block-peer says: listening" in run.stdout
