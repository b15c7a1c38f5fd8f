"""A file as it was seen, to tell cheaply whether it is gone or was replaced since.

`serve` holds credentials in memory between fetches; a logout by any tool (`awslogin
logout`, `aws sso logout`, `aws logout`) deletes the session's file, and a new sign-in or
a refresh elsewhere rewrites it (a new inode: every writer replaces the file atomically).
One stat() per request tells the endpoint to look at the session again before it hands
out what it holds (docs/security.md, invariant 9), without polling anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# What identifies one version of a file: device, inode, size, modification time (ns).
Signature = tuple[int, int, int, int]


def signature(path: str) -> Signature | None:
    """The file's signature now; None when it is absent (or cannot be looked at)."""
    try:
        seen = os.stat(path)
    except OSError:
        return None
    return (seen.st_dev, seen.st_ino, seen.st_size, seen.st_mtime_ns)


@dataclass(frozen=True)
class WatchedFile:
    """`path` with the signature it had when it was read (None: it was already gone)."""

    path: str
    seen: Signature | None

    @classmethod
    def now(cls, path: str) -> WatchedFile:
        return cls(path, signature(path))

    def changed(self) -> bool:
        """Gone, or another version than the one seen: what it said may no longer hold."""
        current = signature(self.path)
        return current is None or current != self.seen

    def gone(self) -> bool:
        """Absent now: the session it held was signed out."""
        return signature(self.path) is None
