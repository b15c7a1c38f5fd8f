"""What the AWS federation endpoint does, as AWS documents it ("Enable custom identity
broker access to the AWS console"), with no HTTP in it.

* `getSigninToken` takes the `Session` JSON {sessionId, sessionKey, sessionToken}: keys
  without a session token are long-term keys, which it refuses.
* `SessionDuration` (900 to 43200 seconds) is for credentials from AssumeRole*; credentials
  from role chaining (`chained_keys`) are refused with it, as AWS refuses them.
* A sign-in token lives 15 minutes.
* `login` with a live token redirects to `Destination` (an https URL).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TOKEN_SECONDS = 900
MIN_DURATION = 900
MAX_DURATION = 43200


class Refused(Exception):
    """A request the endpoint answers with 400 and these words."""


@dataclass(frozen=True)
class ReceivedSession:
    access_key_id: str
    secret_access_key: str
    session_token: str
    session_duration: int | None


@dataclass
class FederationState:
    chained_keys: set[str] = field(default_factory=set)
    sessions: list[ReceivedSession] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> issued at (fake clock)
    logins: list[str] = field(default_factory=list)  # destinations signed in to
    _offset: float = 0.0
    _faults: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (503, 500...) before serving."""
        with self._lock:
            self._faults.extend(statuses)

    def next_fault(self) -> int | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def signin_token(self, session: str | None, duration: str | None) -> str:
        try:
            fields = json.loads(session or "")
        except ValueError:
            raise Refused("Invalid credentials parameter") from None
        if not isinstance(fields, dict) or not all(
            isinstance(fields.get(key), str) and fields[key] for key in ("sessionId", "sessionKey")
        ):
            raise Refused("Invalid credentials parameter")
        token = fields.get("sessionToken")
        if not isinstance(token, str) or not token:
            raise Refused("Long-term credentials are not accepted: use temporary credentials")
        seconds: int | None = None
        if duration is not None:
            if not duration.isdigit() or not MIN_DURATION <= int(duration) <= MAX_DURATION:
                raise Refused("SessionDuration must be 900 to 43200 seconds")
            if fields["sessionId"] in self.chained_keys:
                raise Refused("SessionDuration is not accepted for role chaining credentials")
            seconds = int(duration)
        self.sessions.append(
            ReceivedSession(fields["sessionId"], fields["sessionKey"], token, seconds)
        )
        signin = secrets.token_urlsafe(96)
        self.tokens[signin] = self.now()
        return signin

    def login(self, token: str | None, destination: str | None) -> str:
        issued = self.tokens.get(token or "")
        if issued is None or self.now() - issued > TOKEN_SECONDS:
            raise Refused("The sign-in token is invalid or has expired")
        if not destination or urlsplit(destination).scheme != "https":
            raise Refused("Destination must be an https URL")
        self.logins.append(destination)
        return destination
