"""A stand-in IdP for CLI unit tests served with respx: its keys, tokens and STS answers,
and a session cache file as a login would leave it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://idp.example.test"
CLIENT_ID = "cli-client"
ROLE_ARN = "arn:aws:iam::123456789012:role/dev"
STS_URL = "https://sts.us-east-1.amazonaws.com"
RELAY_URL = "https://relay.example.test"


class FakeIdp:
    """Keys and token factory for an IdP served with respx."""

    def __init__(self) -> None:
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def metadata(self, **extra: Any) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "revocation_endpoint": f"{ISSUER}/revoke",
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            **extra,
        }

    def jwks(self) -> dict[str, Any]:
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa_key.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec_key.public_key()))
        return {
            "keys": [
                {**rsa_jwk, "kid": "rsa1", "alg": "RS256", "use": "sig"},
                {**ec_jwk, "kid": "ec1", "alg": "ES256", "use": "sig"},
            ]
        }

    def id_token(
        self,
        *,
        nonce: str | None,
        alg: str = "RS256",
        key: Any = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "alice",
            "email": "alice@example.test",
            "iat": now,
            "exp": now + 3600,
        }
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims)
        if alg == "HS256":
            return jwt.encode(payload, "s" * 32, algorithm="HS256", headers={"kid": kid or "rsa1"})
        signing_key = key or (self.ec_key if alg == "ES256" else self.rsa_key)
        default_kid = "ec1" if alg == "ES256" else "rsa1"
        return jwt.encode(payload, signing_key, algorithm=alg, headers={"kid": kid or default_kid})


def caller_response(arn: str) -> str:
    """STS's answer to GetCallerIdentity for credentials of `arn`."""
    account = arn.split(":")[4]
    return (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROAEXAMPLE:session</UserId>"
        f"<Account>{account}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
    )


def sts_response(*, expires_in: int = 3600, role: str = "dev", session: str = "alice") -> str:
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
    return f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>secret/key</SecretAccessKey>
      <SessionToken>session-token</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/{role}/{session}</Arn>
      <AssumedRoleId>AROA:alice</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"""


def write_session(
    env: dict[str, str],
    *,
    credentials_left: float = 3600,
    session_left: float = 40000,
    refresh_token: str | None = "rt-1",
    profile: str = "dev",
) -> Path:
    """A cache file as a login would leave it, with chosen time left."""
    now = time.time()
    expires = now + credentials_left
    record = {
        "version": 1,
        "provider": "oidc",
        "profile": profile,
        "config": {
            "awslogin_issuer": ISSUER,
            "awslogin_client_id": CLIENT_ID,
            "awslogin_role_arn": ROLE_ARN,
        },
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/dev/alice", "subject": "alice"},
        "credentials": {
            "AccessKeyId": "ASIAOLD",
            "SecretAccessKey": "old-secret",
            "SessionToken": "old-token",
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
            "ExpiresAt": int(expires),
        },
        "session": {"startedAt": int(now - 100), "expiresAt": int(now + session_left)},
        "providerState": {
            "issuer": ISSUER,
            "clientId": CLIENT_ID,
            "tokenEndpoint": f"{ISSUER}/token",
            "jwksUri": f"{ISSUER}/jwks",
            "revocationEndpoint": f"{ISSUER}/revoke",
            "refreshToken": refresh_token,
            "subject": "alice",
            "nonce": "n-1",
        },
    }
    cache = Path(env["AWSLOGIN_CACHE_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"oidc--{profile}.json"
    path.write_text(json.dumps(record))
    path.chmod(0o600)
    return path
