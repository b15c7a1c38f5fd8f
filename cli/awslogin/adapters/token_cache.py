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
from urllib.parse import quote, unquote

from awslogin.adapters.files import (
    delete_file,
    expand_home,
    file_lock,
    json_files,
    make_private_directory,
    read_json_object,
    write_private_atomically,
)

CACHE_DIR_ENV = "AWSLOGIN_CACHE_DIR"
CACHE_FORMAT_VERSION = 1


def cache_dir(environ: Mapping[str, str]) -> str:
    return expand_home(environ.get(CACHE_DIR_ENV) or "~/.aws/awslogin/cache", environ)


def session_lock(directory: str, kind: str, key: str) -> AbstractContextManager[object]:
    """The refresh lock of a session that another tool's cache holds (an sso-session's
    token, an `aws login` session): beside awslogin's own cache files, named as they are,
    so that no tool that lists its own cache ever meets it."""
    return TokenCache(directory, kind, key).lock()


class TokenCache:
    """The cache file of one login session (provider + profile)."""

    def __init__(self, directory: str, provider: str, profile: str) -> None:
        self.directory = directory
        self.provider = provider
        self.profile = profile
        self.path = os.path.join(directory, f"{provider}--{quote(profile, safe='')}.json")

    def load(self) -> dict[str, object] | None:
        """The cached session, or None when absent or unreadable (both mean: log in)."""
        data = read_json_object(self.path)
        if data is None or data.get("version") != CACHE_FORMAT_VERSION:
            return None
        return data

    def save(self, data: Mapping[str, object]) -> None:
        record = dict(data)
        record["version"] = CACHE_FORMAT_VERSION
        payload = json.dumps(record, indent=2, sort_keys=True).encode("utf-8")
        make_private_directory(self.directory)
        write_private_atomically(self.path, payload)

    def delete(self) -> bool:
        removed = delete_file(self.path)
        delete_file(self.path + ".lock")
        return removed

    def lock(self) -> AbstractContextManager[object]:
        """A lock shared by every process refreshing this session (refresh tokens rotate)."""
        return file_lock(self.path + ".lock")


def cached_sessions(directory: str) -> list[tuple[str, str]]:
    """(provider, profile) of every cache file in the directory."""
    sessions = []
    for name in json_files(directory):
        if "--" in name:
            provider, _, encoded = name[: -len(".json")].partition("--")
            sessions.append((provider, unquote(encoded)))
    return sessions
