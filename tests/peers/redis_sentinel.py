"""A Redis primary, one replica and three sentinels (Debian's redis-server and
redis-sentinel) on 127.0.0.1: a failover group a test can break for real.

The sentinels watch the primary under the name `SERVICE` with a quorum of 2 and declare
it down after `down_after` seconds without an answer; then they elect a leader, which
promotes the replica. `kill_primary()` sends SIGKILL to the primary process (no
goodbye, no last replication), as a crash or a lost machine would. Passwords are on, for
the data nodes and for the sentinels (different ones), so the relay's URL is exercised
as a deployment would write it. Nothing is written to disk but the sentinels' own
config files, which they rewrite as they learn the topology.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

from tests.peers._process import LOOPBACK, PeerError, PeerProcess, free_port, scratch_dir

SERVICE = "awslogin"
REDIS_SERVER = "redis-server"
REDIS_SENTINEL = "redis-sentinel"


def available() -> bool:
    """Both binaries are on PATH (Debian packages redis-server and redis-sentinel)."""
    return shutil.which(REDIS_SERVER) is not None and shutil.which(REDIS_SENTINEL) is not None


def _answers(port: int, password: str) -> bool:
    try:
        return bool(redis.Redis(LOOPBACK, port, password=password, socket_timeout=1).ping())
    except redis.RedisError:
        return False


class SentinelGroup:
    """Primary, replica and three sentinels; `url` is what RELAY_STORE takes."""

    def __init__(self, *, down_after: float = 1.0) -> None:
        self.directory = scratch_dir("peer-sentinel-")
        self.password = secrets.token_hex(12)
        self.sentinel_password = secrets.token_hex(12)
        self.down_after_ms = int(down_after * 1000)
        self.primary_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.data_nodes = {
            self.primary_port: self._data_node("redis-primary", self.primary_port, None),
            self.replica_port: self._data_node(
                "redis-replica", self.replica_port, self.primary_port
            ),
        }
        self.sentinels = [self._sentinel(n, port) for n, port in enumerate(self.sentinel_ports)]

    @property
    def url(self) -> str:
        hosts = ",".join(f"{LOOPBACK}:{port}" for port in self.sentinel_ports)
        return (
            f"redis+sentinel://:{self.password}@{hosts}/{SERVICE}/0"
            f"?sentinel_password={self.sentinel_password}"
        )

    def _data_node(self, name: str, port: int, primary: int | None) -> PeerProcess:
        argv = [REDIS_SERVER, "--port", str(port), "--bind", LOOPBACK, "--save", ""]
        argv += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.directory)]
        argv += ["--dbfilename", f"{name}.rdb", "--requirepass", self.password]
        argv += ["--masterauth", self.password]
        if primary is not None:
            argv += ["--replicaof", LOOPBACK, str(primary)]
        return PeerProcess(
            name,
            argv,
            ready=lambda: _answers(port, self.password),
            log_dir=self.directory,
        )

    def _sentinel(self, n: int, port: int) -> PeerProcess:
        config = self.directory / f"sentinel-{n}.conf"
        config.write_text(
            f"port {port}\nbind {LOOPBACK}\ndaemonize no\ndir {self.directory}\n"
            f"requirepass {self.sentinel_password}\n"
            f"sentinel sentinel-pass {self.sentinel_password}\n"
            f"sentinel monitor {SERVICE} {LOOPBACK} {self.primary_port} 2\n"
            f"sentinel auth-pass {SERVICE} {self.password}\n"
            f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}\n"
            f"sentinel failover-timeout {SERVICE} 5000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        return PeerProcess(
            f"sentinel-{n}",
            [REDIS_SENTINEL, str(config)],
            ready=lambda: _answers(port, self.sentinel_password),
            log_dir=self.directory,
        )

    def sentinel_client(self, n: int = 0) -> redis.Redis:
        return redis.Redis(
            LOOPBACK, self.sentinel_ports[n], password=self.sentinel_password, socket_timeout=2
        )

    def data_client(self, port: int) -> redis.Redis:
        return redis.Redis(LOOPBACK, port, password=self.password, socket_timeout=2)

    def primary_port_now(self) -> int | None:
        """The primary's port as the first sentinel that answers sees it."""
        for n in range(len(self.sentinel_ports)):
            try:
                address = self.sentinel_client(n).sentinel_get_master_addr_by_name(SERVICE)
            except redis.RedisError:
                continue
            if address:
                return int(address[1])
        return None

    def _settled(self) -> bool:
        """Every sentinel sees the primary, its replica and the two other sentinels, and
        the replica's link to the primary is up."""
        try:
            link = self.data_client(self.replica_port).info("replication")
            if link.get("master_link_status") != "up":
                return False
            for n in range(len(self.sentinel_ports)):
                state = self.sentinel_client(n).sentinel_master(SERVICE)
                if (
                    int(state["num-other-sentinels"]) != 2
                    or int(state["num-slaves"]) != 1
                    or int(state["port"]) != self.primary_port
                ):
                    return False
        except (redis.RedisError, KeyError):
            return False
        return True

    def start(self, timeout: float = 30.0) -> None:
        if not available():
            raise PeerError("redis-server or redis-sentinel is not installed: run scripts/setup")
        try:
            for node in self.data_nodes.values():
                node.start()
            for sentinel in self.sentinels:
                sentinel.start()
        except BaseException:  # those already running must not keep their ports
            self.stop()
            raise
        deadline = time.monotonic() + timeout
        while not self._settled():
            if time.monotonic() > deadline:
                self.stop()
                raise PeerError(
                    f"the sentinels did not settle in {timeout:.0f} s; logs in {self.directory}"
                )
            time.sleep(0.2)

    def kill_primary(self) -> None:
        """SIGKILL the primary process: a crash, not a shutdown."""
        primary = self.data_nodes[self.primary_port]
        assert primary.pid is not None
        os.killpg(primary.pid, signal.SIGKILL)
        primary.stop()

    def wait_for_promotion(self, timeout: float = 30.0) -> int:
        """Until the sentinels name another primary; its port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self.primary_port_now()
            if port is not None and port != self.primary_port:
                return port
            time.sleep(0.05)
        raise PeerError(f"no promotion within {timeout:.0f} s; logs in {self.directory}")

    def stop(self) -> None:
        for process in [*self.sentinels, *self.data_nodes.values()]:
            process.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def logs(self) -> list[Path]:
        return [process.log_path for process in [*self.data_nodes.values(), *self.sentinels]]
