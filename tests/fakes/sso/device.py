"""The device authorization grant (RFC 8628) of sso-oidc, and the verification page's side.

A mixin of SsoState, which holds the device codes, the clients and the one lock.
"""

from __future__ import annotations

import secrets
from collections import Counter, deque
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlencode

from tests.fakes.sso.inputs import normal_user_code, portal_url, text_field
from tests.fakes.sso.model import (
    FORCEABLE_DEVICE_ERRORS,
    DeviceAuthorization,
    FakeSettings,
    RegisteredClient,
    SignIn,
    oidc_error,
)

_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
# Timer slack for the device-poll pace: a client that sleeps exactly `interval` between
# polls may land a few milliseconds early on the fake's clock.
_PACE_SLACK_SECONDS = 0.05


class DeviceGrant:
    settings: FakeSettings
    calls: Counter[str]
    device_poll_script: deque[str]
    _lock: AbstractContextManager[Any]
    _devices: dict[str, DeviceAuthorization]

    def now(self) -> float:
        raise NotImplementedError

    def _authenticated_client(self, body: Mapping[str, Any]) -> RegisteredClient:
        raise NotImplementedError

    # ----------------------------------------------------------------- test helpers

    def force_device_poll_errors(self, *errors: str) -> None:
        """Queues outcomes for the next device-code CreateToken calls, before normal logic."""
        unknown = [e for e in errors if e not in FORCEABLE_DEVICE_ERRORS]
        if unknown:
            raise ValueError(f"not a device poll error: {unknown}")
        with self._lock:
            self.device_poll_script.extend(errors)

    def decide_device(self, user_code: str, *, approve: bool, user: str = "alice") -> bool:
        """What the verification page's buttons do; False if the code is unknown or spent."""
        with self._lock:
            device = self._device_by_user_code(user_code)
            if device is None or device.status != "pending" or device.expires_at <= self.now():
                return False
            device.status = "approved" if approve else "denied"
            device.user = user
            return True

    def expire_device_codes(self) -> None:
        with self._lock:
            for device in self._devices.values():
                device.expires_at = min(device.expires_at, self.now())

    def pending_user_codes(self) -> list[str]:
        with self._lock:
            return [d.user_code for d in self._devices.values() if d.status == "pending"]

    # ----------------------------------------------------------------- operations

    def start_device_authorization(self, body: Mapping[str, Any], base_url: str) -> dict[str, Any]:
        with self._lock:
            self.calls["StartDeviceAuthorization"] += 1
            client = self._authenticated_client(body)
            # The model: startUrl is required. A start URL of another portal is refused;
            # spelling differences of this one are not (portal_url).
            start_url = text_field(body, "startUrl")
            if portal_url(str(start_url)) != portal_url(self.settings.start_url):
                raise oidc_error("InvalidRequestException", "Invalid start URL")
            user_code = "-".join(
                "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(4)) for _ in range(2)
            )
            device = DeviceAuthorization(
                device_code=secrets.token_urlsafe(32),
                user_code=user_code,
                client_id=client.client_id,
                start_url=str(start_url),
                expires_at=self.now() + self.settings.device_code_ttl,
                interval=self.settings.device_interval,
            )
            self._devices[device.device_code] = device
            return {
                "deviceCode": device.device_code,
                "userCode": user_code,
                "verificationUri": f"{base_url}/device",
                "verificationUriComplete": (
                    f"{base_url}/device?{urlencode({'user_code': user_code})}"
                ),
                "expiresIn": self.settings.device_code_ttl,
                "interval": device.interval,
            }

    def device_for_page(self, user_code: str) -> DeviceAuthorization | None:
        with self._lock:
            return self._device_by_user_code(user_code)

    def _device_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        wanted = normal_user_code(user_code)
        return next(
            (d for d in self._devices.values() if normal_user_code(d.user_code) == wanted), None
        )

    def _redeem_device_code(self, client: RegisteredClient, body: Mapping[str, Any]) -> SignIn:
        # RFC 8628 3.5 and the model's errors: an unknown device code (or another
        # client's) is invalid_grant, an expired one expired_token (botocore:
        # PendingAuthorizationExpiredError), a poll too fast slow_down, an undecided one
        # authorization_pending, a denied one access_denied; a code is redeemed once.
        device = self._devices.get(str(text_field(body, "deviceCode")))
        if device is None or device.client_id != client.client_id:
            raise oidc_error("InvalidGrantException", "Invalid device code provided")
        now = self.now()
        if device.expires_at <= now:
            raise oidc_error("ExpiredTokenException", "Device code has expired")
        keeps_pace = not self.settings.enforce_interval or self._poll_pace(device, now)
        if self.device_poll_script:
            forced = self.device_poll_script.popleft()
            raise oidc_error(FORCEABLE_DEVICE_ERRORS[forced], f"Forced {forced}")
        if not keeps_pace:
            self.calls["CreateToken/slow_down"] += 1
            raise oidc_error("SlowDownException", "Client is polling too fast")
        if device.status == "pending":
            raise oidc_error("AuthorizationPendingException", "Authorization is still pending")
        if device.status == "denied":
            raise oidc_error("AccessDeniedException", "The user denied the authorization")
        if device.status == "consumed":
            raise oidc_error("InvalidGrantException", "Device code has already been used")
        device.status = "consumed"
        return SignIn(user=str(device.user), client_id=client.client_id, scopes=client.scopes)

    def _poll_pace(self, device: DeviceAuthorization, now: float) -> bool:
        """Whether this device poll keeps the pace; it uses up one poll if it does.

        slow_down is, in the model's words, for a client "making the request too
        frequently", and RFC 8628 3.5 gives a server the choice of when to send it. AWS's
        own client polls twice without a pause (FakeSettings.device_poll_burst), then once
        per `interval`: a bucket of `device_poll_burst` polls, refilled one per interval,
        lets that through and still slows a client that keeps polling faster. After a
        slow_down the fake does not hold the client to interval + 5 s: botocore adds the
        5 s itself, and AWS documents no such check.
        """
        burst = float(max(1, self.settings.device_poll_burst))
        if device.interval <= 0:
            return True
        if device.last_poll is None:
            allowance = burst
        else:
            refilled = (now - device.last_poll) / device.interval
            allowance = min(burst, device.poll_allowance + refilled)
        device.last_poll = now
        if allowance < 1 - _PACE_SLACK_SECONDS / device.interval:
            device.poll_allowance = allowance
            return False
        device.poll_allowance = max(0.0, allowance - 1)
        return True
