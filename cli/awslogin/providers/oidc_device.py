"""Device authorization (RFC 8628) at an OpenID Connect identity provider.

The host asks the IdP's `device_authorization_endpoint` for a device code, shows the
person where to enter it, and polls the token endpoint with it; `flows.device.DeviceFlow`
runs the polling (interval, slow_down, expiry, denial), as it does for sso. The IdP names
the pages the person opens, so what it sends is checked before it reaches the terminal:
web addresses and a short printable code, nothing that could be a terminal escape.
"""

from __future__ import annotations

from typing import Any

import httpx

from awslogin.adapters.http import json_answer, unreachable
from awslogin.errors import ProviderError, one_line
from awslogin.flows.base import DeviceAuthorization
from awslogin.flows.device import DEVICE_CODE_GRANT, POLL_ERRORS, DeviceFlow, DevicePending
from awslogin.providers.oidc_discovery import origin, web_address
from awslogin.providers.oidc_tokens import TokenRefused, token_request

DEFAULT_INTERVAL = 5.0  # RFC 8628 3.2, when the response names none
_MAX_USER_CODE = 64


def _shown_url(value: object, name: str) -> str:
    address = web_address(value)
    if address is None:
        raise ProviderError(f"the identity provider's device authorization has no usable {name}")
    return address


def _seconds(value: object, default: float | None) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if default is None:
        raise ProviderError("the identity provider's device authorization has no expires_in")
    return default


def start_device_authorization(
    client: httpx.Client, endpoint: str, client_id: str, scope: str
) -> tuple[DeviceAuthorization, str]:
    """The authorization to show the person, and the device code to poll with."""
    try:
        response = client.post(
            endpoint,
            data={"client_id": client_id, "scope": scope},
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise unreachable(
            exc, f"the identity provider at {origin(endpoint)}", party="the identity provider"
        ) from exc
    try:
        body: Any = json_answer(response)
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    if response.status_code != 200:
        error = one_line(body.get("error") or f"HTTP {response.status_code}", 60)
        description = one_line(body.get("error_description") or "")
        hint = ""
        if error in ("unauthorized_client", "invalid_client"):
            hint = f" (allow the device code grant for client {client_id} at the IdP)"
        detail = f"{error}: {description}" if description else error
        raise ProviderError(f"the identity provider refused a device code: {detail}{hint}")
    device_code, user_code = body.get("device_code"), body.get("user_code")
    if not isinstance(device_code, str) or not device_code:
        raise ProviderError("the identity provider's device authorization has no device_code")
    if (
        not isinstance(user_code, str)
        or not 0 < len(user_code) <= _MAX_USER_CODE
        or not user_code.isprintable()
    ):
        raise ProviderError("the identity provider's device authorization has no usable user_code")
    # `verification_url` is what some IdPs (Google) still send for RFC 8628's name.
    page = body.get("verification_uri", body.get("verification_url"))
    complete = body.get("verification_uri_complete")
    authorization = DeviceAuthorization(
        verification_uri=_shown_url(page, "verification_uri"),
        verification_uri_complete=(
            _shown_url(complete, "verification_uri_complete") if complete is not None else None
        ),
        user_code=user_code,
        expires_in=_seconds(body.get("expires_in"), None),
        interval=_seconds(body.get("interval"), DEFAULT_INTERVAL),
    )
    return authorization, device_code


def device_tokens(
    client: httpx.Client,
    flow: DeviceFlow,
    authorization: DeviceAuthorization,
    *,
    device_code: str,
    token_endpoint: str,
    client_id: str,
) -> dict[str, Any]:
    """The token endpoint's answer once the person has signed in, polled through `flow`."""
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code, "client_id": client_id}

    def poll() -> dict[str, Any]:
        try:
            return token_request(client, token_endpoint, form, refreshing_for=None)
        except TokenRefused as refused:
            if refused.error in POLL_ERRORS:
                raise DevicePending(refused.error, refused.description) from None
            raise

    return flow.wait(authorization, poll)
