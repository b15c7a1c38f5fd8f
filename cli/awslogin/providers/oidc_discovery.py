"""OpenID Connect discovery: the identity provider's endpoints, read at each login.

The metadata must name the issuer the profile names (OpenID Connect Discovery 1.0 4.3)
and must not rule out PKCE S256. What it promises about `iss` in authorization responses
(RFC 9207) is kept, so that the response check can insist on it, and so is its
`device_authorization_endpoint` (RFC 8628 4), which decides how a remote sign-in without
a relay goes: a device code when there is one, a pasted address otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from awslogin.adapters.http import json_answer, redacted_url, unreachable
from awslogin.errors import ProviderError, one_line
from awslogin.profile import ISSUER_KEY


@dataclass(frozen=True)
class IdpMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    revocation_endpoint: str | None
    iss_parameter_supported: bool
    device_authorization_endpoint: str | None


def origin(url: str) -> str:
    """scheme://host[:port] of `url`: enough to name a server in a message, nothing more."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def get_json(client: httpx.Client, url: str, what: str) -> dict[str, Any]:
    try:
        response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise unreachable(
            exc, f"the identity provider at {origin(url)}", party="the identity provider"
        ) from exc
    if response.status_code != 200:
        raise ProviderError(
            f"the identity provider answered HTTP {response.status_code} for its {what} "
            f"at {redacted_url(response.request.url)}"
        )
    try:
        body = json_answer(response)
    except ValueError as exc:
        raise ProviderError(f"the identity provider's {what} is not JSON") from exc
    if not isinstance(body, dict):
        raise ProviderError(f"the identity provider's {what} is not a JSON object")
    return body


# The longest address taken from an identity provider's answers.
MAX_URL = 2048


def web_address(value: object) -> str | None:
    """`value` when it is an http(s) address that can be sent to and shown: a host,
    printable, no spaces, at most MAX_URL characters; else None."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    if not value.isprintable() or " " in value:
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("https", "http") and parts.netloc else None


def discover(client: httpx.Client, issuer: str) -> IdpMetadata:
    """The IdP's metadata, checked: it must name `issuer` and support PKCE S256."""
    body = get_json(client, f"{issuer}/.well-known/openid-configuration", "OpenID configuration")
    if body.get("issuer") != issuer:
        raise ProviderError(
            f"the identity provider says its issuer is {one_line(body.get('issuer'))!s}, "
            f"not {issuer}: check {ISSUER_KEY}"
        )
    endpoints = {}
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = web_address(body.get(key))
        if value is None:
            raise ProviderError(f"the identity provider's configuration has no usable {key}")
        endpoints[key] = value
    methods = body.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ProviderError("the identity provider does not support PKCE S256")
    revocation = web_address(body.get("revocation_endpoint"))
    device = web_address(body.get("device_authorization_endpoint"))
    return IdpMetadata(
        issuer=issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        revocation_endpoint=revocation,
        iss_parameter_supported=body.get("authorization_response_iss_parameter_supported") is True,
        device_authorization_endpoint=device,
    )
