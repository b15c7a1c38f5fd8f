"""Every JSON body of relay protocol v1, as the models both sides validate against.

The relay builds its answers from these models and documents them in `/openapi.json`;
the host parses the relay's answers with the same models, so a relay that sends a
wrong type, a non-finite number or an overlong field is refused in one place. Unknown
fields are ignored in both directions, so either side may add one in a later release.

The sealed payloads (`SealedCallback`, `SealedPaste`, `SealedConsoleKey`) are the
plaintext inside a sealed result: only the host ever sees them in clear (see `sealing`).
A console pairing (`PairingMode.CONSOLE`) carries the other way too: the host's report
holds the console sign-in URL sealed to the browser's key, which only that browser opens
(`sealing.seal_to_browser`; docs/protocol.md, "Console handover").
"""

from __future__ import annotations

import enum
import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DENIED_ON_PAGE",
    "MAX_AUTHORIZE_URL",
    "MAX_CALLBACK_VALUE",
    "MAX_HOSTNAME",
    "MAX_HOST_CLIENT",
    "MAX_HOST_USER",
    "MAX_PASTE",
    "NOT_SHOWN",
    "NUMBER_MATCHING_REVISION",
    "OUTCOME_REASON_SHOWN",
    "WRONG_NUMBER",
    "BrowserKey",
    "Confirmation",
    "ConsoleHandover",
    "Discovery",
    "ErrorBody",
    "HostDescription",
    "OutcomeReport",
    "PairingCreated",
    "PairingMode",
    "PairingRequest",
    "PollAnswer",
    "PollUntil",
    "SealedCallback",
    "SealedConsoleKey",
    "SealedPaste",
    "well_formed_host_user",
    "well_formed_hostname",
    "well_formed_role",
    "well_formed_role_name",
]

# Longest authorize URL the relay stores and redirects to.
MAX_AUTHORIZE_URL = 8192
# Longest text a person may paste on the relay's page (a verification code or a URL).
MAX_PASTE = 8192
# Longest single value the provider may send to the callback (code, state, iss, ...).
MAX_CALLBACK_VALUE = 4096
# Longest failure reason a host may send; the relay keeps at most OUTCOME_REASON_SHOWN
# characters of it, once control, format and bidi characters are gone: a line, not a
# page of text that the host could make look like the relay's own.
MAX_OUTCOME_REASON = 2048
OUTCOME_REASON_SHOWN = 200
# Longest host description fields, as sent and as the relay stores and shows them.
MAX_HOSTNAME = 253
MAX_HOST_USER = 64
MAX_HOST_CLIENT = 64
# Longest AWS role a host may name for the confirmation page: the longest IAM role ARN
# (a 512-character path and a 64-character name) fits.
MAX_ROLE = 640
# The first protocol revision (`revision`, see the package's REVISION) with number
# matching and the confirmation notice (docs/protocol.md, "Revisions").
NUMBER_MATCHING_REVISION = 2
# The error of a poll's denial when someone chose a wrong number on the confirmation
# page: the relay ended the pairing, nobody signed in (docs/protocol.md, "Number matching").
WRONG_NUMBER = "wrong_number"
# The error of a poll's denial when the browser that confirmed the pairing pressed the
# page's "not me" button instead of signing in: the person ended it, nobody signed in
# (docs/protocol.md, "Cancelling on the page").
DENIED_ON_PAGE = "denied_on_page"
# Longest confirmation notice fields: an IPv6 address with its zone, a few words.
MAX_NOTICE_ADDRESS = 64
MAX_NOTICE_BROWSER = 64
# A host's X25519 public key as sent: the 32 raw bytes in base64url without padding.
PUBLIC_KEY_PATTERN = r"^[A-Za-z0-9_-]{43}$"
# A browser's P-256 public key as its page posts it (console pairings): the 65-byte
# uncompressed point in base64url without padding.
BROWSER_KEY_PATTERN = r"^[A-Za-z0-9_-]{87}$"
# A console sign-in URL sealed to the browser's key: a URL of a few KiB, sealed.
MAX_SEALED_CONSOLE = 16 * 1024
SEALED_PATTERN = r"^[A-Za-z0-9_-]+$"
# What the confirmation page shows of a host field that is not well formed
# (docs/protocol.md, "Host fields"): the relay replaces it rather than refusing the
# pairing, so that an old host, or a machine with an odd name, still logs in.
NOT_SHOWN = "(not shown)"
# A DNS name: labels of ASCII letters, digits, hyphens (and underscores, which real
# hostnames carry), 1 to 63 characters each, not starting or ending with a hyphen. An
# internationalised name is well formed in its ASCII form (xn--...), never in Unicode,
# whose look-alike letters could pass for another machine's name.
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME_PATTERN = rf"^{_LABEL}(?:\.{_LABEL})*$"
# A POSIX-style user name: the portable file name characters, not starting with a
# hyphen, and the trailing "$" of machine accounts.
_HOST_USER_PATTERN = r"^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$"
# An IAM role name (1 to 64 of IAM's characters), what a host may send as `role`: the
# name, the role's ARN (with its path), or "NAME in account ACCOUNT" (an IAM Identity
# Center permission set's role, which has no ARN before the sign-in).
_ROLE_NAME = r"[A-Za-z0-9_+=,.@-]{1,64}"
_ROLE_NAME_PATTERN = rf"^{_ROLE_NAME}$"
_ROLE_PATTERN = (
    rf"^(?:{_ROLE_NAME}"
    rf"|arn:aws[a-z-]*:iam::[0-9]{{12}}:role/(?:[!-~]*/)?{_ROLE_NAME}"
    rf"|{_ROLE_NAME} in account [0-9]{{12}})$"
)


def well_formed_hostname(text: str) -> bool:
    """Whether `text` is a DNS name or an IP address the page may show as it is."""
    if len(text) > MAX_HOSTNAME:
        return False
    if re.fullmatch(_HOSTNAME_PATTERN, text):
        return True
    if "%" in text:  # a zone index ("fe80::1%eth0") may hold any character
        return False
    try:
        ipaddress.IPv6Address(text)  # an IPv4 address is a well-formed DNS name already
    except ValueError:
        return False
    return True


def well_formed_host_user(text: str) -> bool:
    """Whether `text` is a POSIX-style user name the page may show as it is."""
    return len(text) <= MAX_HOST_USER and re.fullmatch(_HOST_USER_PATTERN, text) is not None


def well_formed_role_name(text: str) -> bool:
    """Whether `text` is an IAM role name (an outcome's `role`) the page may show."""
    return re.fullmatch(_ROLE_NAME_PATTERN, text) is not None


def well_formed_role(text: str) -> bool:
    """Whether `text` is an IAM role name or ARN (`_ROLE_PATTERN`) the page may show."""
    return len(text) <= MAX_ROLE and re.fullmatch(_ROLE_PATTERN, text) is not None


class PairingMode(enum.StrEnum):
    """How the authorization result reaches the relay."""

    REDIRECT = "redirect"  # the provider redirects the browser to the relay's /callback
    PASTE = "paste"  # the person pastes what the provider showed into the relay's page
    # No sign-in: the browser's page posts a public key (the result, sealed to the host),
    # and the host's report brings back the console URL sealed to that key.
    CONSOLE = "console"


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
    revision: int = Field(
        default=1,
        ge=1,
        description="the newest protocol revision the relay speaks (absent: 1); a host "
        'sends the older of its own and this one (docs/protocol.md, "Revisions")',
    )


class HostDescription(_Message):
    """What the host says about itself; the relay shows it on the confirmation page.

    Each field is taken whatever its characters (only its length is refused): the relay
    shows a well-formed value as it is and replaces any other with `NOT_SHOWN`
    (`well_formed_hostname`, `well_formed_host_user`, `well_formed_role`), so a login
    never fails because of the machine's name (docs/protocol.md, "Host fields").
    """

    hostname: str = Field(
        min_length=1,
        max_length=MAX_HOSTNAME,
        description=f"the host's name: shown when a DNS name or an IP address, else {NOT_SHOWN!r}",
    )
    user: str = Field(
        default="",
        max_length=MAX_HOST_USER,
        description=f"user name on the host: shown when POSIX-style, else {NOT_SHOWN!r}",
    )
    client: str = Field(
        default="", max_length=MAX_HOST_CLIENT, description="client software, awslogin/x.y"
    )
    role: str = Field(
        default="",
        max_length=MAX_ROLE,
        description="the AWS role the sign-in is for, when the host knows it before: an "
        "IAM role name, a role ARN, or NAME in account ACCOUNT (optional; shown on the "
        f"confirmation page when well formed, else {NOT_SHOWN!r})",
    )


class PairingRequest(_Message):
    """`POST /v1/pairings`: start a remote login (or a console handover: no authorize URL)."""

    authorize_url: str = Field(
        max_length=MAX_AUTHORIZE_URL,
        description='where the browser signs in (redirect and paste modes); "" in console mode',
    )
    mode: PairingMode = PairingMode.REDIRECT
    public_key: str = Field(
        pattern=PUBLIC_KEY_PATTERN,
        description="base64url X25519 public key of the host (32 bytes, no padding)",
    )
    host: HostDescription
    revision: int = Field(
        default=1,
        ge=1,
        le=1000,
        description=f"the protocol revision the host speaks (absent: 1); from "
        f"{NUMBER_MATCHING_REVISION} on it shows the `match_number` in the terminal and "
        "reads the confirmation notice",
    )


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
    match_number: int | None = Field(
        default=None,
        ge=10,
        le=99,
        description="the number the terminal shows beside the user code; the page offers "
        "it among three and a wrong choice ends the pairing (only for a host of revision "
        f"{NUMBER_MATCHING_REVISION} or later; only here, never on a page)",
    )


class Confirmation(_Message):
    """When and from where a browser confirmed the pairing, as the relay saw it.

    Text the relay chose from what the browser sent: the host shows it only through
    its terminal hygiene (docs/security.md, "The confirmation notice")."""

    at: float = Field(ge=0, description="when, in seconds since the epoch (the relay's clock)")
    address: str = Field(
        max_length=MAX_NOTICE_ADDRESS,
        description="the browser's address (RELAY_TRUSTED_PROXIES honoured)",
    )
    browser: str = Field(
        default="",
        max_length=MAX_NOTICE_BROWSER,
        description='browser family and platform in a few words ("Safari on iPhone"); "" '
        "when the User-Agent says nothing the relay knows",
    )


PollUntil = Literal["result", "confirmation"]
"""What ends a long-poll early (the `until` query parameter): the result only, or also
a confirmation the host has not seen yet."""


class PollAnswer(_Message):
    """`GET /v1/pairings/{id}/result`: pending, the sealed result, or the provider's refusal.

    `confirmation` says who confirmed the pairing once a browser has (from revision 2;
    an older relay never sends it)."""

    status: Literal["pending", "complete", "denied"]
    sealed: str | None = Field(default=None, max_length=64 * 1024)
    error: str | None = Field(default=None, max_length=256)
    error_description: str | None = Field(default=None, max_length=1024)
    confirmation: Confirmation | None = None


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
        description=f"one line, no secret; the relay keeps {OUTCOME_REASON_SHOWN} characters",
    )
    sealed_console: str | None = Field(
        default=None,
        max_length=MAX_SEALED_CONSOLE,
        pattern=SEALED_PATTERN,
        description="console mode, signed_in: the console sign-in URL sealed to the "
        "browser's key (base64url); the relay cannot open it",
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


class SealedConsoleKey(_Message):
    """Sealed plaintext in console mode: the public key the confirming browser posted."""

    browser_key: str = Field(pattern=BROWSER_KEY_PATTERN)


class BrowserKey(_Message):
    """`POST /p/{id}/console/key`: the console page's public key (console mode)."""

    public_key: str = Field(
        pattern=BROWSER_KEY_PATTERN,
        description="base64url P-256 public key, the 65-byte uncompressed point",
    )


class ConsoleHandover(_Message):
    """`GET /p/{id}/console/url`: the console URL sealed to the browser's key, once the
    host reported it (`ready`); `waiting` until then; `ended` if it never will be."""

    status: Literal["waiting", "ready", "ended"]
    sealed: str | None = Field(default=None, max_length=MAX_SEALED_CONSOLE)
