"""Every JSON body of relay protocol v1, as the models both sides validate against.

The relay builds its answers from these models and documents them in `/openapi.json`;
the host parses the relay's answers with the same models, so a relay that sends a
wrong type, a non-finite number or an overlong field is refused in one place. Unknown
fields are ignored in both directions, so either side may add one in a later release.

The sealed payloads (`SealedCallback`, `SealedPaste`) are the plaintext inside a
sealed result: only the host ever sees them in clear (see `sealing`).
"""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MAX_AUTHORIZE_URL",
    "MAX_CALLBACK_VALUE",
    "MAX_HOSTNAME",
    "MAX_HOST_CLIENT",
    "MAX_HOST_USER",
    "MAX_PASTE",
    "MAX_ROLE",
    "OUTCOME_REASON_SHOWN",
    "ROLE_PATTERN",
    "Discovery",
    "ErrorBody",
    "HostDescription",
    "OutcomeReport",
    "PairingCreated",
    "PairingMode",
    "PairingRequest",
    "PollAnswer",
    "SealedCallback",
    "SealedPaste",
]

# Longest authorize URL the relay stores and redirects to.
MAX_AUTHORIZE_URL = 8192
# Longest text a person may paste on the relay's page (a verification code or a URL).
MAX_PASTE = 8192
# Longest single value the provider may send to the callback (code, state, iss, ...).
MAX_CALLBACK_VALUE = 4096
# Longest failure reason a host may send; the relay keeps at most OUTCOME_REASON_SHOWN
# characters of it, once control, format and bidi characters are gone.
MAX_OUTCOME_REASON = 2048
OUTCOME_REASON_SHOWN = 300
# Longest host description fields, as sent and as the relay stores and shows them.
MAX_HOSTNAME = 253
MAX_HOST_USER = 64
MAX_HOST_CLIENT = 64
# Longest AWS role a host may name for the confirmation page: the longest IAM role ARN
# (a 512-character path and a 64-character name) fits.
MAX_ROLE = 640
# The role is printable ASCII (an ARN, or "ROLE in account ACCOUNT"): no character of it
# can reorder or hide text on the page.
ROLE_PATTERN = r"^[\x20-\x7e]*$"
# A host's X25519 public key as sent: the 32 raw bytes in base64url without padding.
PUBLIC_KEY_PATTERN = r"^[A-Za-z0-9_-]{43}$"


class PairingMode(enum.StrEnum):
    """How the authorization result reaches the relay."""

    REDIRECT = "redirect"  # the provider redirects the browser to the relay's /callback
    PASTE = "paste"  # the person pastes what the provider showed into the relay's page


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class Discovery(_Message):
    """`GET /.well-known/awslogin-relay`: what a host needs before it creates a pairing."""

    version: int
    callback_uri: str = Field(max_length=2048)
    verification_uri: str = Field(max_length=2048)
    allowed_authorize_origins: list[str] = Field(default_factory=list, max_length=256)
    max_wait: int = Field(default=25, ge=0)
    interval: float = Field(default=2.0, ge=0)


class HostDescription(_Message):
    """What the host says about itself; the relay shows it on the confirmation page."""

    hostname: str = Field(
        min_length=1, max_length=MAX_HOSTNAME, description="host name shown on the page"
    )
    user: str = Field(default="", max_length=MAX_HOST_USER, description="user name on the host")
    client: str = Field(
        default="", max_length=MAX_HOST_CLIENT, description="client software, awslogin/x.y"
    )
    role: str = Field(
        default="",
        max_length=MAX_ROLE,
        pattern=ROLE_PATTERN,
        description="the AWS role the sign-in is for, when the host knows it before: the "
        "role ARN, or ROLE in account ACCOUNT (optional; shown on the confirmation page)",
    )


class PairingRequest(_Message):
    """`POST /v1/pairings`: start a remote login."""

    authorize_url: str = Field(max_length=MAX_AUTHORIZE_URL)
    mode: PairingMode = PairingMode.REDIRECT
    public_key: str = Field(
        pattern=PUBLIC_KEY_PATTERN,
        description="base64url X25519 public key of the host (32 bytes, no padding)",
    )
    host: HostDescription


class PairingCreated(_Message):
    """The answer to `POST /v1/pairings` (201). The poll token exists nowhere else."""

    pairing_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="public, in the link")
    user_code: str = Field(max_length=32, description="XXXX-XXXX, shown in the terminal and page")
    verification_uri: str = Field(max_length=2048)
    verification_uri_complete: str = Field(max_length=2048)
    poll_token: str = Field(
        pattern=r"^[A-Za-z0-9._~+/=-]{1,256}$",  # RFC 6750's b64token
        description="Bearer token for the result; only here",
    )
    expires_in: float = Field(gt=0)
    interval: float = Field(default=2.0, ge=0)


class PollAnswer(_Message):
    """`GET /v1/pairings/{id}/result`: pending, the sealed result, or the provider's refusal."""

    status: Literal["pending", "complete", "denied"]
    sealed: str | None = Field(default=None, max_length=64 * 1024)
    error: str | None = Field(default=None, max_length=256)
    error_description: str | None = Field(default=None, max_length=1024)


class OutcomeReport(_Message):
    """`POST /v1/pairings/{id}/outcome`: how the host's login ended, for the person's page.

    Only what the person who signed in may see: the account id and role name of the
    session (`signed_in`), or the one line the terminal printed (`failed`). Never a
    secret. The relay strips control, format and bidi characters from `reason` and keeps
    at most `OUTCOME_REASON_SHOWN` characters of it; fields that do not belong to the
    outcome (a `reason` with `signed_in`, an account with `failed`) are ignored.
    """

    outcome: Literal["signed_in", "failed"]
    account_id: str | None = Field(
        default=None, pattern=r"^[0-9]{12}$", description="the AWS account id, 12 digits"
    )
    role: str | None = Field(
        default=None,
        pattern=r"^[ -~]{1,64}$",
        description="the role name: 1 to 64 printable ASCII characters",
    )
    reason: str | None = Field(
        default=None,
        max_length=MAX_OUTCOME_REASON,
        description="one line, no secret; the relay keeps 300 characters",
    )


class ErrorBody(_Message):
    """Every refusal, in OAuth style. `error_description` never holds a secret."""

    error: str = Field(max_length=256)
    error_description: str = Field(default="", max_length=1024)


class SealedCallback(_Message):
    """Sealed plaintext in redirect mode: what the provider sent to the relay's callback."""

    code: str = Field(max_length=MAX_CALLBACK_VALUE)
    state: str = Field(max_length=MAX_CALLBACK_VALUE)
    iss: str | None = Field(default=None, max_length=MAX_CALLBACK_VALUE)


class SealedPaste(_Message):
    """Sealed plaintext in paste mode: what the person pasted on the relay's page."""

    pasted: str = Field(max_length=MAX_PASTE)
