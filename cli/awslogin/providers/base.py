"""The provider interface: what a source of AWS credentials must offer the use cases.

A provider turns a person's sign-in (through any flow) into a session record
(see `awslogin.session_record`), refreshes it without the person, and revokes it. It is
made for one `Profile` (awslogin.profile); where its sessions are kept is the business of
`awslogin.stores`, so the use cases stay the same for all providers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from awslogin.adapters.clock import Clock
from awslogin.adapters.http import HttpFactory
from awslogin.errors import UsageError
from awslogin.flows.base import AuthorizationFlow, Mode
from awslogin.flows.device import DeviceFlow
from awslogin.profile import Profile
from awslogin.session_record import SessionRecord

# How a provider signs in on a remote host without a relay: with a device code, or with
# what the person pastes here (a verification code, or the address the browser failed to
# open).
RemoteFlow = Literal["device", "paste"]
# Which relay takes precedence over that: one configured anywhere (--relay, the
# environment or the profile), or only one named with --relay for this login.
RelayPrecedence = Literal["configured", "named"]
# What a login runs: an authorization flow, or (for providers whose remote flow is
# "device") the polling of a device authorization.
SignInFlow = AuthorizationFlow | DeviceFlow


@dataclass(frozen=True)
class Revocation:
    """What logout did at the provider (for the message to the user). `failed`: a
    revocation was attempted and did not happen (refused, unreachable), which logout
    reports on stderr; a provider without revocation has not failed."""

    revoked: bool
    detail: str
    failed: bool = False


class Provider(Protocol):
    name: ClassVar[str]
    # Profile keys whose change invalidates a cached session (copied into record["config"]).
    session_keys: ClassVar[tuple[str, ...]]
    relay_precedence: ClassVar[RelayPrecedence]
    # How a relay gets the result: the provider redirects to the relay, or the person pastes.
    relay_mode: ClassVar[Mode]

    def remote_flow(self) -> RemoteFlow:
        """How this sign-in reaches another device when no relay is used (oidc asks its
        identity provider whether it offers device codes)."""

    def login(self, flow: SignInFlow) -> SessionRecord:
        """Run a sign-in through `flow` and return a complete session record."""

    def refresh(self, record: SessionRecord) -> SessionRecord:
        """New credentials from the session's tokens; raises LoginRequired when it ended."""

    def revoke(self, record: SessionRecord) -> Revocation:
        """Revoke the session's refresh token where the provider supports it."""


class ProviderFactory(Protocol):
    # Whether sign-in needs an AWS region from the profile (asked for when missing); sso
    # takes its region from the sso-session instead.
    needs_region: bool

    def __call__(self, profile: Profile, http: HttpFactory, clock: Clock) -> Provider: ...


def authorization_flow(flow: SignInFlow, provider: str) -> AuthorizationFlow:
    """`flow`, for a provider that signs in only through an authorization request."""
    if isinstance(flow, DeviceFlow):
        raise UsageError(f"provider {provider} cannot sign in with a device code")
    return flow
