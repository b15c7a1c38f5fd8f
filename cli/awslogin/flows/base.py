"""The flow interface: how a provider's authorization request reaches a browser and how
the result comes back to the host.

A provider never knows which flow runs. It hands the flow a `RequestBuilder`; the flow
decides the redirect URI it can receive on (a loopback listener, the relay's callback, or
None when the provider's own page shows a code to paste), asks the builder for the
request, delivers the URL to a person, and returns what came back:

* redirect flows (`loopback`, `relay` in redirect mode) return the callback's query
  parameters: `code`, `state`, `iss` (or `error`, `error_description`);
* paste flows (`relay` in paste mode, or a terminal prompt) return `{"pasted": text}`.

Device authorization (RFC 8628) has no redirect at all: the provider obtains the device
code and drives the polling itself, and uses a `DevicePresenter` only to show the
verification URL, QR code and user code and the time left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

Mode = Literal["redirect", "paste"]


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the browser must open; `state` is what the response must echo."""

    url: str
    state: str
    mode: Mode = "redirect"


@dataclass(frozen=True)
class AuthorizationResponse:
    """Redirect parameters (`code`, `state`, `iss`, `error`...) or `{"pasted": text}`."""

    params: Mapping[str, str]


# Called by the flow with the redirect URI it listens on (None: the provider's own page).
RequestBuilder = Callable[[str | None], AuthorizationRequest]


class AuthorizationFlow(Protocol):
    name: str
    # Paste-only flows set this to ("paste",); the relay flow supports both.
    modes: tuple[Mode, ...]

    def authorize(self, build: RequestBuilder) -> AuthorizationResponse:
        """Deliver the request to a person and wait for the result (KeyboardInterrupt cancels)."""


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
    ) -> None:
        """`url` (and its QR code); `type_at`: a page where `user_code` can be typed instead."""

    def countdown(self, text: str, deadline: float) -> AbstractContextManager[None]: ...


@dataclass(frozen=True)
class DeviceAuthorization:
    """RFC 8628 device authorization response, as a provider received it."""

    verification_uri: str
    verification_uri_complete: str | None
    user_code: str
    expires_in: float
    interval: float


class DevicePresenter(Protocol):
    """Shows a device authorization while the provider polls its token endpoint."""

    def present(self, authorization: DeviceAuthorization) -> AbstractContextManager[None]: ...


def single_values(params: Mapping[str, object], keys: Iterable[str]) -> dict[str, str]:
    """Keep only the expected keys whose values are strings (a sealed or query payload)."""
    return {key: value for key in keys if isinstance(value := params.get(key), str)}
