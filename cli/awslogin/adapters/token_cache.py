"""The token cache: one private JSON file per login session, replaced atomically.

`credential-process` reads these files on every SDK start, so loading is plain `json`
with no heavy imports; the cross-process lock (filelock) is imported only by the
refresh path. Files are named after the provider and profile, percent-encoded, so a
directory listing shows whose session each file holds without a hashing import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import quote, unquote

from awslogin.adapters.aws_config import write_private_atomically
from awslogin.errors import AwsloginError

CACHE_DIR_ENV = "AWSLOGIN_CACHE_DIR"
CACHE_FORMAT_VERSION = 1
# A refresh that holds the lock longer than this is stuck (IdP/STS timeouts are shorter).
LOCK_TIMEOUT_SECONDS = 60.0


def cache_dir(environ: Mapping[str, str]) -> str:
    return os.path.expanduser(environ.get(CACHE_DIR_ENV) or "~/.aws/awslogin/cache")


class TokenCache:
    """The cache file of one login session (provider + profile)."""

    def __init__(self, directory: str, provider: str, profile: str) -> None:
        self.directory = directory
        self.provider = provider
        self.profile = profile
        self.path = os.path.join(directory, f"{provider}--{quote(profile, safe='')}.json")

    def load(self) -> dict[str, Any] | None:
        """The cached session, or None when absent or unreadable (both mean: log in)."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != CACHE_FORMAT_VERSION:
            return None
        return data

    def save(self, data: Mapping[str, Any]) -> None:
        record = dict(data)
        record["version"] = CACHE_FORMAT_VERSION
        payload = json.dumps(record, indent=2, sort_keys=True).encode("utf-8")
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise AwsloginError(f"cannot create cache directory {self.directory}: {exc}") from exc
        write_private_atomically(self.path, payload)

    def delete(self) -> bool:
        removed = False
        for path in (self.path, self.path + ".lock"):
            try:
                os.unlink(path)
                removed = removed or path == self.path
            except FileNotFoundError:
                pass
        return removed

    def lock(self) -> AbstractContextManager[object]:
        """A lock shared by every process refreshing this session (refresh tokens rotate)."""
        from filelock import FileLock, Timeout

        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        lock = FileLock(self.path + ".lock", timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)

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


def cached_sessions(directory: str) -> list[tuple[str, str]]:
    """(provider, profile) of every cache file in the directory."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    sessions = []
    for name in names:
        if name.endswith(".json") and "--" in name and not name.startswith("."):
            provider, _, encoded = name[: -len(".json")].partition("--")
            sessions.append((provider, unquote(encoded)))
    return sessions
