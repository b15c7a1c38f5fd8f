"""A network namespace joined to the root namespace by one veth pair, for the "host".

The e2e test runs `awslogin` inside such a namespace to prove that the host needs no
inbound connection: the namespace has its own loopback, one private /30 link
(10.203.N.M) to the root namespace and no default route, so it reaches only the
root side of that link, and nothing it serves on its own 127.0.0.1 is reachable from
outside. Needs root (CAP_NET_ADMIN) and iproute2; `netns_available()` says whether
namespaces can be made here.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Sequence
from typing import Any, Self

PREFIX = "awsl-"
_LINK_POOL = ipaddress.IPv4Network("10.203.0.0/16")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=10)


@functools.cache
def netns_available() -> bool:
    """True when this process may create and delete network namespaces."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = f"{PREFIX}probe-{os.getpid()}"
    created = _ip("netns", "add", probe, check=False).returncode == 0
    if created:
        _ip("netns", "del", probe, check=False)
    return created


def available() -> bool:
    """Same as netns_available(), under the name every launcher module has."""
    return netns_available()


def remove_stale() -> None:
    """Delete namespaces this module made in processes that no longer exist."""
    listing = _ip("netns", "list", check=False).stdout
    for name in re.findall(rf"^({PREFIX}(\d+)-\w+)", listing, flags=re.MULTILINE):
        namespace, pid = name
        if not _process_exists(int(pid)):
            _delete_namespace(namespace)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete_namespace(name: str) -> None:
    pids = _ip("netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "del", name, check=False)


def _free_link() -> ipaddress.IPv4Network:
    """A /30 in 10.203.0.0/16 that no interface on this machine uses."""
    used = _ip("-4", "-o", "addr", "show").stdout
    subnets = list(_LINK_POOL.subnets(new_prefix=30))
    for _ in range(64):
        link = secrets.choice(subnets)
        if not any(str(address) in used for address in link):
            return link
    raise RuntimeError("no free /30 found in 10.203.0.0/16")


class NetnsHost:
    """A fresh namespace with a veth link: root side `root_address`, inside `netns_address`.

    Use as a context manager; on exit every process still in the namespace is killed
    and the namespace and both veth ends are deleted.
    """

    def __init__(self) -> None:
        suffix = secrets.token_hex(3)
        self.name = f"{PREFIX}{os.getpid()}-{suffix}"
        self.root_interface = f"awr{suffix}"
        self.netns_interface = f"awn{suffix}"
        link = _free_link()
        root, inside = list(link.hosts())
        self.root_address = str(root)
        self.netns_address = str(inside)
        self.prefix_length = link.prefixlen
        self._created = False

    def create(self) -> None:
        remove_stale()
        _ip("netns", "add", self.name)
        self._created = True
        try:
            _ip(
                "link",
                "add",
                self.root_interface,
                "type",
                "veth",
                "peer",
                "name",
                self.netns_interface,
            )
            _ip("link", "set", self.netns_interface, "netns", self.name)
            _ip(
                "addr",
                "add",
                f"{self.root_address}/{self.prefix_length}",
                "dev",
                self.root_interface,
            )
            _ip("link", "set", self.root_interface, "up")
            _ip(
                "-n",
                self.name,
                "addr",
                "add",
                f"{self.netns_address}/{self.prefix_length}",
                "dev",
                self.netns_interface,
            )
            _ip("-n", self.name, "link", "set", self.netns_interface, "up")
            _ip("-n", self.name, "link", "set", "lo", "up")
        except BaseException:
            self.delete()
            raise

    def delete(self) -> None:
        if not self._created:
            return
        self._created = False
        _delete_namespace(self.name)
        # Deleting the namespace removes the inner end; the root end goes with its peer,
        # but remove it explicitly in case the inner end never moved into the namespace.
        _ip("link", "del", self.root_interface, check=False)

    def argv(self, command: Sequence[str]) -> list[str]:
        """`command` prefixed so that it runs inside the namespace."""
        return ["ip", "netns", "exec", self.name, *command]

    def run(self, command: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run `command` inside the namespace to completion (text mode, output captured)."""
        options: dict[str, Any] = {"capture_output": True, "text": True, "timeout": 30, **kwargs}
        return subprocess.run(self.argv(command), check=False, **options)

    def __enter__(self) -> Self:
        self.create()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.delete()
