"""Remote flow through the relay: the browser is on another device, the result comes back
sealed to a key that exists only in this process.

The relay never sees anything it could use: the authorization code it forwards is
worthless without the PKCE verifier held here, and it stores the code only encrypted.
"""

from __future__ import annotations

import getpass
import json
import socket
import time

from pydantic import ValidationError

from awslogin import __version__
from awslogin.errors import AwsloginError, ProviderError
from awslogin.flows.base import AuthorizationResponse, Display, Mode, RequestBuilder
from awslogin.flows.callback import sign_in_refused
from awslogin.flows.relay_client import RelayClient
from awslogin_protocol.messages import HostDescription, PairingCreated, SealedCallback, SealedPaste
from awslogin_protocol.sealing import HostKey, SealingError

MAX_WAIT_SECONDS = 25


def host_description() -> HostDescription:
    """Shown on the relay page so the person can tell which machine asked."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return HostDescription.model_construct(
        hostname=socket.gethostname(), user=user, client=f"awslogin/{__version__}"
    )


class RelayFlow:
    name = "relay"

    def __init__(
        self,
        relay: RelayClient,
        display: Display,
        *,
        mode: Mode = "redirect",
        qr: bool = True,
        timeout: float = 600.0,
    ) -> None:
        self.relay = relay
        self.display = display
        self.mode = mode
        self.qr = qr
        self.timeout = timeout
        self._expires_first = True

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        metadata = self.relay.metadata()
        request = build(metadata.callback_uri if self.mode == "redirect" else None)
        key = HostKey()
        pairing = self.relay.create_pairing(
            request.url, self.mode, key.public_key, host_description()
        )
        finished = False
        try:
            self.display.show_link(
                pairing.verification_uri_complete,
                user_code=pairing.user_code,
                qr=self.qr,
                type_at=metadata.verification_uri,
            )
            self._expires_first = pairing.expires_in <= self.timeout
            deadline = time.monotonic() + min(pairing.expires_in, self.timeout)
            with self.display.countdown("Waiting for you to sign in...", deadline):
                sealed, finished = self._wait(pairing, deadline)
            return AuthorizationResponse(request, self._open(key, pairing, sealed))
        finally:
            if not finished:
                self.relay.cancel(pairing)

    def _wait(self, pairing: PairingCreated, deadline: float) -> tuple[str, bool]:
        """The sealed result; raises on denial, expiry or timeout."""
        last_start = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline:
                if self._expires_first:
                    raise AwsloginError(
                        "the pairing expired before sign-in finished; run login again"
                    )
                raise AwsloginError(
                    f"sign-in did not finish within {int(self.timeout)} s (--timeout); "
                    "run login again"
                )
            pause = last_start + pairing.interval - now
            if pause > 0:
                time.sleep(pause)
            last_start = time.monotonic()
            wait = max(1, min(MAX_WAIT_SECONDS, int(deadline - last_start)))
            answer = self.relay.poll(pairing, wait)
            if answer == "gone":
                raise AwsloginError(
                    "the pairing expired (or was already used) before sign-in finished; "
                    "run login again"
                )
            if answer == "slow_down":
                last_start = time.monotonic()
            elif answer.status == "complete" and answer.sealed is not None:
                return answer.sealed, True
            elif answer.status == "denied":
                raise sign_in_refused(
                    answer.error or "access_denied",
                    answer.error_description or "",
                    party="the identity provider",
                )

    def _open(self, key: HostKey, pairing: PairingCreated, sealed: str) -> dict[str, str]:
        """The sealed result in clear: what the provider sent to the relay's callback, or
        what the person pasted on its page (the models say which fields, and how long)."""
        try:
            payload = json.loads(key.open(sealed, pairing.pairing_id))
        except (SealingError, ValueError) as exc:
            raise ProviderError("the relay's result does not open with this login's key") from exc
        model = SealedPaste if self.mode == "paste" else SealedCallback
        try:
            return model.model_validate(payload).model_dump(exclude_none=True)
        except ValidationError:
            raise ProviderError("the relay's result is not a sign-in response") from None
