"""The checks every authorization response goes through, and the words for a refusal.

One place for what a redirect or pasted code must satisfy before its code is used:
`state` is this login's (compared in constant time), `iss` is the expected issuer when
the provider names one, an `error` ends the sign-in, and a code is there. oidc,
aws-signin and sso use `check_callback`; the relay flow words a denial it receives the
same way (`sign_in_refused`). Why each check matters: docs/security.md, "Invariants".
"""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.crypto.pkce import same_secret
from awslogin.errors import ProviderError, one_line
from awslogin.flows.base import AuthorizationRequest


def sign_in_refused(error: str, description: str, *, party: str) -> ProviderError:
    """The one-line failure for an OAuth `error` returned by `party` ("the identity
    provider", "AWS Sign-In"...): denied by the person, or refused by the service."""
    error, description = one_line(error, 60), one_line(description)
    detail = f": {description}" if description else ""
    if error == "access_denied":
        return ProviderError(f"sign-in was denied at {party}{detail}")
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
