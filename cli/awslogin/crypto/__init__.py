"""Cryptographic helpers of the host: PKCE, DPoP, and reading the claims of a JWT."""
