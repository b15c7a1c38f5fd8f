"""Where login sessions are kept: one store per provider, all seen as a `SessionStore`.

* `oidc`: awslogin's own cache file (adapters/token_cache.py);
* `aws-signin`: botocore's login cache, shared with `aws login` (stores/aws_signin.py);
* `sso`: the role credentials in awslogin's cache, the sign-in in botocore's token of the
  sso-session, shared with `aws sso login` (stores/sso.py).

Light on purpose: `credential-process` loads a store on every SDK start.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from awslogin.profile import Profile
from awslogin.session_record import SessionRecord
from awslogin.stores.record_file import RecordFile


class SessionStore(Protocol):
    """Persistence of one login session; `lock` serialises refreshes across processes."""

    path: str

    @property
    def session_file(self) -> str:
        """The file whose removal signs the session out (every tool's logout deletes it)."""
        ...

    def load(self) -> SessionRecord | None: ...

    def save(self, record: SessionRecord) -> None: ...

    def delete(self) -> bool: ...

    def lock(self) -> AbstractContextManager[object]: ...


def store_for(provider: str, profile: Profile) -> SessionStore:
    """The store of `profile`'s session with `provider` (the profile may no longer name it:
    `logout --all` removes sessions of profiles that changed)."""
    if provider == "sso":
        from awslogin.stores.sso import SsoProfileStore

        return SsoProfileStore(profile)
    if provider == "aws-signin":
        from awslogin.stores.aws_signin import store_for_profile

        return store_for_profile(profile)
    return RecordFile(provider, profile)
