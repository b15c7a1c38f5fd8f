"""`awslogin credential-process`: the credential_process JSON for a profile.

This runs for every SDK client a program creates, so the cache-hit path imports only
json and the config/cache readers; everything that talks to the network is imported
inside the refresh branch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from awslogin.errors import LoginRequired
from awslogin.session_record import (
    ProcessOutput,
    SessionRecord,
    is_fresh,
    matches_profile,
    process_output,
)
from awslogin.stores import store_for
from awslogin.usecases.profiles import awslogin_profile, load_config


def current_record(
    profile_name: str, environ: Mapping[str, str], *, debug: bool = False
) -> SessionRecord:
    """The profile's session with fresh credentials, refreshing it when needed."""
    profile, provider = awslogin_profile(load_config(environ), profile_name, environ)
    store = store_for(provider, profile)
    record = store.load()
    if record is None:
        raise LoginRequired(profile.name, f"not signed in with profile {profile.name}")
    if matches_profile(record, profile.values) and is_fresh(record, time.time()):
        return record
    from awslogin.usecases.sessions import refresh_under_lock

    return refresh_under_lock(profile, store, debug=debug)


def credential_process(
    profile: str, environ: Mapping[str, str], *, debug: bool = False
) -> ProcessOutput:
    return process_output(current_record(profile, environ, debug=debug))
