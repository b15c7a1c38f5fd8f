"""Which authorize URLs the relay agrees to send a browser to.

The relay redirects a browser to the URL the host supplied, so without these checks it
would be an open redirect for anyone who can create a pairing. The URL must go to an
allow-listed origin (exact scheme, host and port; no user information, which is how
`https://allowed@evil` tricks a reader), and it must be a PKCE authorization request
that a stolen code cannot be redeemed from: `response_type=code`, S256 challenge, and a
high-entropy `state` that the relay uses to route the callback. In redirect mode the
`redirect_uri` must be this relay's own callback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from awslogin_protocol.messages import MAX_AUTHORIZE_URL
from awslogin_relay.settings import origin_of

STATE_PATTERN = re.compile(r"[A-Za-z0-9._~-]{22,512}")
CHALLENGE_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
# RFC 7636's name for the SHA-256 method, and the name AWS Sign-In (`aws login`) uses.
S256_METHODS = frozenset({"S256", "SHA-256"})


class AuthorizeUrlRefused(ValueError):
    """The authorize URL breaks the policy; the message says which rule, without secrets."""


@dataclass(frozen=True, slots=True)
class CheckedAuthorizeUrl:
    url: str
    origin: str
    state: str


def check_authorize_url(
    url: str, *, allowed_origins: tuple[str, ...], callback_uri: str | None
) -> CheckedAuthorizeUrl:
    """Accept `url` or raise AuthorizeUrlRefused. `callback_uri` None means paste mode."""
    if len(url) > MAX_AUTHORIZE_URL:
        raise AuthorizeUrlRefused("authorize_url is too long")
    if _FORBIDDEN_CHARS.search(url):
        raise AuthorizeUrlRefused("authorize_url contains spaces, control characters or '\\'")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AuthorizeUrlRefused("authorize_url is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AuthorizeUrlRefused("authorize_url must be an absolute http(s) URL")
    if "@" in parts.netloc:
        raise AuthorizeUrlRefused("authorize_url must not contain user information")
    if parts.fragment:
        raise AuthorizeUrlRefused("authorize_url must not have a fragment")
    origin = origin_of(parts.scheme, parts.hostname, port)
    if origin not in allowed_origins:
        raise AuthorizeUrlRefused(f"authorize_url origin {origin} is not allowed by this relay")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise AuthorizeUrlRefused("authorize_url has a malformed query") from None

    def single(name: str) -> str:
        values = query.get(name)
        if not values:
            raise AuthorizeUrlRefused(f"authorize_url lacks {name}")
        if len(values) > 1:
            raise AuthorizeUrlRefused(f"authorize_url repeats {name}")
        return values[0]

    if single("response_type") != "code":
        raise AuthorizeUrlRefused("authorize_url must use response_type=code")
    if single("code_challenge_method") not in S256_METHODS:
        raise AuthorizeUrlRefused("authorize_url must use code_challenge_method=S256")
    if not CHALLENGE_PATTERN.fullmatch(single("code_challenge")):
        raise AuthorizeUrlRefused("code_challenge must be 43 base64url characters (S256)")
    state = single("state")
    if not STATE_PATTERN.fullmatch(state):
        raise AuthorizeUrlRefused(
            "state must be 22 to 512 characters of A-Z a-z 0-9 . _ ~ - (high entropy)"
        )
    single("client_id")
    if callback_uri is not None and single("redirect_uri") != callback_uri:
        raise AuthorizeUrlRefused(f"redirect_uri must be this relay's callback {callback_uri}")
    return CheckedAuthorizeUrl(url=url, origin=origin, state=state)
