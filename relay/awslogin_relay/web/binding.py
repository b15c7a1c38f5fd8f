"""The cookie that binds a pairing to the browser that confirmed it.

Pressing "This is my terminal" hands the browser a random secret in a cookie; /callback
and the paste form then work only for a request that carries it. Without this, the
person who started a pairing could send its sign-in link to someone else, and the
provider's redirect would deliver that person's sign-in to the starter's terminal
(device-code phishing) without the victim ever seeing the confirmation page.

One cookie per pairing (the pairing id is in its name), so that two sign-ins in one
browser never overwrite each other. HttpOnly; SameSite=Lax because it must come back on
the provider's top-level GET redirect to /callback; Path=/; and on an https relay it is
Secure with the ``__Host-`` prefix, so no sibling subdomain can plant one.

The cookie is handed over where the browser is bound: the "This is my terminal" button,
or a code typed on /link before any page showed it (docs/security.md#typing-the-code).
"""

from __future__ import annotations

from starlette.responses import Response

from awslogin_relay.domain.pairing import Pairing

_NAME = "awl_"
_HOST_ONLY_NAME = "__Host-awl_"


def cookie_prefix(secure: bool) -> str:
    return _HOST_ONLY_NAME if secure else _NAME


def presented_bindings(cookie_header: str | None, secure: bool) -> dict[str, str]:
    """Pairing id → binding secret for every binding cookie in a Cookie header.

    Parsed by hand (it runs on /callback, a fast path); other cookies are ignored, and
    the first cookie of a name wins, as in browsers' own ordering.
    """
    found: dict[str, str] = {}
    if not cookie_header:
        return found
    prefix = cookie_prefix(secure)
    for part in cookie_header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.startswith(prefix):
            found.setdefault(name[len(prefix) :], value.strip().strip('"'))
    return found


def set_binding_cookie(
    response: Response, pairing_id: str, secret: str, *, max_age: int, secure: bool
) -> None:
    """Add the Set-Cookie header; written out by hand (confirming is a fast path), so
    the secret must be cookie-safe text, as base64url is."""
    attributes = f"HttpOnly; Max-Age={max(1, max_age)}; Path=/; SameSite=Lax"
    if secure:
        attributes += "; Secure"
    response.headers.append(
        "set-cookie", f"{cookie_prefix(secure)}{pairing_id}={secret}; {attributes}"
    )


def hand_over_binding(
    response: Response, pairing: Pairing, secret: str, *, now: float, result_ttl: int, secure: bool
) -> None:
    """Give the browser the pairing's binding cookie. It lives as long as the pairing, and
    RELAY_RESULT_TTL more: it also shows this browser the outcome, which may come that
    long after the pairing's own expiry (docs/protocol.md)."""
    max_age = int(pairing.expires_at - now) + result_ttl
    set_binding_cookie(response, pairing.pairing_id, secret, max_age=max_age, secure=secure)
