"""base64url without padding (RFC 4648 section 5; RFC 7515 appendix C): the one encoder.

The protocol's keys and sealed blobs travel in it (docs/protocol.md), and the CLI's PKCE
challenges and DPoP proofs are written in it too, so there is one implementation for all
of them. Standard library only: the CLI imports it on paths that must stay light.
"""

from __future__ import annotations

import base64

__all__ = ["b64url_encode"]


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
