"""Private files on disk: read a JSON object, replace a file atomically, lock across processes.

Every cache and config adapter stores what it knows through these few primitives, so that
each file awslogin writes is private (0600 in a 0700 directory), never seen half-written,
and refreshed by one process at a time. `credential-process` reads files through here on
every SDK start: json and os only; tempfile (with shutil and random) is imported when a
file is written, and filelock when a lock is taken.

Where `~` is follows botocore, which asks os.path.expanduser: HOME on POSIX (else the
password database), USERPROFILE on Windows (else HOMEDRIVE and HOMEPATH; HOME, which
Git Bash sets, is not read there), so that awslogin and the AWS CLI meet in the same
~/.aws. On Windows the mode bits mean nothing but "read-only": a file is private through
the ACL its folder passes on (docs/security.md, "Private files on Windows").
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager

from awslogin.errors import AwsloginError, ConfigError

# A refresh that holds a lock longer than this is stuck (IdP/STS timeouts are shorter).
LOCK_TIMEOUT_SECONDS = 60.0
# Windows refuses to replace a file another process has open (a reader of the cache): the
# rename is tried again for this long, as readers hold it for a moment only.
REPLACE_RETRY_SECONDS = 2.0


def home_directory(environ: Mapping[str, str]) -> str:
    """`~` as os.path.expanduser, and so botocore, finds it here: in `environ`, else in
    what this process knows (its own environment, the password database)."""
    if sys.platform == "win32":
        path = environ.get("HOMEPATH")
        found = environ.get("USERPROFILE") or (path and environ.get("HOMEDRIVE", "") + path)
    else:
        found = environ.get("HOME")
    return found or os.path.expanduser("~")


def expand_home(path: str, environ: Mapping[str, str]) -> str:
    """`path` with a leading `~` (alone, or before a separator) made the home directory."""
    separators = ("/", "\\") if sys.platform == "win32" else ("/",)
    if path == "~" or (path.startswith("~") and path[1:2] in separators):
        return home_directory(environ) + path[1:]
    return os.path.expanduser(path)  # ~user, or nothing to expand


def read_json_object(path: str) -> dict[str, object] | None:
    """The JSON object in `path`; None when the file is absent, unreadable or not an object.

    The files read here may have been written by another tool (botocore, the AWS CLI) or
    by hand: the caller still checks every value it uses.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def json_files(directory: str) -> list[str]:
    """The names of the `.json` files in `directory`, sorted; none when it does not exist.

    Names starting with a dot are left out: they are temporary files of an atomic write
    (ours or another tool's), not yet what they will be.
    """
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted(name for name in names if name.endswith(".json") and not name.startswith("."))


def make_private_directory(directory: str) -> None:
    """Create `directory` (0700) and its parents if missing."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise AwsloginError(f"cannot create cache directory {directory}: {exc}") from exc


def write_private_atomically(path: str, data: bytes, *, keep_mode: bool = False) -> None:
    """Write to a temp file beside `path` and rename it over, so readers never see half a file.

    A new file is private (0600); with `keep_mode`, a file that exists keeps its mode.
    """
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        mode = 0o600
        if keep_mode:
            with contextlib.suppress(FileNotFoundError):
                mode = os.stat(path).st_mode & 0o777
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
            _replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _replace(source: str, target: str) -> None:
    give_up = time.monotonic() + REPLACE_RETRY_SECONDS
    while True:
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32" or time.monotonic() > give_up:
                raise
            time.sleep(0.05)


def delete_file(path: str) -> bool:
    """Remove `path`; False when it was not there."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def file_lock(path: str) -> AbstractContextManager[object]:
    """A lock shared by every awslogin process that opens the same `path` (refresh tokens
    rotate, so only one process may use one at a time); gives up after a minute."""
    from filelock import FileLock, Timeout

    make_private_directory(os.path.dirname(os.path.abspath(path)))
    lock = FileLock(path, timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)

    class _Guard(AbstractContextManager[object]):
        def __enter__(self) -> object:
            try:
                return lock.acquire()
            except Timeout as exc:
                raise AwsloginError(
                    f"another awslogin process has held {lock.lock_file} for "
                    f"{LOCK_TIMEOUT_SECONDS:.0f} s; try again"
                ) from exc

        def __exit__(self, *exc_info: object) -> None:
            lock.release()

    return _Guard()


class Presence:
    """A lock that a process holds for as long as it does something, to tell other
    processes that it still does: the operating system drops it when the process ends,
    however it ends (a crash, SIGKILL), so a reader trusts no record left behind and no
    reused pid, and needs no signal (on Windows `os.kill(pid, 0)` sends a Ctrl-C)."""

    def __init__(self, path: str) -> None:
        from filelock import FileLock

        self.path = path
        self._lock = FileLock(path, timeout=0, mode=0o600)

    def hold(self) -> bool:
        """Take it without waiting; False when another process holds it already."""
        from filelock import Timeout

        try:
            make_private_directory(os.path.dirname(os.path.abspath(self.path)))
            self._lock.acquire()
        except (Timeout, OSError):
            return False
        return True

    def release(self) -> None:
        self._lock.release(force=True)

    @classmethod
    def held_elsewhere(cls, path: str) -> bool:
        """Whether a process holds the presence lock at `path` now."""
        if not os.path.exists(path):
            return False
        presence = cls(path)
        if not presence.hold():
            return True
        presence.release()
        return False
