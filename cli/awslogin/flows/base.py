"""The flow interface: how a provider's authorization request reaches a browser and how
the result comes back to the host.

A provider never knows which flow runs. It hands the flow a `RequestBuilder`; the flow
decides the redirect URI it can receive on (a loopback listener, the relay's callback, or
None when the provider's own page shows a code to paste), asks the builder for the
request, delivers the URL to a person, and returns what came back together with the
request it used (`AuthorizationResponse.request`), so the provider finishes the sign-in
with the very client and redirect URI the browser saw:

* redirect flows (`loopback`, `relay` in redirect mode) return the callback's query
  parameters: `code`, `state`, `iss` (or `error`, `error_description`);
* paste flows (`relay` in paste mode, or a terminal prompt) return `{"pasted": text}`.

A flow may still hold something of the sign-in after `authorize` returned: the relay's
pairing (the phone shows "Finishing..." until the host reports), the loopback page the
browser waits on. The login use case ends it with `finish(outcome)` once the session is
cached or the login failed, so that no page claims more than is known
(docs/security.md, invariant 11, "Truth"); for the other flows it does nothing.

Device authorization (RFC 8628) has no redirect at all, so it is not an
AuthorizationFlow: the provider obtains the device code and hands `flows.device.DeviceFlow`
the polling, and a `DevicePresenter` shows the verification URL, QR code and user code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlencode

# How the relay gets the result of a sign-in: the provider redirects the browser to the
# relay's callback, or the person pastes what the provider's page showed. Each provider
# declares the one it needs (`Provider.relay_mode`).
Mode = Literal["redirect", "paste"]


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the browser opens, and what the token request must repeat (RFC 6749 4.1.3):
    the same client and redirect URI. `state` is what the response must echo."""

    url: str
    state: str
    client_id: str
    redirect_uri: str

    @classmethod
    def for_code(
        cls, endpoint: str, *, client_id: str, redirect_uri: str, state: str, **parameters: str
    ) -> AuthorizationRequest:
        """An authorization code request (RFC 6749 4.1.1) to `endpoint`, with the
        provider's own `parameters` (PKCE challenge, scopes, nonce...)."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                **parameters,
            }
        )
        separator = "&" if "?" in endpoint else "?"
        return cls(f"{endpoint}{separator}{query}", state, client_id, redirect_uri)


@dataclass(frozen=True)
class AuthorizationResponse:
    """What came back for `request`: redirect parameters (`code`, `state`, `iss`,
    `error`...) or `{"pasted": text}`."""

    request: AuthorizationRequest
    params: Mapping[str, str]


# Called by the flow with the redirect URI it listens on (None: the provider's own page).
RequestBuilder = Callable[[str | None], AuthorizationRequest]


@dataclass(frozen=True)
class SignInOutcome:
    """How a login ended after its authorization came back: what the person's browser may
    be told (never a secret). `reason`: the one-line message the terminal shows."""

    signed_in: bool
    account_id: str | None = None
    role: str | None = None
    reason: str | None = None


class AuthorizationFlow(Protocol):
    name: str

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        """Deliver the request to a person and wait for the result (KeyboardInterrupt cancels)."""

    def finish(self, outcome: SignInOutcome) -> None:
        """Tell whatever still waits on this sign-in how it ended; best effort, bounded."""


class WaitingLine(Protocol):
    """The live line under a link while a flow waits (adapters.terminal.WaitingLine)."""

    def note(self, words: str | None) -> None:
        """Show `words` in place of the line's own (the relay does not answer...) until
        called with None."""

    def announce(self, text: str, then: str) -> None:
        """Print `text` once, as a line of its own above the waiting line, which goes on
        with the words `then` (the confirmation notice)."""


class Display(Protocol):
    """The terminal as flows see it (implemented by adapters.terminal.Terminal)."""

    def info(self, text: str) -> None: ...

    def show_link(
        self,
        url: str,
        *,
        user_code: str | None = None,
        qr: bool = True,
        type_at: str | None = None,
        number: int | None = None,
    ) -> None:
        """`url` (and its QR code); `type_at`: a page where `user_code` can be typed
        instead; `number`: the one to choose on the page (number matching)."""

    def countdown(self, text: str, deadline: float) -> AbstractContextManager[WaitingLine]: ...


@dataclass(frozen=True)
class DeviceAuthorization:
    """RFC 8628 device authorization response, as a provider received it; `party` names
    the service in messages ("IAM Identity Center")."""

    verification_uri: str
    verification_uri_complete: str | None
    user_code: str
    expires_in: float
    interval: float
    party: str = "the authorization server"


class DevicePresenter(Protocol):
    """Shows a device authorization while the provider polls its token endpoint."""

    def present(self, authorization: DeviceAuthorization) -> AbstractContextManager[WaitingLine]:
        """Show the authorization; the block gets the waiting line under it."""
