"""Reading request fields, and the comparisons the fake makes on what clients send."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.sso.model import oidc_error

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def text_field(body: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    """A string member; the model's InvalidRequestException ("a required parameter might
    be missing") when a required one is absent or it is not a string."""
    value = body.get(key)
    if value is None:
        if required:
            raise oidc_error("InvalidRequestException", f"{key} is required")
        return None
    if not isinstance(value, str) or not value:
        raise oidc_error("InvalidRequestException", f"{key} must be a non-empty string")
    return value


def text_list(body: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise oidc_error("InvalidRequestException", f"{key} must be a list of strings")
    return tuple(value)


def s256(verifier: str) -> str:
    """PKCE S256 challenge, base64url without padding (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def portal_url(url: str) -> tuple[str, str, str]:
    """A start URL as the portal it names: case of scheme and host, trailing slashes,
    query and fragment do not matter.

    The AWS CLI passes `sso_start_url` to StartDeviceAuthorization as written, and people
    paste the portal's address bar (`https://<org>.awsapps.com/start/#/`); `aws sso login`
    with `.../start/#` is reported to succeed against AWS.
    """
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def normal_user_code(text: str) -> str:
    """RFC 8628 6.1: what a person types is compared without case, spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def is_loopback_match(registered: str, presented: str) -> bool:
    """RFC 8252 7.3: a registered loopback redirect matches the same URI on any port."""
    if registered == presented:
        return True
    reg, pre = urlsplit(registered), urlsplit(presented)
    return (
        reg.scheme == pre.scheme == "http"
        and reg.hostname == pre.hostname
        and reg.hostname in LOOPBACK_HOSTS
        and reg.port is None
        and reg.path == pre.path
        and not pre.query
        and not pre.fragment
    )
