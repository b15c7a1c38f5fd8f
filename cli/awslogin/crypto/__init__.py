"""Pure cryptographic helpers (PKCE, sealing). The relay imports `sealing` too."""
