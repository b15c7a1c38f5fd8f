"""The checks every authorization response goes through, and the words for a refusal.

One place for what a redirect or pasted code must satisfy before its code is used:
`state` is this login's (compared in constant time), `iss` is the expected issuer when
the provider names one, an `error` ends the sign-in, and a code is there. oidc,
aws-signin and sso use `check_callback`; the relay flow words a denial it receives the
same way (`sign_in_refused`). Why each check matters: docs/security.md, "Invariants".

A loopback redirect can also come back pasted, when the browser was on another device:
the request then names a 127.0.0.1 address nothing listens on (`unheard_loopback_redirect`),
the browser there fails to open it, and the person pastes the address it shows; that
address must be the request's own (`redirect_params`). oidc and sso sign in that way.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from awslogin.crypto.pkce import same_secret
from awslogin.errors import ProviderError, one_line
from awslogin.flows.base import AuthorizationRequest

# The path of every loopback redirect: the same-device listener's and the pasted one.
CALLBACK_PATH = "/oauth/callback"
# Ports for an address nothing listens on: the dynamic range (RFC 6335 6), chosen at
# random so that the other device is unlikely to have anything there.
_DYNAMIC_PORTS = (49152, 65535)


def unheard_loopback_redirect() -> str:
    """A loopback redirect URI (RFC 8252 7.3) on a random port, for a browser on another
    device: it fails to open it, and shows the address with the code to paste."""
    low, high = _DYNAMIC_PORTS
    return f"http://127.0.0.1:{low + secrets.randbelow(high - low + 1)}{CALLBACK_PATH}"


def redirect_params(params: Mapping[str, str], request: AuthorizationRequest) -> dict[str, str]:
    """The redirect's query parameters: as a flow received them, or read from what the
    person pasted (the whole address, or only its query string).

    A pasted address must be `request`'s redirect URI (scheme, host, port and path): the
    text is never quoted back, since it carries the code.
    """
    pasted = params.get("pasted")
    if pasted is None:
        return dict(params)
    text = pasted.strip()
    parts = urlsplit(text)
    if parts.scheme and parts.netloc:
        expected = urlsplit(request.redirect_uri)
        try:
            place = (parts.scheme, parts.hostname, parts.port, parts.path)
        except ValueError:  # a port that is not a number
            place = None
        if place != (expected.scheme, expected.hostname, expected.port, expected.path):
            raise ProviderError(
                f"the pasted text is not the {request.redirect_uri} address the browser "
                "showed after sign-in; run login again"
            )
        query = parts.query
    else:
        query = text.lstrip("?")
    parsed = parse_qs(query, keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items() if len(values) == 1}


class SignInDenied(ProviderError):
    """The person (or the provider for them) said no: a renewal stops asking."""


def sign_in_refused(error: str, description: str, *, party: str) -> ProviderError:
    """The one-line failure for an OAuth `error` returned by `party` ("the identity
    provider", "AWS Sign-In"...): denied by the person, or refused by the service."""
    error, description = one_line(error, 60), one_line(description)
    detail = f": {description}" if description else ""
    if error == "access_denied":
        return SignInDenied(f"sign-in was denied at {party}{detail}")
    return ProviderError(f"{party} returned an error: {error}{detail}")


def check_callback(
    params: Mapping[str, str],
    request: AuthorizationRequest,
    *,
    party: str,
    issuer: str | None = None,
    issuer_promised: bool = False,
) -> str:
    """The authorization code of a response to `request`; ProviderError otherwise.

    `issuer` is checked against `iss` when the provider names one (RFC 9207); with
    `issuer_promised`, a response without `iss` is refused too.
    """
    received_state = params.get("state")
    if received_state is None or not same_secret(request.state, received_state):
        raise ProviderError(
            "the sign-in response does not belong to this login (state mismatch); try again"
        )
    if issuer is not None:
        received_issuer = params.get("iss")
        if received_issuer is not None and received_issuer != issuer:
            raise ProviderError("the sign-in response comes from another issuer (iss mismatch)")
        if received_issuer is None and issuer_promised:
            raise ProviderError("the sign-in response lacks the issuer (iss) the IdP promises")
    if "error" in params:
        raise sign_in_refused(params["error"], params.get("error_description") or "", party=party)
    code = params.get("code")
    if not code:
        raise ProviderError("the sign-in response carries no authorization code")
    return code
