"""Debian's OpenSSH server on loopback: a real `ssh -R` for the serve tests.

One sshd per test session on a free 127.0.0.1 port, with its own host key, one user key
and an authorized_keys file in a scratch folder; password logins are off. It logs in the
user running the tests (root here: `PermitRootLogin prohibit-password`). A session gets
a fresh environment, as on any remote host: commands say what they need inline.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.peers._process import LOOPBACK, PeerProcess, ProcessPeer, free_port, scratch_dir

SSHD = "/usr/sbin/sshd"


def available() -> bool:
    """sshd, ssh, scp and ssh-keygen are installed, and we may run sshd (root)."""
    tools = ("ssh", "scp", "ssh-keygen")
    return os.access(SSHD, os.X_OK) and all(shutil.which(t) for t in tools) and os.geteuid() == 0


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


class SshServer(ProcessPeer):
    missing = "openssh-server (sshd) is not installed, or tests do not run as root"
    installed = staticmethod(available)

    def __init__(self) -> None:
        self.port = free_port()
        self.user = getpass.getuser()
        self.directory = scratch_dir("peer-sshd-")
        self.user_key = self.directory / "userkey"
        for key in (self.directory / "hostkey", self.user_key):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
            )
        (self.directory / "authorized_keys").write_bytes(
            self.user_key.with_suffix(".pub").read_bytes()
        )
        config = self.directory / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress {LOOPBACK}\n"
            f"HostKey {self.directory / 'hostkey'}\n"
            f"AuthorizedKeysFile {self.directory / 'authorized_keys'}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
            f"PidFile {self.directory / 'sshd.pid'}\nAllowTcpForwarding yes\n"
            "Subsystem sftp internal-sftp\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        self._process = PeerProcess(
            "sshd",
            [SSHD, "-D", "-e", "-f", str(config)],
            ready=lambda: _accepts(self.port),
            log_dir=self.directory,
        )

    def _options(self) -> list[str]:
        return [
            "-i", str(self.user_key),
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes",
            "-o", "LogLevel=ERROR",
        ]  # fmt: skip

    def ssh_argv(
        self, command: str, *, remote_forwards: Sequence[str] = (), tty: bool = False
    ) -> list[str]:
        """`ssh` to this server running `command`; each forward is `-R` SPEC; `tty` gives
        the command a real pseudo-terminal (`ssh -tt`), which sshd hangs up (SIGHUP) when
        the connection drops."""
        forwards = [arg for spec in remote_forwards for arg in ("-R", spec)]
        return [
            "ssh", *self._options(), *(["-tt"] if tty else []), "-o", "ExitOnForwardFailure=yes",
            *forwards, "-p", str(self.port), f"{self.user}@{LOOPBACK}", command,
        ]  # fmt: skip

    def scp_argv(self, source: Path, destination: str) -> list[str]:
        """`scp -p` (modes kept) of a local file to `destination` on this server."""
        return [
            "scp", "-p", *self._options(), "-P", str(self.port),
            str(source), f"{self.user}@{LOOPBACK}:{destination}",
        ]  # fmt: skip
