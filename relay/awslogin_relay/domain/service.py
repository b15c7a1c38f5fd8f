"""The pairing service: every rule of relay protocol v1, independent of HTTP.

Routes parse requests and render answers; this module decides. It holds no state of its
own (everything lives in the store), so several replicas sharing a Redis store behave
as one relay.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awslogin_protocol.messages import PairingMode
from awslogin_protocol.sealing import SealingError, b64url_decode, parse_public_key, seal
from awslogin_relay.audit import audit
from awslogin_relay.domain import codes
from awslogin_relay.domain.authorize_url import (
    STATE_PATTERN,
    AuthorizeUrlRefused,
    check_authorize_url,
)
from awslogin_relay.domain.errors import (
    RelayError,
    invalid_request,
    invalid_token,
    too_many_requests,
    unknown_pairing,
)
from awslogin_relay.domain.pairing import (
    GoneReason,
    HostInfo,
    Pairing,
    PairingResult,
    ResultKind,
    Tombstone,
)
from awslogin_relay.domain.store import DuplicateKey, Now, PairingStore
from awslogin_relay.metrics import RelayMetrics
from awslogin_relay.settings import Settings

MAX_PASTE = 8192
MAX_CALLBACK_VALUE = 4096
_CALLBACK_KEYS = ("code", "state", "iss")
_GONE_ERRORS = {
    GoneReason.COLLECTED: ("already_collected", "this pairing was already used"),
    GoneReason.DENIED: ("already_collected", "this pairing was already used"),
    GoneReason.EXPIRED: ("expired_token", "this pairing expired"),
    GoneReason.CANCELLED: ("cancelled", "this pairing was cancelled by its host"),
}


@dataclass(frozen=True, slots=True)
class Client:
    """Who sent a request, as far as the relay can tell (for limits and the audit log)."""

    address: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A confirmed pairing, and the binding secret to give the browser if this
    confirmation bound it (None when the browser already holds it)."""

    pairing: Pairing
    new_secret: str | None


@dataclass(frozen=True, slots=True)
class NewPairing:
    authorize_url: str
    mode: PairingMode
    public_key: str
    hostname: str
    user: str
    client: str


@dataclass(frozen=True, slots=True)
class PollAnswer:
    """What a poll returns: `pending`, or the result that this poll collected."""

    result: PairingResult | None

    def body(self) -> dict[str, Any]:
        if self.result is None:
            return {"status": "pending"}
        if self.result.kind is ResultKind.COMPLETE:
            return {"status": "complete", "sealed": self.result.sealed}
        return {
            "status": "denied",
            "error": self.result.error or "access_denied",
            "error_description": self.result.error_description or "",
        }


def gone_error(tomb: Tombstone) -> RelayError:
    error, description = _GONE_ERRORS[tomb.reason]
    return RelayError(410, error, description, hostname=tomb.hostname)


def already_completed() -> RelayError:
    return RelayError(410, "already_used", "this sign-in request was already completed")


def unconfirmed_browser() -> RelayError:
    return RelayError(
        403,
        "unconfirmed_browser",
        "this sign-in did not start from the relay's confirmation page in this browser, "
        "so nothing was sent to the terminal",
    )


def cross_site_confirmation() -> RelayError:
    return RelayError(
        403,
        "cross_site_confirmation",
        "this button only works on the relay's own page for this sign-in",
    )


def confirmed_elsewhere() -> RelayError:
    return RelayError(
        409, "confirmed_elsewhere", "this sign-in was already confirmed on another device"
    )


def _printable(text: str, limit: int) -> str:
    return "".join(c for c in text[:limit] if c.isprintable())


# X25519 public keys of small order (canonical and non-canonical encodings, bit 255 masked):
# sealing to one of them gives an all-zero shared secret. Refusing them at creation costs
# a set lookup, where a trial key exchange would cost two scalar multiplications.
_SMALL_ORDER_KEYS = frozenset(
    bytes.fromhex(text)
    for text in (
        "00" * 32,
        "01" + "00" * 31,
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ec" + "ff" * 30 + "7f",
        "ed" + "ff" * 30 + "7f",
        "ee" + "ff" * 30 + "7f",
    )
)


def _check_public_key(encoded: str) -> None:
    """Refuse a host key that is malformed or of small order now, not at the callback."""
    try:
        raw = b64url_decode(encoded)
        parse_public_key(encoded)
    except (SealingError, ValueError):
        raise invalid_request("public_key must be a base64url X25519 public key") from None
    if raw[:31] + bytes([raw[31] & 0x7F]) in _SMALL_ORDER_KEYS:
        raise invalid_request("public_key is not a usable X25519 public key")


class PairingService:
    def __init__(
        self, settings: Settings, store: PairingStore, metrics: RelayMetrics, clock: Now
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.clock = clock

    # -- limits ------------------------------------------------------------------------

    async def limit(self, bucket: str, address: str, allowed: int) -> None:
        hit = await self.store.hit_rate(f"{bucket}:{address}", self.settings.rate_window)
        if hit.count > allowed:
            self.metrics.rejected.labels(reason=f"rate_{bucket}").inc()
            raise too_many_requests(max(1.0, math.ceil(hit.retry_after)))

    async def _load(self, pairing_id: str) -> Pairing:
        """The live pairing, or 410 if it ended recently, or 404."""
        if not codes.is_pairing_id(pairing_id):
            raise unknown_pairing()
        pairing = await self.store.get(pairing_id)
        if pairing is not None:
            return pairing
        tomb = await self.store.gone(pairing_id)
        if tomb is not None:
            raise gone_error(tomb)
        raise unknown_pairing()

    # -- host side ---------------------------------------------------------------------

    async def create(self, new: NewPairing, client: Client) -> tuple[Pairing, str]:
        """Create a pairing; returns it and the poll token (which exists nowhere else)."""
        await self.limit("create", client.address, self.settings.rate_create)
        _check_public_key(new.public_key)
        callback = self.settings.callback_uri if new.mode is PairingMode.REDIRECT else None
        try:
            checked = check_authorize_url(
                new.authorize_url,
                allowed_origins=self.settings.allowed_origins,
                callback_uri=callback,
            )
        except AuthorizeUrlRefused as exc:
            raise invalid_request(str(exc)) from None
        if await self.store.count_pending() >= self.settings.max_pending:
            self.metrics.rejected.labels(reason="max_pending").inc()
            raise RelayError(
                503,
                "temporarily_unavailable",
                "too many pairings are waiting; try again shortly",
                retry_after=30,
            )
        token = codes.new_poll_token()
        now = self.clock()
        host = HostInfo(
            hostname=new.hostname,
            user=new.user,
            client=new.client,
            address=client.address,
            user_agent=client.user_agent[:256],
        )
        for _ in range(5):
            pairing = Pairing(
                pairing_id=codes.new_pairing_id(),
                user_code=codes.new_user_code(),
                state=checked.state,
                mode=new.mode,
                authorize_url=checked.url,
                public_key=new.public_key,
                poll_token_hash=codes.hash_poll_token(token),
                host=host,
                created_at=now,
                expires_at=now + self.settings.pairing_ttl,
            )
            try:
                await self.store.create(pairing)
            except DuplicateKey as exc:
                if exc.field == "state":
                    raise invalid_request("state was already used by another pairing") from None
                continue
            break
        else:  # pragma: no cover - 5 collisions of 71-bit ids do not happen
            raise RelayError(503, "temporarily_unavailable", "could not allocate a pairing")
        self.metrics.pairings_created.inc()
        audit("created", pairing, address=client.address, user_agent=client.user_agent)
        return pairing, token

    async def _authorized(self, pairing_id: str, token: str | None) -> Pairing:
        pairing = await self._load(pairing_id)
        if token is None or not codes.poll_token_matches(token, pairing.poll_token_hash):
            raise invalid_token()
        return pairing

    async def poll(
        self, pairing_id: str, token: str | None, wait: float, client: Client
    ) -> PollAnswer:
        """Long-poll for the result; delivers it to exactly one caller."""
        await self.limit("collect", client.address, self.settings.rate_collect)
        pairing = await self._authorized(pairing_id, token)
        interval = self.settings.poll_interval
        if interval > 0 and not await self.store.begin_poll(pairing_id, interval):
            self.metrics.rejected.labels(reason="slow_down").inc()
            raise RelayError(
                429,
                "slow_down",
                f"poll at most every {interval:g} seconds",
                retry_after=max(1.0, math.ceil(interval)),
            )
        if pairing.pending and wait > 0:
            timeout = min(wait, self.settings.max_wait, pairing.expires_at - self.clock())
            if timeout > 0:
                self.metrics.active_long_polls.inc()
                try:
                    await self.store.wait_for_result(pairing_id, timeout)
                finally:
                    self.metrics.active_long_polls.dec()
        result = await self.store.take_result(pairing_id)
        if result is not None:
            self.metrics.pairings_collected.inc()
            audit(
                "collected",
                pairing,
                address=client.address,
                user_agent=client.user_agent,
                outcome="success" if result.kind is ResultKind.COMPLETE else "denied",
            )
            return PollAnswer(result)
        await self._load(pairing_id)  # 410 if it ended while we waited (taken, expired, ...)
        return PollAnswer(None)

    async def cancel(self, pairing_id: str, token: str | None, client: Client) -> None:
        await self.limit("collect", client.address, self.settings.rate_collect)
        pairing = await self._authorized(pairing_id, token)
        if not await self.store.cancel(pairing_id):
            await self._load(pairing_id)
            raise unknown_pairing()  # pragma: no cover - _load raised already
        self.metrics.pairings_cancelled.inc()
        audit("cancelled", pairing, address=client.address, user_agent=client.user_agent)

    # -- browser side ------------------------------------------------------------------

    async def page(self, pairing_id: str) -> Pairing:
        """The pairing a browser page is about (404/410 as a RelayError)."""
        return await self._load(pairing_id)

    async def gone(self, pairing_id: str) -> Tombstone | None:
        if not codes.is_pairing_id(pairing_id):
            return None
        return await self.store.gone(pairing_id)

    async def find_user_code(self, typed: str, client: Client) -> str:
        await self.limit("browser", client.address, self.settings.rate_browser)
        user_code = codes.normalize_user_code(typed)
        if user_code is None:
            raise invalid_request("a code has 8 letters, like BDKM-TRWX")
        pairing_id = await self.store.find_by_user_code(user_code)
        if pairing_id is None:
            raise RelayError(404, "not_found", "no sign-in request has this code")
        return pairing_id

    async def confirm(
        self, pairing_id: str, client: Client, presented: str | None, *, cross_site: bool
    ) -> Confirmation:
        """The "this is my terminal" step: bind the pairing to this browser.

        The first browser to confirm gets a new binding secret (the caller hands it over
        as a cookie); only requests that carry it may complete the pairing, which is what
        stops a forwarded link (device-code phishing) from delivering someone else's
        sign-in. The same browser confirming again (back button) carries the secret and
        passes; any other browser is refused. A confirmation posted from another site
        (`cross_site`, from the browser's fetch metadata) is refused too: otherwise a page
        anywhere could press the button for its visitor, who would never see the code.
        """
        await self.limit("browser", client.address, self.settings.rate_browser)
        pairing = await self._load(pairing_id)
        if cross_site:
            self._refuse(pairing, client, "cross_site_confirmation")
            raise cross_site_confirmation()
        held = pairing.binding_hash
        if held is None:
            secret = codes.new_binding_secret()
            held = await self.store.mark_confirmed(
                pairing_id, self.clock(), codes.hash_binding_secret(secret)
            )
            if held is None:
                raise already_completed()
            if codes.binding_secret_matches(secret, held):
                audit("confirmed", pairing, address=client.address, user_agent=client.user_agent)
                return Confirmation(pairing, secret)
        elif not pairing.pending:
            raise already_completed()
        if not codes.binding_secret_matches(presented, held):
            self._refuse(pairing, client, "confirmed_elsewhere")
            raise confirmed_elsewhere()
        return Confirmation(pairing, None)

    def _check_binding(self, pairing: Pairing, presented: str | None, client: Client) -> None:
        """Only the browser that confirmed may complete the pairing (invariant 7)."""
        if not codes.binding_secret_matches(presented, pairing.binding_hash):
            self._refuse(pairing, client, "unconfirmed_browser")
            raise unconfirmed_browser()

    def _refuse(self, pairing: Pairing, client: Client, outcome: str) -> None:
        self.metrics.rejected.labels(reason=outcome).inc()
        audit(
            "refused",
            pairing,
            address=client.address,
            user_agent=client.user_agent,
            outcome=outcome,
        )

    async def callback(
        self, params: Mapping[str, list[str]], client: Client, bindings: Mapping[str, str]
    ) -> str:
        """Seal what the provider sent back (redirect mode); returns the pairing id.

        `bindings` maps pairing ids to the binding secrets the browser presented
        (cookies); the pairing's own must be among them, for a denial as for a code.
        """
        await self.limit("browser", client.address, self.settings.rate_browser)
        single: dict[str, str] = {}
        for key in (*_CALLBACK_KEYS, "error", "error_description"):
            values = params.get(key, [])
            if len(values) > 1:
                raise invalid_request(f"{key} appears more than once")
            if values:
                if len(values[0]) > MAX_CALLBACK_VALUE:
                    raise invalid_request(f"{key} is too long")
                single[key] = values[0]
        state = single.get("state", "")
        if not STATE_PATTERN.fullmatch(state):
            raise invalid_request("the provider sent no valid state")
        pairing_id = await self.store.find_by_state(state)
        if pairing_id is None:
            raise RelayError(404, "not_found", "no sign-in request matches this answer")
        pairing = await self._load(pairing_id)
        if pairing.mode is not PairingMode.REDIRECT:
            raise invalid_request("this sign-in request expects a pasted code")
        if not pairing.pending:
            raise already_completed()
        self._check_binding(pairing, bindings.get(pairing_id), client)
        if "error" in single:
            result = PairingResult(
                kind=ResultKind.DENIED,
                error=_printable(single["error"], 64) or "access_denied",
                error_description=_printable(single.get("error_description", ""), 300),
            )
        elif single.get("code"):
            payload = {key: single[key] for key in _CALLBACK_KEYS if key in single}
            result = self._sealed(pairing, payload)
        else:
            raise invalid_request("the provider sent neither a code nor an error")
        await self._finish(pairing, result, client)
        return pairing_id

    async def paste(
        self, pairing_id: str, text: str, client: Client, presented: str | None
    ) -> Pairing:
        """Seal what the person pasted (paste mode), if this browser confirmed the pairing."""
        await self.limit("browser", client.address, self.settings.rate_browser)
        pairing = await self._load(pairing_id)
        if pairing.mode is not PairingMode.PASTE:
            raise invalid_request("this sign-in request does not take a pasted code")
        if not pairing.pending:
            raise already_completed()
        self._check_binding(pairing, presented, client)
        pasted = text.strip()
        if not pasted:
            raise invalid_request("paste the code the provider showed you")
        if len(pasted) > MAX_PASTE:
            raise invalid_request("that is too long to be a sign-in code")
        await self._finish(pairing, self._sealed(pairing, {"pasted": pasted}), client)
        return pairing

    def _sealed(self, pairing: Pairing, payload: dict[str, str]) -> PairingResult:
        plaintext = json.dumps(payload, separators=(",", ":")).encode()
        try:
            sealed = seal(plaintext, parse_public_key(pairing.public_key), pairing.pairing_id)
        except SealingError:
            raise invalid_request("the answer is too large to deliver") from None
        return PairingResult(kind=ResultKind.COMPLETE, sealed=sealed)

    async def _finish(self, pairing: Pairing, result: PairingResult, client: Client) -> None:
        won = await self.store.set_result(pairing.pairing_id, result, self.settings.result_ttl)
        if not won:
            raise already_completed()
        denied = result.kind is ResultKind.DENIED
        self.metrics.pairings_completed.labels(outcome="denied" if denied else "authorized").inc()
        audit(
            "denied" if denied else "authorized",
            pairing,
            address=client.address,
            user_agent=client.user_agent,
            outcome="denied" if denied else "success",
            error=result.error,
        )

    async def public_status(self, pairing_id: str) -> str:
        """What the done page may know: pending, authorized, denied, collected, or gone."""
        try:
            pairing = await self._load(pairing_id)
        except RelayError as exc:
            if exc.status != 410:
                raise
            tomb = await self.store.gone(pairing_id)
            return tomb.reason.value if tomb else "expired"
        if pairing.result is None:
            return "pending"
        return "authorized" if pairing.result.kind is ResultKind.COMPLETE else "denied"

    # -- housekeeping ------------------------------------------------------------------

    async def sweep(self) -> int:
        expired = await self.store.sweep_expired()
        for pairing in expired:
            self.metrics.pairings_expired.inc()
            audit(
                "expired",
                pairing,
                address="-",
                user_agent="awslogin-relay",
                outcome="expired",
            )
        return len(expired)
