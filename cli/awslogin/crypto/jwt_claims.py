"""The claims of a JWT read without verifying it, for tokens that need no verification
(and an oidc refresh token's `exp`, which can only end a session sooner).

AWS Sign-In's ID token arrives straight from its token endpoint over TLS, in exchange for
this login's code and verifier, so it is not verified again (OpenID Connect Core 3.1.3.7);
only its `sub` (the session's ARN) and `iat`/`auth_time` are read. Never use this for a
token that came through the browser: providers/oidc_tokens.py verifies those.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def id_token_claims(id_token: object) -> dict[str, Any]:
    """The token's payload, unverified; {} when it is not a readable JWT."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return {}
    segment = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}
