"""The credentials that `serve` and `exec` hand out, kept alive for the whole session.

* Between fetches they are answered from memory, while fresh: more than the refresh
  margin left, the rule `credential-process` follows (awslogin.session_record), and while
  the session's file is the one the fetch saw. A logout by any tool deletes that file:
  the next request makes a fetch first, which finds the session ended (one stat() per
  request, no polling; docs/security.md, "`serve` and `exec` at the edge"). A renewal or
  a sign-in elsewhere replaces it: the next request gets the new session's credentials,
  even while short ones are held (docs/security.md, "Renewal").
* A fetch runs the snapshot worker (awslogin.usecases.snapshot), which refreshes under the
  session's cross-process lock when needed. One fetch at a time: every request that needs
  fresh credentials while one runs waits for that same fetch, so fifty clients at expiry
  make one refresh, and serve and credential-process together make one too.
* The keeper fetches in the background when the credentials reach the margin, so that
  requests do not wait and an idle host keeps its sign-in up to the session's own limit.
  It also looks at least every minute, to notice a logout or a new sign-in, and warns
  some minutes before the session ends.
* With a renewal (usecases/renewal.py), each look tells it what was found: it starts a
  new sign-in before the session's end, or at once when a refresh is refused; not after
  a logout (the session's file gone), which withdraws a renewal under way.
* Credentials the worker could not refresh but that still work (the IdP is down), or a
  provider's credentials shorter than the margin, are answered for a while (half their
  remaining life, 30 s at most) before the next try; an error is answered for 5 s.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable, Mapping

from awslogin.adapters.credentials_endpoint import Answer, error_body
from awslogin.errors import UNEXPECTED, AwsloginError
from awslogin.session_record import REFRESH_MARGIN_SECONDS
from awslogin.usecases.renewal import Renewal
from awslogin.usecases.snapshot import Failure, Snapshot, parse_worker_answer, worker_argv

RECHECK_SECONDS = 60.0
RETRY_SECONDS = 30.0
FAILURE_HOLD_SECONDS = 5.0
WARN_BEFORE_SECONDS = 10 * 60.0
# The worker may wait for the session lock (60 s) and then for the IdP and STS.
WORKER_TIMEOUT_SECONDS = 150.0
_MIN_WAKE_SECONDS = 1.0

Say = Callable[[str], None]


def _how_long(seconds: float) -> str:
    return f"{int(seconds)} s" if seconds < 120 else f"{int(seconds // 60)} min"


def no_link(renewal: Renewal | None, ended: Failure) -> str:
    """What a line about a session that only a sign-in brings back adds when renewing:
    that no link goes out after a logout."""
    if renewal is None or not ended.signed_out:
        return ""
    return " (it was signed out: no renewal link is sent after a logout)"


class LiveCredentials:
    """One profile's credentials for an endpoint: `answer()` per request, `keep_alive()`."""

    def __init__(
        self,
        profile: str,
        environ: Mapping[str, str],
        *,
        say: Say,
        debug: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.profile = profile
        # Set by the endpoint when renewing: told what each look at the session found.
        self.renewal: Renewal | None = None
        self._environ = dict(environ)
        self._say = say
        self._debug = debug
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._body = b""
        self._hold_until = 0.0
        self._failure: Failure | None = None
        self._failure_until = 0.0
        self._fetching: asyncio.Future[None] | None = None
        self._started = False
        self._closing = False
        self._warned_for: float | None = None
        self._new_session = asyncio.Event()

    @property
    def failure(self) -> Failure | None:
        """Why nothing is served now (None: credentials are)."""
        return self._failure

    async def start(self, *, ended_ok: bool = False) -> Snapshot | None:
        """The first fetch; raises its failure when there is nothing to serve. With
        `ended_ok` and a renewal, a session that only a sign-in can bring back is not a
        failure: None, LoginRequired is answered meanwhile, and the renewal starts at once
        (unless signed out on purpose: `_tell_renewal`)."""
        await self.fetch()
        self._started = True
        if self._snapshot is None:
            failure = self._failure or Failure("no credentials", False)
            if ended_ok and failure.login_required and self.renewal is not None:
                self._tell_renewal(failure)
                return None
            raise AwsloginError(failure.message)
        if self.renewal is not None:
            self.renewal.consider(self._snapshot.session_ends_at, refused=False)
        return self._snapshot

    async def answer(self) -> Answer:
        """What the endpoint answers an authorized request."""
        now = self._clock()
        if (
            self._needs_fetch(now)
            or self._session_replaced()
            or (self._session_changed() and now >= self._hold_until)
        ):
            await self.fetch()
            if self._session_replaced():
                await self.fetch()  # the fetch joined had read the file before it changed
        snapshot = self._snapshot
        if snapshot is not None and snapshot.expires_at > self._clock():
            return Answer(200, self._body, "served", {"expiration": snapshot.expiration})
        failure = self._failure or Failure("no credentials", False)
        message = f"awslogin: {failure.message}"
        if failure.login_required:
            return Answer(403, error_body("LoginRequired", message), "login_required")
        return Answer(503, error_body("CredentialsUnavailable", message), "unavailable")

    async def keep_alive(self) -> None:
        """Refresh before each expiry and look again every minute, until cancelled."""
        while True:
            if await self._sleep(self._seconds_to_next_look(self._clock())):
                continue  # a new session: its own times to wake at
            try:
                await self.fetch()
            except Exception:  # the endpoint goes on serving what it has
                self._say(f"could not look at the session: {UNEXPECTED}")
            self.warn_if_ending()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep `seconds`, or less: True when a new session came meanwhile (a renewal,
        a login elsewhere), whose end and renewal may be due sooner."""
        try:
            async with asyncio.timeout(seconds):
                await self._new_session.wait()
        except TimeoutError:
            return False
        finally:
            self._new_session.clear()
        return True

    async def fetch(self) -> None:
        """Take a snapshot through the worker, or wait for the one being taken."""
        if self._fetching is None:
            if self._closing:
                return
            self._fetching = asyncio.ensure_future(self._fetch_once())
        await asyncio.shield(self._fetching)

    async def drain(self) -> None:
        """Start no more fetches, and wait for the one under way: asyncio kills a worker
        still running when its loop closes, and a refresh stopped half-way could lose a
        rotated refresh token. A renewal under way is stopped (its pairing cancelled)."""
        self._closing = True
        if self.renewal is not None:
            await self.renewal.close()
        if self._fetching is not None:
            await asyncio.shield(self._fetching)

    def warn_if_ending(self) -> None:
        snapshot = self._snapshot
        now = self._clock()
        if snapshot is None or self._warned_for == snapshot.session_ends_at:
            return
        if self.renewal is not None:
            return  # the renewal says what it does
        left = snapshot.session_ends_at - now
        if 0 < left <= WARN_BEFORE_SECONDS:
            self._warned_for = snapshot.session_ends_at
            at = time.strftime("%H:%M", time.localtime(snapshot.session_ends_at))
            self._say(
                f"the session of profile {self.profile} ends at {at} (in {_how_long(left)}): "
                f"run `awslogin login --profile {self.profile}` to go on without a break"
            )

    def _tell_renewal(self, ended: Failure) -> None:
        """Only a sign-in helps: a renewal starts at once, unless the session's file is
        gone (a deliberate logout: no link for it; docs/security.md, "Renewal")."""
        if self.renewal is None:
            return
        if ended.signed_out:
            self.renewal.signed_out()
        else:
            self.renewal.consider(None, refused=True)

    def _needs_fetch(self, now: float) -> bool:
        snapshot = self._snapshot
        if snapshot is None or snapshot.expires_at <= now:
            return now >= self._failure_until
        left = snapshot.expires_at - now
        return left <= REFRESH_MARGIN_SECONDS and now >= self._hold_until

    def _session_changed(self) -> bool:
        snapshot = self._snapshot
        return snapshot is not None and snapshot.session_changed()

    def _session_replaced(self) -> bool:
        """The file a successful look read was replaced or removed since (a renewal, a
        sign-in or a refresh elsewhere, a logout): looked at again at once, even while
        short credentials are held, so that a saved renewal is served from the next
        request on. After a failure the hold applies: the failing worker may itself have
        rewritten the file, and every request would start a worker."""
        snapshot = self._snapshot
        if self._failure is not None or snapshot is None or snapshot.session_file is None:
            return False
        return snapshot.session_file.seen is not None and snapshot.session_file.changed()

    def _seconds_to_next_look(self, now: float) -> float:
        wake = now + RECHECK_SECONDS
        snapshot = self._snapshot
        if snapshot is not None:
            refresh_at = snapshot.expires_at - REFRESH_MARGIN_SECONDS + 0.5
            wake = min(wake, max(refresh_at, self._hold_until))
            warn_at = snapshot.session_ends_at - WARN_BEFORE_SECONDS
            if self._warned_for != snapshot.session_ends_at and warn_at > now:
                wake = min(wake, warn_at)
            if self.renewal is not None:
                renew_at = self.renewal.due_at(snapshot.session_ends_at)
                if renew_at > now:
                    wake = min(wake, renew_at)
        return max(_MIN_WAKE_SECONDS, wake - now)

    async def _fetch_once(self) -> None:
        try:
            self._apply(await self._run_worker(), self._clock())
        finally:
            self._fetching = None

    async def _run_worker(self) -> Snapshot | Failure:
        try:
            worker = await asyncio.create_subprocess_exec(
                *worker_argv(self.profile, debug=self._debug),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                env=self._environ,
                # Out of reach of a Ctrl-C meant for serve: a refresh is never cut short.
                # (Windows: a console of its own, hidden, which our Ctrl-C never reaches.)
                start_new_session=True,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as exc:
            return Failure(f"cannot start the credentials worker: {exc.strerror}", False)
        try:
            async with asyncio.timeout(WORKER_TIMEOUT_SECONDS):
                stdout, _ = await worker.communicate()
        except TimeoutError:
            worker.kill()
            await worker.wait()
            return Failure(f"no credentials after {WORKER_TIMEOUT_SECONDS:.0f} s", False)
        return parse_worker_answer(stdout)

    def _apply(self, result: Snapshot | Failure, now: float) -> None:
        if isinstance(result, Snapshot):
            ended = self._failure is not None and self._failure.login_required
            if self._snapshot is None and ended and self._started:
                self._say(f"profile {self.profile} is signed in again: serving its credentials")
            if self._snapshot is None or self._snapshot.session_ends_at != result.session_ends_at:
                self._new_session.set()
            self._snapshot = result
            self._body = result.container_body()
            left = result.expires_at - now
            # Not fresh right after a fetch: the refresh failed, or the provider's credentials
            # are shorter than the margin. Do not ask again at once.
            fresh = left > REFRESH_MARGIN_SECONDS
            self._hold_until = now if fresh else now + min(RETRY_SECONDS, max(left, 0.0) / 2)
            self._failure = None
            if self.renewal is not None and self._started:
                self.renewal.consider(result.session_ends_at, refused=False)
            return
        announce = self._started and result != self._failure
        self._failure = result
        self._failure_until = now + FAILURE_HOLD_SECONDS
        if result.login_required:
            self._snapshot = None
            if announce:
                until = f"; until then, clients get this message{no_link(self.renewal, result)}"
                self._say(f"{result.message}{until}")
            if self._started:
                self._tell_renewal(result)
            return
        self._hold_until = now + RETRY_SECONDS
        if self._snapshot is not None and self._snapshot.session_gone():
            # Signed out, and the worker could not say so (it failed otherwise): what
            # memory holds is not handed out after a logout
            # (docs/security.md, "`serve` and `exec` at the edge").
            self._snapshot = None
        if announce:
            self._say(f"cannot refresh profile {self.profile}: {result.message}")
