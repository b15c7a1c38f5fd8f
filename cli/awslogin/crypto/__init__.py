"""Pure cryptographic helpers of the host: PKCE and DPoP."""
