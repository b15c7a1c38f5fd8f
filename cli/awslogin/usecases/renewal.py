"""Renewal in `serve` and `exec`: a new sign-in for the same profile before its session
ends, the link sent where the person is (docs/security.md, "Renewal").

`LiveCredentials` tells `Renewal` what each look at the session found (`consider`).
A renewal starts `renew_before` seconds before the session's end, and at once when a
refresh is refused (the session was revoked at the IdP). It runs attempts, one pairing
each, in a worker process (usecases/renewal_attempt.py), so that the flows, httpx and
Apprise are loaded only while renewing. Until an attempt saves the new session (under
the refresh lock), the endpoint serves the old credentials; then `on_saved` makes it
look again, and it serves the new ones.

* An attempt that ends without a sign-in (the pairing expired, the relay did not answer,
  another identity signed in and was refused: that session is revoked at its provider,
  and the audit line says whether) is followed by the next one, with a new
  link: before the session's end and after it (serve answers `LoginRequired` meanwhile
  and keeps offering the renewal). One that failed within 10 s waits 30 s first.
* A denial on the phone stops the renewals of that session; the worker sends one last
  message that says so. So does a profile that cannot renew from a phone (no relay, and
  an identity provider without device codes: link_notice.CannotNotify), instead of
  failing at every attempt. A new session (a login by hand) starts them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from awslogin.adapters.files import Presence
from awslogin.adapters.notify import require_extra
from awslogin.profile import NOTIFY_ENV, notify_destinations
from awslogin.usecases.profiles import awslogin_profile, load_config
from awslogin.usecases.renewal_status import DENIED, clear_state, mark_stopped, presence_path

DEFAULT_RENEW_BEFORE = 30 * 60.0
# An attempt that ended sooner than this failed by itself (a relay down, a bad
# destination...): the next one waits QUICK_FAILURE_PAUSE rather than looping.
QUICK_FAILURE_SECONDS = 10.0
QUICK_FAILURE_PAUSE = 30.0
# Outcomes that stop the renewals of a session, with what `status` says of each.
STOPPING = {"denied": DENIED, "unusable": "no relay, and no device codes"}
# A worker asked to stop cancels its pairing within a few seconds.
STOP_SECONDS = 10.0
# An attempt is a login of 600 s at the most (its --timeout), and its last calls.
ATTEMPT_SECONDS = 600.0 + 60.0

Say = Callable[[str], None]
AuditEvent = Callable[[Mapping[str, str | int]], None]


@dataclass(frozen=True)
class RenewalOptions:
    """`--notify` destinations (resolved) and `--renew-before`, in seconds."""

    destinations: tuple[str, ...]
    renew_before: float = DEFAULT_RENEW_BEFORE


def renewal_options(
    profile: str, environ: Mapping[str, str], given: tuple[str, ...], renew_before: float
) -> RenewalOptions | None:
    """The renewal of `serve` or `exec` for `profile`: on when it has destinations
    (--notify, AWSLOGIN_NOTIFY, `awslogin_notify`), else None (as before: the session
    ends, and serve says so)."""
    chosen, _ = awslogin_profile(load_config(environ), profile, environ)
    destinations = tuple(notify_destinations(given, environ, chosen.values))
    if not destinations:
        return None
    require_extra(destinations)
    return RenewalOptions(destinations, renew_before)


@dataclass(frozen=True)
class AttemptResult:
    outcome: str  # saved, denied, unusable, refused, failed
    message: str
    undelivered: tuple[tuple[str, str], ...] = ()
    revoked: bool | None = None  # refused: whether its session was revoked at the provider


class Renewal:
    """The renewals of one profile's session (see above)."""

    def __init__(
        self,
        profile: str,
        environ: Mapping[str, str],
        options: RenewalOptions,
        *,
        say: Say,
        audit: AuditEvent,
        on_saved: Callable[[], Awaitable[None]],
        debug: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.profile = profile
        self.options = options
        self._environ = {**environ, NOTIFY_ENV: " ".join(options.destinations)}
        self._say = say
        self._audit = audit
        self._on_saved = on_saved
        self._debug = debug
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._worker: asyncio.subprocess.Process | None = None
        # Stopped: by a denial (for the session ending at `_stopped_for`), or by a logout
        # (`signed_out`: for no session, so that any new one starts them again).
        self._stopped = False
        self._stopped_for: float | None = None
        self._closing = False
        # Held from the first renewal until close(): `status` shows a renewal's state
        # only while this process lives (usecases/renewal_status.py).
        self._presence: Presence | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def due_at(self, session_ends_at: float) -> float:
        """When the renewal of a session ending at `session_ends_at` starts."""
        return session_ends_at - self.options.renew_before

    def consider(self, session_ends_at: float | None, *, refused: bool) -> None:
        """Start a renewal if one is due: the session (None: none any more) is near its
        end, or a refresh was refused (`refused`)."""
        if self._closing or self.running:
            return
        if self._stopped:
            if session_ends_at is None or session_ends_at == self._stopped_for:
                return
            self._stopped = False  # a new session: its renewals may start again
        due = refused or (
            session_ends_at is not None and self._clock() >= self.due_at(session_ends_at)
        )
        if due:
            if self._presence is None:
                self._presence = Presence(presence_path(self.profile, self._environ))
                self._presence.hold()
            self._task = asyncio.ensure_future(self._renew(session_ends_at))

    def signed_out(self) -> None:
        """The session was signed out on purpose (its file removed by `awslogin logout`,
        `aws sso logout`, `aws logout`): no link goes out for it, and a renewal under
        way is withdrawn (its worker cancels its pairing). A later sign-in by hand makes
        renewals possible again, as after a denial (docs/security.md, "Renewal")."""
        self._stopped, self._stopped_for = True, None
        clear_state(self.profile, self._environ)
        worker = self._worker
        if self.running and worker is not None and worker.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.send_signal(signal.SIGTERM)

    async def close(self) -> None:
        """Stop the renewal under way; its worker cancels its pairing."""
        self._closing = True
        clear_state(self.profile, self._environ)
        worker = self._worker
        if worker is not None and worker.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.send_signal(signal.SIGTERM)
        if self._task is not None:
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await asyncio.shield(self._task)
            except TimeoutError:
                if worker is not None and worker.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        worker.kill()
                self._task.cancel()
        if self._presence is not None:
            self._presence.release()

    async def _renew(self, session_ends_at: float | None) -> None:
        count = len(self.options.destinations)
        self._say(
            f"renewing profile {self.profile}: a sign-in link goes to {count} "
            f"notification destination{'s' if count != 1 else ''}"
        )
        self._audit({"outcome": "renewal_started"})
        while not (self._closing or self._stopped):
            started = time.monotonic()
            result = await self._attempt()
            for destination, reason in result.undelivered:
                self._audit(
                    {"outcome": "undelivered", "destination": destination, "reason": reason}
                )
            ended: dict[str, str | int] = {"outcome": f"renewal_{result.outcome}"}
            if result.revoked is not None:
                ended["revoked"] = "yes" if result.revoked else "no"
            self._audit(ended)
            if self._closing:
                return
            if result.outcome == "saved":
                clear_state(self.profile, self._environ)
                self._say(f"profile {self.profile} was renewed: serving the new credentials")
                await self._on_saved()
                return
            if self._stopped:  # signed out meanwhile
                clear_state(self.profile, self._environ)
                self._audit({"outcome": "renewal_withdrawn"})
                self._say(f"renewal of profile {self.profile} withdrawn: it was signed out")
                return
            if result.outcome in STOPPING:
                self._stopped, self._stopped_for = True, session_ends_at
                mark_stopped(self.profile, self._environ, STOPPING[result.outcome])
                self._say(
                    f"renewals of profile {self.profile} stopped: {result.message}; "
                    f"run `awslogin login --profile {self.profile}` to sign in again"
                )
                return
            self._say(f"renewal of profile {self.profile}: {result.message}; sending a new link")
            if time.monotonic() - started < QUICK_FAILURE_SECONDS:
                await asyncio.sleep(QUICK_FAILURE_PAUSE)

    async def _attempt(self) -> AttemptResult:
        argv = [sys.executable, "-P", "-m", "awslogin.usecases.renewal_attempt", self.profile]
        try:
            self._worker = await asyncio.create_subprocess_exec(
                *([*argv, "--debug"] if self._debug else argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                env=self._environ,
                # Out of reach of a Ctrl-C meant for serve: close() stops it, and it then
                # cancels its pairing.
                start_new_session=True,
            )
        except OSError as exc:
            return AttemptResult("failed", f"cannot start the renewal worker: {exc.strerror}")
        worker = self._worker
        try:
            async with asyncio.timeout(ATTEMPT_SECONDS):
                stdout, _ = await worker.communicate()
        except TimeoutError:
            worker.kill()
            await worker.wait()
            return AttemptResult("failed", f"no answer after {ATTEMPT_SECONDS:.0f} s")
        finally:
            self._worker = None
        return _parse(stdout)


def _parse(stdout: bytes) -> AttemptResult:
    """The worker's one line (usecases/renewal_attempt.AttemptAnswer); never raises."""
    try:
        answer: Any = json.loads(stdout)
        undelivered = tuple(
            (str(each["destination"]), str(each["reason"])) for each in answer["undelivered"]
        )
        revoked = answer.get("revoked")
        return AttemptResult(
            str(answer["outcome"]),
            str(answer["message"]),
            undelivered,
            revoked if isinstance(revoked, bool) else None,
        )
    except (ValueError, KeyError, TypeError):
        return AttemptResult("failed", "the renewal worker gave no answer (run with --debug)")
