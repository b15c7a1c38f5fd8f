"""The local audit of the credentials endpoint: one JSON line per request, never a secret.

Each line holds the time (UTC, milliseconds), the profile, the client's address, the
outcome (`served`, `unauthorized`, `login_required`, ...), the HTTP status (0 when the
connection was closed without an answer) and, for served credentials, their expiration;
a line for refusals merged over a minute has their `count` (usecases/refusal_audit.py).
A renewal's steps are lines of their own (`"event": "renewal"`, usecases/renewal.py).
Lines go to stderr, or are appended to a file created with mode 0600. The file is opened
without following a symbolic link (O_NOFOLLOW): in a folder others can write to (/tmp),
another user could plant a link there that makes serve append to a file of its user's
(docs/security.md, "`serve` and `exec` at the edge"). Windows has no O_NOFOLLOW and no
uids: there a link is refused by looking first (making one needs a privilege there), and
the file's privacy is its folder's (docs/security.md, "Private files on Windows"). A
failed write (a full disk, a closed terminal) never stops the endpoint.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO


def _utc_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class AuditLog:
    def __init__(self, profile: str, stream: TextIO | None) -> None:
        self.profile = profile
        self._stream = stream

    @classmethod
    def to_stderr(cls, profile: str) -> AuditLog:
        return cls(profile, sys.stderr)

    @classmethod
    def to_file(cls, profile: str, path: str) -> AuditLog:
        from awslogin.errors import ConfigError

        link = ConfigError(f"the audit log {path} is a symbolic link: give the file itself")
        no_follow = getattr(os, "O_NOFOLLOW", 0)
        if not no_follow and os.path.islink(path):
            raise link
        # Without O_CLOEXEC (Windows) descriptors are not inherited anyway (PEP 446).
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | no_follow | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise link from None
            raise ConfigError(f"cannot open the audit log {path}: {exc.strerror}") from None
        if hasattr(os, "geteuid") and os.fstat(fd).st_uid != os.geteuid():
            # A file someone else made first (in /tmp, say) is theirs to read and rotate.
            os.close(fd)
            raise ConfigError(f"the audit log {path} belongs to another user: give a file of yours")
        return cls(profile, os.fdopen(fd, "a", encoding="utf-8"))

    @classmethod
    def discard(cls, profile: str) -> AuditLog:
        return cls(profile, None)

    def __call__(
        self, client: str, outcome: str, status: int, detail: Mapping[str, str | int]
    ) -> None:
        self._write(
            {"event": "credentials", "client": client, "outcome": outcome, "status": status},
            detail,
        )

    def renewal(self, detail: Mapping[str, str | int]) -> None:
        """A step of a renewal: started, a destination that did not take the link (named
        by scheme and host only), how an attempt ended."""
        self._write({"event": "renewal"}, detail)

    def _write(self, head: Mapping[str, str | int], detail: Mapping[str, str | int]) -> None:
        if self._stream is None:
            return
        line = {"time": _utc_now(), "event": head["event"], "profile": self.profile}
        line.update(head)
        line.update(detail)
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(json.dumps(line) + "\n")
            self._stream.flush()

    def close(self) -> None:
        if self._stream is not None and self._stream is not sys.stderr:
            with contextlib.suppress(OSError):
                self._stream.close()
