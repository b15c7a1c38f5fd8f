"""What /v1/authorize accepts: the request `aws login` (and `aws login --remote`) makes.

AWS documents no reference for this page (it is not in the service model), so each rule
below accepts at least what the AWS CLI v2 sends (awscli/customizations/login/utils.py,
`BaseLoginTokenFetcher._get_authorization_uri`) and refuses only what OAuth 2.0, PKCE or
OpenID Connect rule out or what would break the flow's own later steps. A refusal is an
error page, never a redirect: the redirect URI is not trusted yet (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

SAME_DEVICE_CLIENT = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE_CLIENT = "arn:aws:signin:::devtools/cross-device"
CLIENT_IDS = (SAME_DEVICE_CLIENT, CROSS_DEVICE_CLIENT)

# The AWS CLI's loopback listener (awscli/customizations/sso/utils.py AuthCodeFetcher):
# http://127.0.0.1:<port>/oauth/callback, the IP literal RFC 8252 7.3 recommends.
_LOOPBACK_REDIRECT = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/oauth/callback")
# BASE64URL(SHA-256(verifier)) without padding is 43 characters (RFC 7636 4.2); the CLI
# strips the `=` itself before sending.
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
# The AWS CLI sends "SHA-256"; RFC 7636 names the same method "S256".
_S256_METHODS = ("S256", "SHA-256")


class AuthorizeError(Exception):
    """An /v1/authorize request the service shows an error page for (never redirects)."""


@dataclass
class PendingAuthorization:
    """A validated /v1/authorize request waiting for the person's decision."""

    request_id: str
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str


def check_authorize_request(
    query: Mapping[str, str], confirmation_url: str
) -> PendingAuthorization:
    """The request as the sign-in page keeps it; raises AuthorizeError with the reason."""
    client_id = query.get("client_id", "")
    redirect_uri = query.get("redirect_uri", "")
    # The model's ClientId shape allows exactly these two devtools clients.
    if client_id not in CLIENT_IDS:
        raise AuthorizeError("unknown client_id")
    # Each client has one kind of redirect: same-device a loopback listener, cross-device the
    # service's confirmation page ({base}/v1/sessions/confirmation, as the CLI builds it).
    # Anything else would hand the code to a place the client does not control.
    if client_id == SAME_DEVICE_CLIENT:
        match = _LOOPBACK_REDIRECT.fullmatch(redirect_uri)
        if match is None or not 0 < int(match.group(1)) < 65536:
            raise AuthorizeError(
                "redirect_uri must be http://127.0.0.1:PORT/oauth/callback for same-device"
            )
    elif redirect_uri != confirmation_url:
        raise AuthorizeError(f"redirect_uri must be {confirmation_url} for cross-device")
    # RFC 6749 4.1.1: the authorization code grant asks for response_type=code.
    if query.get("response_type") != "code":
        raise AuthorizeError("response_type must be code")
    # The token response always carries an ID token (model: idToken on code redemption), so
    # this is an OpenID Connect request, and OIDC Core 3.1.2.1 requires the openid scope.
    if "openid" not in query.get("scope", "").split():
        raise AuthorizeError("scope must include openid")
    # The cross-device verification code is base64("state=...&code=...") and the CLI refuses
    # a pasted code without state (CrossDeviceLoginTokenFetcher.parse_verification_code).
    state = query.get("state", "")
    if not state:
        raise AuthorizeError("state is required")
    # PKCE S256, the method the CLI uses; RFC 7636 4.2 has a client that can do S256 use it
    # and makes only S256 mandatory for servers, so refusing `plain` is AWS's right too.
    if query.get("code_challenge_method") not in _S256_METHODS:
        raise AuthorizeError("code_challenge_method must be SHA-256 (S256)")
    challenge = query.get("code_challenge", "")
    if not _CODE_CHALLENGE.fullmatch(challenge):
        raise AuthorizeError("code_challenge must be a base64url SHA-256 digest")
    return PendingAuthorization(
        request_id=secrets.token_urlsafe(24),
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
    )
