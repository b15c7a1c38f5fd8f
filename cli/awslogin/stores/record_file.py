"""A session record in awslogin's own cache: oidc's sessions, sso's role credentials."""

from __future__ import annotations

from contextlib import AbstractContextManager

from awslogin.adapters.token_cache import TokenCache, cache_dir
from awslogin.profile import Profile
from awslogin.session_record import SessionRecord, parse_record


class RecordFile:
    """The cache file of one provider's session for one profile, read defensively."""

    def __init__(self, provider: str, profile: Profile) -> None:
        self._cache = TokenCache(cache_dir(profile.environ), provider, profile.name)
        self.path = self._cache.path

    @property
    def session_file(self) -> str:
        return self.path

    def load(self) -> SessionRecord | None:
        """The record, or None when the file is absent or holds no session (log in again)."""
        return parse_record(self._cache.load())

    def save(self, record: SessionRecord) -> None:
        self._cache.save(record)

    def delete(self) -> bool:
        return self._cache.delete()

    def lock(self) -> AbstractContextManager[object]:
        return self._cache.lock()
