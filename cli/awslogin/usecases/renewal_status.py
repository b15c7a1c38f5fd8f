"""What `awslogin status` says of a renewal under way: one small file per profile beside
the cache (`renewal-PROFILE.state`, mode 0600, not a `.json` so that no tool listing the
cache meets it), written by the renewal's worker when a link goes out and by serve when
the renewal ends, and read only while the serve or exec that renews holds its presence
lock (`renewal-PROFILE.lock`, adapters/files.Presence): a serve that was killed leaves
a state that nobody reads.

It holds no secret: when the last link went out, to how many destinations, and what the
renewal is doing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from typing import Literal, NotRequired, TypedDict
from urllib.parse import quote

from awslogin.adapters.files import (
    Presence,
    delete_file,
    make_private_directory,
    read_json_object,
    write_private_atomically,
)
from awslogin.adapters.token_cache import cache_dir
from awslogin.errors import one_line

State = Literal["waiting", "stopped"]


class RenewalState(TypedDict):
    state: State
    sentAt: float  # 0: no link went out
    delivered: int
    why: NotRequired[str]  # a stopped renewal: why, in a few words (no secret)


DENIED = "denied on the phone"


def state_path(profile: str, environ: Mapping[str, str]) -> str:
    return os.path.join(cache_dir(environ), f"renewal-{quote(profile, safe='')}.state")


def presence_path(profile: str, environ: Mapping[str, str]) -> str:
    """The lock that the serve or exec renewing `profile` holds while it lives."""
    return os.path.join(cache_dir(environ), f"renewal-{quote(profile, safe='')}.lock")


def write_state(profile: str, environ: Mapping[str, str], state: RenewalState) -> None:
    """Best effort: a status line is not worth failing a renewal for."""
    path = state_path(profile, environ)
    with contextlib.suppress(OSError):
        make_private_directory(os.path.dirname(path))
        write_private_atomically(path, json.dumps(state).encode("utf-8"))


def mark_stopped(profile: str, environ: Mapping[str, str], why: str = DENIED) -> None:
    """The renewals stopped (a denial, a profile that cannot renew from a phone):
    `status` says why while serve runs, and when the last link went out, if one did."""
    data = read_json_object(state_path(profile, environ)) or {}
    sent_at, delivered = data.get("sentAt"), data.get("delivered")
    state = RenewalState(
        state="stopped",
        sentAt=float(sent_at) if isinstance(sent_at, int | float) else 0.0,
        delivered=delivered if isinstance(delivered, int) else 0,
        why=why,
    )
    write_state(profile, environ, state)


def clear_state(profile: str, environ: Mapping[str, str]) -> None:
    with contextlib.suppress(OSError):
        delete_file(state_path(profile, environ))


def renewal_line(profile: str, environ: Mapping[str, str]) -> str | None:
    """`link sent 13:02 to 2 destinations, waiting`, or None when no renewal of a living
    serve or exec is known."""
    data = read_json_object(state_path(profile, environ))
    if data is None:
        return None
    sent_at, delivered = data.get("sentAt"), data.get("delivered")
    if not isinstance(sent_at, int | float) or not isinstance(delivered, int):
        return None
    if not Presence.held_elsewhere(presence_path(profile, environ)):
        return None
    at = time.strftime("%H:%M", time.localtime(sent_at))
    where = f"{delivered} destination{'s' if delivered != 1 else ''}"
    if data.get("state") == "stopped":
        why = data.get("why")
        stopped = f"stopped ({one_line(why, 80) if isinstance(why, str) else DENIED})"
        if not sent_at:
            return f"{stopped}; no link went out"
        return f"{stopped}; the last link went out {at} to {where}"
    return f"link sent {at} to {where}, waiting"
