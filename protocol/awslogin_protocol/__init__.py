"""The relay protocol, version 1: the one implementation both the host and the relay use.

`messages` holds every JSON body that crosses the wire (typed, validated, documented in
the relay's OpenAPI document from the same models); `sealing` holds the encryption of a
result to the host's key; `base64url` the one encoder of keys, blobs, PKCE and DPoP. The
host (`awslogin`) and the relay (`awslogin_relay`) both import this package and nothing
of each other. docs/protocol.md describes the exchange.

Each module's `__all__` is its public surface: exactly what the host and the relay
import from it (tests/unit/test_protocol_surface.py holds the two together), so that a
new export is a decision, not an accident.
"""

__all__ = ["REVISION", "VERSION", "_version", "base64url", "messages", "sealing"]

VERSION = 1
# Additions within version 1 that both sides announce (docs/protocol.md, "Revisions"):
# 2 brought number matching and the confirmation notice.
REVISION = 2
