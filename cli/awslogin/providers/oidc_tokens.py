"""The identity provider's token endpoint, and the ID tokens it returns, validated here.

An ID token is validated (JWKS signature, iss, aud, azp, exp, nonce, and on refresh sub)
before it is presented to STS: STS would check it too, but a token the host did not
validate must never become the identity the person is told they signed in as
(docs/security.md, "Invariants").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from awslogin.adapters.http import come_back_later, json_answer, unreachable
from awslogin.crypto.pkce import same_secret
from awslogin.errors import LoginRequired, ProviderError, one_line
from awslogin.flows.device import DEVICE_CODE_GRANT
from awslogin.providers.oidc_discovery import get_json, origin

ALLOWED_ALGORITHMS = ("RS256", "ES256")
CLOCK_SKEW_SECONDS = 60


class TokenRefused(ProviderError):
    """The token endpoint refused a grant with an OAuth `error` (RFC 6749 5.2), kept for
    callers that act on it (a device code's `authorization_pending`...)."""

    def __init__(self, message: str, error: str, description: str) -> None:
        super().__init__(message)
        self.error = error
        self.description = description


def _text(value: object) -> str:
    """A field of an error answer as text; "" when it is absent or not a string."""
    return value if isinstance(value, str) else ""


def token_request(
    client: httpx.Client, token_endpoint: str, form: dict[str, str], *, refreshing_for: str | None
) -> dict[str, Any]:
    """The token endpoint's answer to `form`, with an ID token. `refreshing_for` names the
    profile whose session a refresh continues: a refusal then ends the session."""
    try:
        response = client.post(token_endpoint, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise unreachable(
            exc, f"the identity provider at {origin(token_endpoint)}", party="the identity provider"
        ) from exc
    unavailable = come_back_later(
        response,
        f"the identity provider at {origin(token_endpoint)}",
        party="the identity provider",
    )
    if unavailable is not None:  # a device code's poll waits through it
        raise unavailable
    try:
        body = json_answer(response)
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code != 200:
        error = one_line(_text(body.get("error")) or f"HTTP {response.status_code}", 60)
        description = one_line(_text(body.get("error_description")))
        detail = f"{error}: {description}" if description else error
        session_over = error in ("invalid_grant", "invalid_token", "unauthorized_client")
        if refreshing_for is not None and session_over:
            raise LoginRequired(
                refreshing_for, f"the identity provider no longer accepts this session ({detail})"
            )
        action = "refresh the session"
        if refreshing_for is None:
            action = "exchange the authorization code"
            if form.get("grant_type") == DEVICE_CODE_GRANT:
                action = "exchange the device code"
        raise TokenRefused(
            f"the identity provider refused to {action}: {detail}", error, description
        )
    if not isinstance(body.get("id_token"), str):
        if refreshing_for is not None:
            raise LoginRequired(
                refreshing_for, "the identity provider returned no ID token on refresh"
            )
        raise ProviderError(
            "the identity provider returned no ID token: the scopes must include `openid`"
        )
    return body


def validate_id_token(
    client: httpx.Client,
    jwks_uri: str,
    id_token: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    nonce_required: bool,
    subject: str | None = None,
) -> dict[str, Any]:
    """The claims of `id_token` once its signature (the IdP's JWKS), iss, aud, azp, exp,
    nonce and (on refresh) sub hold; ProviderError naming the first that does not.

    `nonce` None: the sign-in sent no nonce (the device grant has none), so the claim is
    not compared; the ID token came from the token endpoint in exchange for a secret only
    this host held, never through a browser, which is what a nonce protects.
    """
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise ProviderError("the ID token is malformed") from exc
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise ProviderError(
            f"the ID token is signed with {one_line(algorithm, 20)}; "
            f"only {' or '.join(ALLOWED_ALGORITHMS)} are accepted"
        )
    jwks = get_json(client, jwks_uri, "signing keys (JWKS)")
    key = _signing_key(jwks, header.get("kid"), algorithm)
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise ProviderError("the ID token's signature does not verify with the IdP's keys") from exc
    except jwt.InvalidAudienceError as exc:
        raise ProviderError(f"the ID token is not for client {client_id} (aud)") from exc
    except jwt.InvalidIssuerError as exc:
        raise ProviderError(f"the ID token was not issued by {issuer} (iss)") from exc
    except jwt.ExpiredSignatureError as exc:
        raise ProviderError("the ID token has expired (exp): check this machine's clock") from exc
    except jwt.PyJWTError as exc:
        raise ProviderError(f"the ID token is not valid: {one_line(exc)}") from exc
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise ProviderError("the ID token has several audiences and is not for this client (azp)")
    received_nonce = claims.get("nonce")
    if received_nonce is None:
        if nonce_required:
            raise ProviderError("the ID token carries no nonce")
    elif nonce is not None and (
        not isinstance(received_nonce, str) or not same_secret(nonce, received_nonce)
    ):
        raise ProviderError("the ID token's nonce does not match this sign-in")
    if subject is not None and claims.get("sub") != subject:
        raise ProviderError("the refreshed ID token is for a different user (sub)")
    return claims


def _signing_key(jwks: Mapping[str, Any], kid: object, algorithm: str) -> Any:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise ProviderError("the identity provider's JWKS has no keys")
    candidates = [
        k
        for k in keys
        if isinstance(k, dict)
        and k.get("use", "sig") == "sig"
        and (kid is None or k.get("kid") == kid)
        and k.get("alg", algorithm) == algorithm
    ]
    if len(candidates) != 1:
        raise ProviderError("no unique signing key in the IdP's JWKS matches the ID token (kid)")
    try:
        return jwt.PyJWK(candidates[0], algorithm=algorithm).key
    except jwt.PyJWTError as exc:
        raise ProviderError(f"the IdP's signing key is unusable: {one_line(exc)}") from exc
